/**
 * Workload extraction: any object that carries a pod template becomes a `Workload` with a normalised,
 * defensive view of its pod spec. Parsed YAML is untrusted: every accessor tolerates wrong types, so
 * rules never throw on bad data (DESIGN.md §2).
 */
import type { DocPath, Origin } from "./types.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Shared by every object without labels/annotations/...: frozen, so a mutation fails loudly. */
const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

function strMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return EMPTY;
  let out: Record<string, string> | undefined;
  for (const k in v) {
    const val = v[k];
    const text =
      typeof val === "string"
        ? val
        : typeof val === "number" || typeof val === "boolean"
          ? String(val)
          : undefined;
    if (text === undefined) continue;
    out ??= {};
    out[k] = text;
  }
  return out ?? EMPTY;
}

/**
 * A string list with every element at its source index (non-strings become ""), so a finding on
 * element i points at line of element i.
 */
function strList(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (typeof x === "string" ? x : typeof x === "number" ? String(x) : ""));
}

export interface OwnerRef {
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

/** A top-level Kubernetes object as parsed from a file or read from a cluster. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owners: OwnerRef[];
  raw: JsonObject;
  origin: Origin;
  /** Path of this object inside its document (non-empty for items of a `List`). */
  docPath: DocPath;
}

export function toK8sObject(raw: JsonObject, origin: Origin, docPath: DocPath = []): K8sObject {
  const md = isObject(raw.metadata) ? raw.metadata : {};
  const owners: OwnerRef[] = [];
  if (Array.isArray(md.ownerReferences)) {
    for (const o of md.ownerReferences) {
      if (!isObject(o)) continue;
      const kind = str(o.kind);
      const name = str(o.name);
      if (!kind || !name) continue;
      const ref: OwnerRef = { kind, name };
      const uid = str(o.uid);
      if (uid) ref.uid = uid;
      if (o.controller === true) ref.controller = true;
      owners.push(ref);
    }
  }
  const obj: K8sObject = {
    apiVersion: str(raw.apiVersion) ?? "",
    kind: str(raw.kind) ?? "",
    name: str(md.name) ?? str(md.generateName) ?? "",
    labels: strMap(md.labels),
    annotations: strMap(md.annotations),
    owners,
    raw,
    origin,
    docPath,
  };
  const ns = str(md.namespace);
  if (ns) obj.namespace = ns;
  const uid = str(md.uid);
  if (uid) obj.uid = uid;
  return obj;
}

export type ContainerGroup = "containers" | "initContainers" | "ephemeralContainers";

export interface EnvVar {
  index: number;
  name: string;
  /** Literal value; undefined for valueFrom. */
  value?: string;
}

export interface VolumeMount {
  index: number;
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly: boolean;
}

/** An exec command attached to a container: probes and lifecycle hooks. */
export interface ExecHook {
  /** e.g. "livenessProbe", "lifecycle.postStart". */
  where: string;
  command: string[];
  /** Relative to the container: ["livenessProbe","exec","command"]. */
  path: DocPath;
}

export interface Container {
  group: ContainerGroup;
  index: number;
  name: string;
  /** "" when missing. */
  image: string;
  imagePullPolicy?: string;
  command: string[];
  args: string[];
  env: EnvVar[];
  volumeMounts: VolumeMount[];
  execHooks: ExecHook[];
  privileged: boolean;
  /** securityContext.seccompProfile.type, if set. */
  seccompProfileType?: string;
  limits: Record<string, string>;
  requests: Record<string, string>;
  raw: JsonObject;
  /** Relative to the pod template: ["spec", group, index]. */
  path: DocPath;
}

export interface Volume {
  index: number;
  name: string;
  hostPath?: { path: string; type?: string };
  configMapName?: string;
  raw: JsonObject;
}

export interface PodTemplate {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  containers: Container[];
  volumes: Volume[];
  runtimeClassName?: string;
  serviceAccountName?: string;
  imagePullSecrets: string[];
  hostPID: boolean;
  hostNetwork: boolean;
  /** spec.securityContext.seccompProfile.type, if set. */
  seccompProfileType?: string;
  nodeSelector: Record<string, string>;
  spec: JsonObject;
}

