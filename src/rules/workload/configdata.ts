/**
 * The text a ConfigMap or Secret carries, key by key, and the ConfigMaps/Secrets a container mounts.
 * Log shippers keep their configuration in either: a Secret's `stringData` is plain text, its `data`
 * base64 (https://kubernetes.io/docs/concepts/configuration/secret/#restriction-names-data); a
 * ConfigMap's `data` is plain text. Pure; undecodable or binary values are skipped, never thrown on.
 */
import { decodeBase64Text, type EnvSources } from "../../core/env.js";
import type { DocPath } from "../../core/types.js";
import {
  type Container,
  isObject,
  type JsonObject,
  type K8sObject,
  type PodTemplate,
  str,
} from "../../core/workload.js";

export interface ConfigText {
  key: string;
  text: string;
  /** ["data", key] or ["stringData", key], from the object root. */
  path: DocPath;
}

function isCore(o: K8sObject): boolean {
  return o.apiVersion === "v1" || o.apiVersion === "";
}

/** The text values of a v1 ConfigMap (`data`) or Secret (`stringData`, then decoded `data`); [] otherwise. */
export function configTexts(o: K8sObject): ConfigText[] {
  if (!isCore(o) || (o.kind !== "ConfigMap" && o.kind !== "Secret")) return [];
  const out: ConfigText[] = [];
  const secret = o.kind === "Secret";
  const add = (field: "data" | "stringData", map: unknown, decode: boolean) => {
    if (!isObject(map)) return;
    for (const [key, v] of Object.entries(map)) {
      if (typeof v !== "string") continue;
      const text = decode ? decodeBase64Text(v) : v;
      if (text !== undefined) out.push({ key, text, path: [field, key] });
    }
  };
  // The API server merges stringData over data; both are what the pod can read.
  if (secret) add("stringData", o.raw.stringData, false);
  add("data", o.raw.data, secret);
  return out;
}

/** A ConfigMap or Secret a container mounts, with the keys it can read. */
export interface MountedConfig {
  kind: "configMap" | "secret";
  name: string;
  volume: string;
  /** The volumeMount's path from the object root. */
  mountPath: DocPath;
  data: Readonly<Record<string, string>>;
}

/** ConfigMap/Secret names behind one volume: configMap, secret, and projected sources. */
function volumeRefs(raw: JsonObject): { kind: "configMap" | "secret"; name: string }[] {
  const out: { kind: "configMap" | "secret"; name: string }[] = [];
  const cm = isObject(raw.configMap) ? str(raw.configMap.name) : undefined;
  if (cm) out.push({ kind: "configMap", name: cm });
  const sec = isObject(raw.secret) ? str(raw.secret.secretName) : undefined;
  if (sec) out.push({ kind: "secret", name: sec });
  const sources = isObject(raw.projected) ? raw.projected.sources : undefined;
  if (Array.isArray(sources)) {
    for (const s of sources) {
      if (!isObject(s)) continue;
      const pcm = isObject(s.configMap) ? str(s.configMap.name) : undefined;
      if (pcm) out.push({ kind: "configMap", name: pcm });
      const psec = isObject(s.secret) ? str(s.secret.name) : undefined;
      if (psec) out.push({ kind: "secret", name: psec });
    }
  }
  return out;
}

/** The ConfigMaps and Secrets a container mounts that `sources` knows. */
export function mountedConfigs(
  tpl: PodTemplate,
  c: Container,
  namespace: string | undefined,
  sources: EnvSources | undefined,
): MountedConfig[] {
  if (!sources) return [];
  const out: MountedConfig[] = [];
  for (const m of c.volumeMounts) {
    const vol = tpl.volumes.find((v) => v.name === m.name);
    if (!vol) continue;
    for (const ref of volumeRefs(vol.raw)) {
      const data = sources.lookup(ref.kind, namespace, ref.name);
      if (data) out.push({ ...ref, volume: vol.name, mountPath: m.path, data });
    }
  }
  return out;
}
