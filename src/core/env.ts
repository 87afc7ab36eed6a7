/**
 * Environment as the kubelet builds it: the ConfigMaps and Secrets a container's `envFrom` and
 * `valueFrom` name, and `$(VAR)` expansion. The files scan feeds `EnvStore` with the ConfigMaps and
 * Secrets of its input; a cluster scan can feed the cluster's the same way (anything that implements
 * `EnvSources`).
 */
import type { K8sObject } from "./workload.js";

/** Looks up the string data of a ConfigMap or Secret (Secret values decoded). */
export interface EnvSources {
  lookup(
    kind: "configMap" | "secret",
    namespace: string | undefined,
    name: string,
  ): Readonly<Record<string, string>> | undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A Secret `data` value as text: base64 (https://kubernetes.io/docs/concepts/configuration/secret/),
 * undefined when it is not base64 of UTF-8 text.
 */
export function decodeBase64Text(b64: string): string | undefined {
  const clean = b64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  try {
    const bin = atob(clean);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * ConfigMaps and Secrets by namespace and name. An object written without a namespace is found from any
 * namespace that has no object of that name (rendered charts rarely set namespaces; `kubectl apply -n`
 * puts them together).
 */
export class EnvStore implements EnvSources {
  readonly #data = new Map<string, Record<string, string>>();

  /** Records a ConfigMap's `data` or a Secret's `data` (base64) and `stringData`; false for other kinds. */
  add(obj: K8sObject): boolean {
    let kind: "configMap" | "secret";
    if (obj.kind === "ConfigMap" && (obj.apiVersion === "v1" || obj.apiVersion === "")) kind = "configMap";
    else if (obj.kind === "Secret" && (obj.apiVersion === "v1" || obj.apiVersion === "")) kind = "secret";
    else return false;
    const out: Record<string, string> = {};
    const data = obj.raw.data;
    if (isMap(data)) {
      for (const k of Object.keys(data)) {
        const v = data[k];
        if (typeof v !== "string") continue;
        const text = kind === "secret" ? decodeBase64Text(v) : v;
        if (text !== undefined) out[k] = text;
      }
    }
    // stringData is write-only and merged over data by the API server.
    const stringData = kind === "secret" ? obj.raw.stringData : undefined;
    if (isMap(stringData)) {
      for (const k of Object.keys(stringData)) {
        const v = stringData[k];
        if (typeof v === "string") out[k] = v;
      }
    }
    this.#data.set(`${kind}/${obj.namespace ?? ""}/${obj.name}`, out);
    return true;
  }

  lookup(kind: "configMap" | "secret", namespace: string | undefined, name: string) {
    return this.#data.get(`${kind}/${namespace ?? ""}/${name}`) ?? this.#data.get(`${kind}//${name}`);
  }
}

/**
 * Expands `$(VAR)` as the kubelet does for env values, command, args and subPathExpr
 * (https://github.com/kubernetes/kubernetes/blob/master/third_party/forked/golang/expansion/expand.go):
 * `$(NAME)` becomes the variable's value, or stays as written when it is not defined; `$$` is an escaped
 * `$`; an unclosed `$(` and any other `$x` stay as written.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === "$") {
      out += "$";
    } else if (next === "(") {
      const close = input.indexOf(")", cursor + 2);
      if (close < 0) {
        out += "$(";
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        advance = close - cursor;
      }
    } else {
      out += `$${next}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