export interface Workload {
  object: K8sObject;
  /** Path from the object root to the pod template ({metadata, spec}); [] for a Pod. */
  templatePath: DocPath;
  template: PodTemplate;
}

/** Kinds whose pod template lives at a known path (DESIGN.md §3). */
const TEMPLATE_PATHS: Record<string, DocPath> = {
  Pod: [],
  PodTemplate: ["template"],
  Deployment: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  Job: ["spec", "template"],
  ReplicationController: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

function at(root: unknown, path: DocPath): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (typeof key === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[key];
    } else {
      if (!isObject(cur)) return undefined;
      cur = cur[key];
    }
  }
  return cur;
}

/**
 * Finds the pod template of an object: the known path for the built-in kinds, else any
 * `spec.template` whose spec has containers (DeploymentConfig, Argo Rollout, ...).
 */
export function findTemplatePath(obj: K8sObject): DocPath | undefined {
  const known = TEMPLATE_PATHS[obj.kind];
  const builtIn =
    obj.apiVersion === "v1" || /^(apps|batch|extensions)\//.test(obj.apiVersion) || obj.apiVersion === "";
  if (known && builtIn) {
    const tpl = known.length === 0 ? obj.raw : at(obj.raw, known);
    return isObject(tpl) && isObject(tpl.spec) ? known : undefined;
  }
  const generic: DocPath = ["spec", "template"];
  const tpl = at(obj.raw, generic);
  if (isObject(tpl) && isObject(tpl.spec) && Array.isArray(tpl.spec.containers)) return generic;
  if (known) {
    const tpl2 = known.length === 0 ? obj.raw : at(obj.raw, known);
    if (isObject(tpl2) && isObject(tpl2.spec) && Array.isArray(tpl2.spec.containers)) return known;
  }
  return undefined;
}

function execCommand(v: unknown): string[] | undefined {
  if (!isObject(v) || !isObject(v.exec)) return undefined;
  const cmd = strList(v.exec.command);
  return cmd.length > 0 ? cmd : undefined;
}

function toContainer(raw: JsonObject, group: ContainerGroup, index: number): Container {
  const sc = isObject(raw.securityContext) ? raw.securityContext : {};
  const resources = isObject(raw.resources) ? raw.resources : {};
  const env: EnvVar[] = [];
  if (Array.isArray(raw.env)) {
    raw.env.forEach((e, i) => {
      if (!isObject(e)) return;
      const name = str(e.name);
      if (!name) return;
      const v: EnvVar = { index: i, name };
      const value = typeof e.value === "number" ? String(e.value) : str(e.value);
      if (value !== undefined) v.value = value;
      env.push(v);
    });
  }
  const mounts: VolumeMount[] = [];
  if (Array.isArray(raw.volumeMounts)) {
    raw.volumeMounts.forEach((m, i) => {
      if (!isObject(m)) return;
      const name = str(m.name);
      const mountPath = str(m.mountPath);
      if (!name || !mountPath) return;
      const vm: VolumeMount = { index: i, name, mountPath, readOnly: m.readOnly === true };
      const subPath = str(m.subPath) ?? str(m.subPathExpr);
      if (subPath) vm.subPath = subPath;
      mounts.push(vm);
    });
  }
  const hooks: ExecHook[] = [];
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"] as const) {
    const cmd = execCommand(raw[probe]);
    if (cmd) hooks.push({ where: probe, command: cmd, path: [probe, "exec", "command"] });
  }
  if (isObject(raw.lifecycle)) {
    for (const hook of ["postStart", "preStop"] as const) {
      const cmd = execCommand(raw.lifecycle[hook]);
      if (cmd)
        hooks.push({
          where: `lifecycle.${hook}`,
          command: cmd,
          path: ["lifecycle", hook, "exec", "command"],
        });
    }
  }
  const c: Container = {
    group,
    index,
    name: str(raw.name) ?? `${group}[${index}]`,
    image: str(raw.image) ?? "",
    command: strList(raw.command),
    args: strList(raw.args),
    env,
    volumeMounts: mounts,
    execHooks: hooks,
    privileged: sc.privileged === true,
    limits: strMap(resources.limits),
    requests: strMap(resources.requests),
    raw,
    path: ["spec", group, index],
  };
  const pull = str(raw.imagePullPolicy);
  if (pull) c.imagePullPolicy = pull;
  if (isObject(sc.seccompProfile)) {
    const t = str(sc.seccompProfile.type);
    if (t) c.seccompProfileType = t;
  }
  return c;
}

export function toPodTemplate(tpl: JsonObject): PodTemplate {
  const md = isObject(tpl.metadata) ? tpl.metadata : {};
  const spec = isObject(tpl.spec) ? tpl.spec : {};
  const containers: Container[] = [];
  for (const group of ["initContainers", "containers", "ephemeralContainers"] as const) {
    const list = spec[group];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (isObject(c)) containers.push(toContainer(c, group, i));
    });
  }
  const volumes: Volume[] = [];
  if (Array.isArray(spec.volumes)) {
    spec.volumes.forEach((v, i) => {
      if (!isObject(v)) return;
      const vol: Volume = { index: i, name: str(v.name) ?? "", raw: v };
      if (isObject(v.hostPath)) {
        const p = str(v.hostPath.path);
        if (p !== undefined) {
          vol.hostPath = { path: p };
          const t = str(v.hostPath.type);
          if (t) vol.hostPath.type = t;
        }
      }
      if (isObject(v.configMap)) {
        const n = str(v.configMap.name);
        if (n) vol.configMapName = n;
      }
      volumes.push(vol);
    });
  }
  const secrets: string[] = [];
  if (Array.isArray(spec.imagePullSecrets)) {
    for (const s of spec.imagePullSecrets) {
      const n = isObject(s) ? str(s.name) : undefined;
      if (n) secrets.push(n);
    }
  }
  const sc = isObject(spec.securityContext) ? spec.securityContext : {};
  const pt: PodTemplate = {
    labels: strMap(md.labels),
    annotations: strMap(md.annotations),
    containers,
    volumes,
    imagePullSecrets: secrets,
    hostPID: spec.hostPID === true,
    hostNetwork: spec.hostNetwork === true,
    nodeSelector: strMap(spec.nodeSelector),
    spec,
  };
  const rc = str(spec.runtimeClassName);
  if (rc) pt.runtimeClassName = rc;
  const sa = str(spec.serviceAccountName) ?? str(spec.serviceAccount);
  if (sa) pt.serviceAccountName = sa;
  if (isObject(sc.seccompProfile)) {
    const t = str(sc.seccompProfile.type);
    if (t) pt.seccompProfileType = t;
  }
  return pt;
}

/** Returns the workload view of an object, or undefined when it carries no pod template. */
export function toWorkload(obj: K8sObject): Workload | undefined {
  const templatePath = findTemplatePath(obj);
  if (!templatePath) return undefined;
  const tpl = templatePath.length === 0 ? obj.raw : at(obj.raw, templatePath);
  if (!isObject(tpl)) return undefined;
  return { object: obj, templatePath, template: toPodTemplate(tpl) };
}

/** Unpacks `List` objects (kind List or *List with items) into their items with their paths. */
export function expandList(raw: JsonObject): { raw: JsonObject; path: DocPath }[] {
  const kind = str(raw.kind) ?? "";
  if (kind.endsWith("List") && Array.isArray(raw.items)) {
    const out: { raw: JsonObject; path: DocPath }[] = [];
    raw.items.forEach((item, i) => {
      if (!isObject(item)) return;
      for (const inner of expandList(item)) out.push({ raw: inner.raw, path: ["items", i, ...inner.path] });
    });
    return out;
  }
  return [{ raw, path: [] }];
}
