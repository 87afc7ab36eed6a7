/**
 * Workload extraction: every pod an object describes (a pod template, an Argo template, a Tekton task...)
 * becomes a `Workload` with a normalised, defensive view of its containers and volumes, each with its path
 * from the object root. Where the pods are is data (src/core/pod-layouts.ts). Parsed YAML is untrusted:
 * every accessor tolerates wrong types, so rules never throw on bad data.
 */
import { type EnvSources, expandVars } from "./env.js";
import {
  apiGroup,
  type ContainerGroup,
  type ContainerSlot,
  isBuiltInGroup,
  layoutsFor,
  type Pattern,
  type PodLayout,
} from "./pod-layouts.js";
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

export type { ContainerGroup } from "./pod-layouts.js";

/** Where a variable's value comes from when it is not a literal `value`. */
export type EnvValueSource =
  | {
      kind: "configMap" | "secret";
      name: string;
      /** The key (valueFrom) ; undefined for a whole envFrom source. */
      key?: string;
      /** True when the ConfigMap or Secret was found and `value` is its value. */
      resolved: boolean;
    }
  | { kind: "fieldRef" | "resourceFieldRef" | "other" };

export interface EnvVar {
  /** Index in the container's `env` list; -1 for a variable that comes from `envFrom`. */
  index: number;
  name: string;
  /**
   * The value the container sees, when it can be known: a literal `value` with `$(VAR)` references
   * expanded as the kubelet does, or the value of a ConfigMap/Secret key found in the same input (or
   * the cluster). Undefined otherwise.
   */
  value?: string;
  /** Set when the value does not come from a literal `value`. */
  from?: EnvValueSource;
  /** The `env` entry, or the `envFrom` entry the variable comes from (from the object root). */
  path: DocPath;
  /** Where the value is written: `env[i].value`, `env[i].valueFrom`, or the `envFrom` entry. */
  valuePath: DocPath;
}

export interface VolumeMount {
  /** Index in the list it is written in. */
  index: number;
  /** From the object root: the container's volumeMounts[i], or a mount shared by a set of containers. */
  path: DocPath;
  name: string;
  mountPath: string;
  /** subPath, or subPathExpr with `$(VAR)` expanded from the container's env (kept as is when unknown). */
  subPath?: string;
  /** Which field `subPath` comes from. */
  subPathField?: "subPath" | "subPathExpr";
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
  /** With `$(VAR)` references expanded from the container's env, as the kubelet does. */
  command: string[];
  /** With `$(VAR)` references expanded from the container's env, as the kubelet does. */
  args: string[];
  /** The variables the container sees (envFrom first, then env; a later definition replaces an earlier one). */
  env: EnvVar[];
  volumeMounts: VolumeMount[];
  execHooks: ExecHook[];
  privileged: boolean;
  /** securityContext.seccompProfile.type, if set. */
  seccompProfileType?: string;
  limits: Record<string, string>;
  requests: Record<string, string>;
  /** A script the container runs: Argo `script.source`, Tekton step `script`. */
  script?: { text: string; path: DocPath };
  raw: JsonObject;
  /** From the object root: ["spec","template","spec","containers",0], ["spec","templates",2,"container"]... */
  path: DocPath;
}

export interface Volume {
  index: number;
  name: string;
  hostPath?: { path: string; type?: string };
  configMapName?: string;
  raw: JsonObject;
  /** From the object root: ["spec","template","spec","volumes",0], ["spec","volumes",1] for an Argo workflow... */
  path: DocPath;
}

/** One pod: a pod template, an Argo template, a Tekton task spec... */
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
  /** The mapping pod-level fields were read from last (the PodSpec for pod templates). */
  spec: JsonObject;
  /** From the object root: the unit's metadata (labels, annotations), if it has a place for one. */
  metadataPath?: DocPath;
  /** From the object root: where an annotation the pod inherits is written (Argo spec.podMetadata...). */
  annotationPaths?: Readonly<Record<string, DocPath>>;
  /**
   * Pod spec patches (Argo podSpecPatch) that could not be read as a JSON/YAML mapping: what they add to
   * the pod was not audited, and the scan says so rather than passing it silently.
   */
  unreadPatches?: readonly UnreadPatch[];
  /** From the object root: where each pod-level field that is set was read (`runtimeClassName` -> path). */
  fieldPaths: Readonly<Record<string, DocPath>>;
}

/**
 * One pod unit of an object. Every path in it (containers, volumes, metadata, fields) is from the object
 * root, so rules return paths that point at the real field whatever the kind.
 */
export interface Workload {
  object: K8sObject;
  /** Path from the object root to the pod unit; [] for a Pod. */
  unitPath: DocPath;
  template: PodTemplate;
  /** True when the kind is not in the layout table and the unit was found by walking the object. */
  generic?: boolean;
}

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

interface Match {
  value: unknown;
  path: DocPath;
}

/** A pattern split at its `*`s: the keys before the first, between each, after the last. */
interface Compiled {
  fromRoot: boolean;
  groups: readonly (readonly string[])[];
}

function compile(pattern: Pattern): Compiled {
  const fromRoot = pattern[0] === "/";
  const groups: string[][] = [[]];
  for (const key of fromRoot ? pattern.slice(1) : pattern) {
    if (key === "*") groups.push([]);
    else groups[groups.length - 1]?.push(key);
  }
  return { fromRoot, groups };
}

/** A layout with its patterns compiled once (looked up once per object, not once per pattern). */
interface CompiledLayout {
  layout: PodLayout;
  units: Compiled[];
  containers: {
    slot: ContainerSlot;
    at: Compiled;
    list: boolean;
    shared?: Compiled;
    defaultImage?: Compiled;
    template?: Compiled;
  }[];
  volumes: { at: Compiled; shared: boolean }[];
  podFields: Compiled[];
  volumeDefaults?: Compiled;
  inheritedMetadata: Compiled[];
  patches: Compiled[];
}

const compiledLayouts = new WeakMap<PodLayout, CompiledLayout>();

function compileLayout(layout: PodLayout): CompiledLayout {
  let c = compiledLayouts.get(layout);
  if (!c) {
    c = {
      layout,
      units: layout.units.map(compile),
      containers: layout.containers.map((slot) => {
        const entry: CompiledLayout["containers"][number] = {
          slot,
          at: compile(slot.at),
          list: slot.at[slot.at.length - 1] === "*",
        };
        if (slot.sharedMounts) entry.shared = compile(slot.sharedMounts);
        if (slot.defaultImage) entry.defaultImage = compile(slot.defaultImage);
        if (slot.template) entry.template = compile(slot.template);
        return entry;
      }),
      volumes: [
        ...layout.volumes.map((v) => ({ at: compile(v), shared: v[0] === "/" })),
        ...(layout.podVolumes ?? []).map((v) => ({ at: compile(v), shared: false })),
      ],
      podFields: layout.podFields.map(compile),
      inheritedMetadata: (layout.inheritedMetadata ?? []).map(compile),
      patches: (layout.patches ?? []).map(compile),
    };
    if (layout.volumeDefaults) c.volumeDefaults = compile(layout.volumeDefaults);
    compiledLayouts.set(layout, c);
  }
  return c;
}

/** A place the pattern is matched from: the object root and, for relative patterns, the unit. */
interface Base {
  root: JsonObject;
  value: unknown;
  path: DocPath;
}

/** Every value a pattern matches below the unit (or the object root for a `/` pattern). */
function matchAll(base: Base, c: Compiled): Match[] {
  const out: Match[] = [];
  if (c.fromRoot) collect(base.root, [], c.groups, 0, out);
  else collect(base.value, base.path, c.groups, 0, out);
  return out;
}

/** `path` with one more key, as a new array (slice + push: the cheapest copy in V8 for short paths). */
function append(path: DocPath, key: string | number): (string | number)[] {
  const out = path.slice();
  out.push(key);
  return out;
}

function collect(value: unknown, path: DocPath, groups: Compiled["groups"], gi: number, out: Match[]): void {
  const keys = groups[gi] as readonly string[];
  let v = value;
  for (let i = 0; i < keys.length; i++) {
    if (!isObject(v)) return;
    v = v[keys[i] as string];
  }
  if (v === undefined) return;
  let here = path;
  if (keys.length > 0) {
    const p = path.slice();
    for (let i = 0; i < keys.length; i++) p.push(keys[i] as string);
    here = p;
  }
  if (gi === groups.length - 1) {
    out.push({ value: v, path: here });
  } else if (Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) collect(v[j], append(here, j), groups, gi + 1, out);
  } else if (isObject(v)) {
    for (const k in v) collect(v[k], append(here, k), groups, gi + 1, out);
  }
}

function execCommand(v: unknown): string[] | undefined {
  if (!isObject(v) || !isObject(v.exec)) return undefined;
  const cmd = strList(v.exec.command);
  return cmd.length > 0 ? cmd : undefined;
}

function scalarText(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

/**
 * The container's variables as the kubelet builds them (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables,
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/kubelet_pods.go): every key of each
 * envFrom source (with its prefix) first, then each env entry in order; a literal value has `$(VAR)`
 * references to the variables defined before it expanded; a later definition replaces an earlier one.
 */
/**
 * An EnvVar whose paths are built when a rule asks for them (most variables are never reported, and a
 * large input has hundreds of thousands of them).
 */
class EnvEntry implements EnvVar {
  value?: string;
  from?: EnvValueSource;
  #path: DocPath | undefined;
  #valuePath: DocPath | undefined;
  constructor(
    readonly index: number,
    readonly name: string,
    private readonly container: DocPath,
    /** The index in `env` or `envFrom`. */
    private readonly entry: number,
    /** Where the entry is written when it is not in the container's own list (a template, a patch). */
    fixed?: DocPath,
  ) {
    this.#path = fixed;
  }
  get path(): DocPath {
    this.#path ??= [...this.container, this.index < 0 ? "envFrom" : "env", this.entry];
    return this.#path;
  }
  get valuePath(): DocPath {
    this.#valuePath ??=
      this.index < 0 ? this.path : [...this.path, this.from === undefined ? "value" : "valueFrom"];
    return this.#valuePath;
  }
}

/** Keeps the last definition of each name, in the order of those last definitions. */
function lastDefinitions(vars: EnvEntry[]): EnvEntry[] {
  if (vars.length < 2) return vars;
  let dup = false;
  if (vars.length <= 16) {
    // A few variables (the usual case): comparing is cheaper than hashing.
    for (let a = 1; a < vars.length && !dup; a++)
      for (let b = 0; b < a; b++) if (vars[a]?.name === vars[b]?.name) dup = true;
  } else {
    dup = new Set(vars.map((v) => v.name)).size !== vars.length;
  }
  if (!dup) return vars;
  const kept: EnvEntry[] = [];
  const seen = new Set<string>();
  for (let k = vars.length - 1; k >= 0; k--) {
    const v = vars[k] as EnvEntry;
    if (seen.has(v.name)) continue;
    seen.add(v.name);
    kept.push(v);
  }
  return kept.reverse();
}

function containerEnv(
  raw: JsonObject,
  cpath: DocPath,
  namespace: string | undefined,
  sources?: EnvSources,
): EnvVar[] {
  // In definition order; a name defined again is dropped from its earlier place at the end.
  const vars: EnvEntry[] = [];
  const definedValue = (n: string): string | undefined => {
    for (let k = vars.length - 1; k >= 0; k--) if (vars[k]?.name === n) return vars[k]?.value;
    return undefined;
  };
  // Plain loops, not forEach: a callback per variable showed in bench/files profiles.
  const envFrom = raw.envFrom;
  if (Array.isArray(envFrom)) {
    for (let j = 0; j < envFrom.length; j++) {
      const e = envFrom[j];
      if (!isObject(e)) continue;
      const prefix = str(e.prefix) ?? "";
      const ref = isObject(e.configMapRef) ? e.configMapRef : isObject(e.secretRef) ? e.secretRef : undefined;
      const kind = isObject(e.configMapRef) ? "configMap" : "secret";
      const name = ref ? str(ref.name) : undefined;
      if (!name) continue;
      const data = sources?.lookup(kind, namespace, name);
      if (!data) continue;
      for (const key of Object.keys(data)) {
        const v = new EnvEntry(-1, `${prefix}${key}`, cpath, j, entryPaths.get(e));
        v.from = { kind, name, resolved: true };
        const value = data[key];
        if (value !== undefined) v.value = value;
        vars.push(v);
      }
    }
  }
  const envList = raw.env;
  if (Array.isArray(envList)) {
    for (let i = 0; i < envList.length; i++) {
      const e = envList[i];
      if (!isObject(e)) continue;
      const name = str(e.name);
      if (!name) continue;
      const v = new EnvEntry(i, name, cpath, i, entryPaths.get(e));
      const literal = scalarText(e.value);
      if (literal !== undefined) {
        v.value = literal.includes("$") ? expandVars(literal, definedValue) : literal;
      } else if (isObject(e.valueFrom)) {
        const vf = e.valueFrom;
        const ref = isObject(vf.configMapKeyRef)
          ? vf.configMapKeyRef
          : isObject(vf.secretKeyRef)
            ? vf.secretKeyRef
            : undefined;
        if (ref) {
          const kind = isObject(vf.configMapKeyRef) ? "configMap" : "secret";
          const refName = str(ref.name) ?? "";
          const key = str(ref.key) ?? "";
          const value = refName && key ? sources?.lookup(kind, namespace, refName)?.[key] : undefined;
          v.from = { kind, name: refName, key, resolved: value !== undefined };
          if (value !== undefined) v.value = value;
        } else {
          v.from = {
            kind: isObject(vf.fieldRef)
              ? "fieldRef"
              : isObject(vf.resourceFieldRef)
                ? "resourceFieldRef"
                : "other",
          };
        }
      }
      vars.push(v);
    }
  }
  return lastDefinitions(vars);
}

/** Read-only stand-ins for an absent mapping or match list (one shared object, not one per container). */
const NO_FIELDS: JsonObject = Object.freeze({}) as JsonObject;
const NO_MATCHES: readonly Match[] = Object.freeze([]);
const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const LIFECYCLE_HOOKS = ["postStart", "preStop"] as const;

function toContainer(
  raw: JsonObject,
  cslot: CompiledLayout["containers"][number],
  index: number,
  path: DocPath,
  unit: Base,
  namespace: string | undefined,
  sources: EnvSources | undefined,
): Container {
  const sc = isObject(raw.securityContext) ? raw.securityContext : NO_FIELDS;
  const resources = isObject(raw.resources) ? raw.resources : NO_FIELDS;
  const env = containerEnv(raw, path, namespace, sources);
  // The kubelet expands command, args and subPathExpr with the container's variables; an unknown
  // reference stays as written (third_party/forked/golang/expansion/expand.go).
  let lookup: ((name: string) => string | undefined) | undefined;
  const expand = (text: string): string => {
    if (!text.includes("$")) return text;
    if (!lookup) {
      const m = new Map<string, string>();
      for (const e of env) if (e.value !== undefined) m.set(e.name, e.value);
      lookup = (n) => m.get(n);
    }
    return expandVars(text, lookup);
  };
  const mounts: VolumeMount[] = [];
  const own = Array.isArray(raw.volumeMounts) ? raw.volumeMounts : [];
  const slot = cslot.slot;
  const shared = cslot.shared ? matchAll(unit, cslot.shared) : NO_MATCHES;
  for (let k = 0; k < own.length + shared.length; k++) {
    const sh = k < own.length ? undefined : shared[k - own.length];
    const m = sh ? sh.value : own[k];
    if (!isObject(m)) continue;
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (!name || !mountPath) continue;
    const inherited = sh ? sh.path : entryPaths.get(m);
    const vm: VolumeMount = inherited
      ? new Mount(
          Number(inherited[inherited.length - 1]),
          name,
          mountPath,
          m.readOnly === true,
          [],
          inherited,
        )
      : new Mount(k, name, mountPath, m.readOnly === true, path);
    const subPath = str(m.subPath);
    const subPathExpr = str(m.subPathExpr);
    if (subPath) {
      vm.subPath = subPath;
      vm.subPathField = "subPath";
    } else if (subPathExpr) {
      vm.subPath = expand(subPathExpr);
      vm.subPathField = "subPathExpr";
    }
    mounts.push(vm);
  }
  const hooks: ExecHook[] = [];
  for (const probe of PROBES) {
    const cmd = execCommand(raw[probe]);
    if (cmd) hooks.push({ where: probe, command: cmd, path: [probe, "exec", "command"] });
  }
  if (isObject(raw.lifecycle)) {
    for (const hook of LIFECYCLE_HOOKS) {
      const cmd = execCommand(raw.lifecycle[hook]);
      if (cmd)
        hooks.push({
          where: `lifecycle.${hook}`,
          command: cmd,
          path: ["lifecycle", hook, "exec", "command"],
        });
    }
  }
  let image = str(raw.image);
  if (image === undefined && cslot.defaultImage) {
    const m = matchAll(unit, cslot.defaultImage)[0];
    image = str(m?.value);
    // The image is written at the default's place (Spark spec.image): a finding on it points there.
    if (m && image !== undefined) placeKey(raw, "image", m.path.slice(0, -1));
  }
  const c: Container = {
    group: slot.group,
    index,
    name: str(raw.name) ?? slot.defaultName ?? `${slot.group}[${index}]`,
    image: image ?? "",
    command: expandAll(strList(raw.command), expand),
    args: expandAll(strList(raw.args), expand),
    env,
    volumeMounts: mounts,
    execHooks: hooks,
    privileged: sc.privileged === true,
    limits: strMap(resources.limits),
    requests: strMap(resources.requests),
    raw,
    path,
  };
  const pull = str(raw.imagePullPolicy);
  if (pull) c.imagePullPolicy = pull;
  if (isObject(sc.seccompProfile)) {
    const t = str(sc.seccompProfile.type);
    if (t) c.seccompProfileType = t;
  }
  // Argo: script.source; Tekton: steps[].script.
  const script = str(raw.source) ?? str(raw.script);
  if (script)
    c.script = { text: script, path: fieldPath(raw, path, [raw.source !== undefined ? "source" : "script"]) };
  return c;
}

/**
 * Where an `env`, `envFrom` or `volumeMounts` entry of a merged container is written when its index in the
 * merged list is not its index in the container's own list: an entry a merge took from another layer (a
 * Tekton stepTemplate, Argo templateDefaults, a podSpecPatch), or one of the container's own entries moved
 * behind inherited ones. A finding on it points at the line that writes it.
 */
const entryPaths = new WeakMap<object, DocPath>();

/**
 * In a mapping a merge built (`mergeContainer`), the keys whose values a layer other than the container's
 * own wrote, each with the path (from the object root) of the layer's mapping that holds it. A key not
 * listed is the container's own, or a mapping merged from several layers that has an entry of its own
 * here. Also a container's field taken from elsewhere without a merge (Spark's spec.image). Only such
 * containers have entries: a container without layers costs nothing.
 */
const keyPlaces = new WeakMap<JsonObject, Map<string, DocPath>>();

/** Records that `obj[key]` is written in the mapping at `place` (from the object root). */
function placeKey(obj: JsonObject, key: string, place: DocPath): void {
  const rec = keyPlaces.get(obj);
  if (rec) rec.set(key, place);
  else keyPlaces.set(obj, new Map([[key, place]]));
}

/** Lists of a Container merged by key in a strategic merge patch (k8s.io/api/core/v1 patchMergeKey tags). */
const MERGE_KEYS: Readonly<Record<string, string>> = { env: "name", volumeMounts: "mountPath" };

/** Where `v[k]` is written when `v` is written at `place` (undefined: the container's own place). */
function childPlace(v: JsonObject, place: DocPath | undefined, k: string): DocPath | undefined {
  const p = keyPlaces.get(v)?.get(k) ?? place;
  return p && append(p, k);
}

/**
 * `top` over `base`, key by key (mappings merge, anything else replaces), recording in `keyPlaces` where
 * each key of the result is written. `basePlace`/`topPlace` are where `base`/`top` are written, undefined
 * for the container's own mapping.
 */
function mergeMaps(
  base: JsonObject,
  basePlace: DocPath | undefined,
  top: JsonObject,
  topPlace: DocPath | undefined,
): JsonObject {
  const out: JsonObject = { ...base };
  const baseRec = keyPlaces.get(base);
  const topRec = keyPlaces.get(top);
  let rec: Map<string, DocPath> | undefined;
  // Set when a mapping below holds keys of another layer: the path lookup must not stop at this one.
  let below = false;
  if (baseRec || basePlace) {
    rec = new Map();
    for (const k in base) {
      const p = baseRec?.get(k) ?? basePlace;
      if (p) rec.set(k, p);
    }
  }
  for (const k in top) {
    const b = out[k];
    const t = top[k] as Json;
    if (isObject(b) && isObject(t)) {
      // A mapping from several layers: its own entries say where each of its keys is written.
      const merged = mergeMaps(b, childPlace(base, basePlace, k), t, childPlace(top, topPlace, k));
      out[k] = merged;
      rec?.delete(k);
      if (keyPlaces.has(merged)) below = true;
    } else {
      out[k] = t;
      if (isObject(t) && keyPlaces.has(t)) below = true;
      const p = topRec?.get(k) ?? topPlace;
      if (p) {
        rec ??= new Map();
        rec.set(k, p);
      } else rec?.delete(k);
    }
  }
  // A side that had a record may have left mappings with records of their own below this one.
  if (rec?.size || below || baseRec || topRec) keyPlaces.set(out, rec ?? new Map());
  return out;
}

/**
 * Container-shaped layers merged as a strategic merge patch of a Container merges them, earliest first
 * (a later layer wins): fields replace, mappings merge key by key, `env` merges by name and
 * `volumeMounts` by mountPath (Tekton: https://tekton.dev/docs/pipelines/tasks/#specifying-a-step-template;
 * Argo: https://argo-workflows.readthedocs.io/en/latest/template-defaults/). The layer at `home` is the
 * container's own; whatever comes from another layer keeps the path it is written at (`keyPlaces` for
 * fields, `entryPaths` for list entries), so a finding on it points at the layer that wrote it
 * (`containerFieldPath`).
 */
function mergeContainer(layers: readonly Match[], home: DocPath): JsonObject {
  let out: JsonObject = {};
  for (const layer of layers) {
    if (!isObject(layer.value)) continue;
    const own = layer.path === home;
    const top: JsonObject = {};
    for (const k in layer.value) {
      const v = layer.value[k] as Json;
      const key = Object.hasOwn(MERGE_KEYS, k) ? MERGE_KEYS[k] : undefined;
      const before = out[k];
      // Entries of another layer keep their path, and so do the container's own in a list merged by key:
      // inherited entries before them, or a later layer's replacing one of them, move them in the merged
      // list, where their index is not their index in the container.
      if (Array.isArray(v) && (key || (!own && k === "envFrom"))) {
        for (let i = 0; i < v.length; i++) {
          const e = v[i];
          if (isObject(e) && !entryPaths.has(e)) entryPaths.set(e, append(append(layer.path, k), i));
        }
      }
      if (key && Array.isArray(v) && Array.isArray(before)) {
        const mine = new Set(v.map((e) => (isObject(e) ? scalarText(e[key]) : undefined)));
        top[k] = [...before.filter((e) => !(isObject(e) && mine.has(scalarText(e[key])))), ...v];
      } else {
        top[k] = v;
      }
    }
    // `top` stands for the layer: a layer that is itself a merge (a podSpecPatch over a merged container)
    // brings its own record of where its keys are written.
    const rec = keyPlaces.get(layer.value);
    if (rec) keyPlaces.set(top, rec);
    out = mergeMaps(out, undefined, top, own ? undefined : layer.path);
  }
  return out;
}

/**
 * Where a field of a container is written, from the object root; `rel` is relative to the container
 * (["image"], ["securityContext", "privileged"], ["command", 2]). A field a merge took from another layer
 * (a Tekton stepTemplate, Argo templateDefaults or a podSpecPatch) is at that layer's line, not the
 * container's; a field the container lacks is given at the container's own place.
 */
export function containerFieldPath(c: Container, rel: readonly (string | number)[]): DocPath {
  return fieldPath(c.raw, c.path, rel);
}

/** As `containerFieldPath`, for a field of a volume (a templateDefaults volume merged under a template's). */
export function volumeFieldPath(v: Volume, rel: readonly (string | number)[]): DocPath {
  return fieldPath(v.raw, v.path, rel);
}

function fieldPath(raw: JsonObject, home: DocPath, rel: readonly (string | number)[]): DocPath {
  if (!keyPlaces.has(raw)) return [...home, ...rel];
  let cur: unknown = raw;
  let path: (string | number)[] = home.slice();
  for (const k of rel) {
    const place = isObject(cur) && typeof k === "string" ? keyPlaces.get(cur)?.get(k) : undefined;
    const next = at(cur, [k]);
    const entry = isObject(next) ? entryPaths.get(next) : undefined;
    if (entry) path = entry.slice();
    else if (place) path = append(place, k);
    else path.push(k);
    cur = next;
  }
  return path;
}

/** A VolumeMount whose path is built when a rule asks for it. */
class Mount implements VolumeMount {
  subPath?: string;
  subPathField?: "subPath" | "subPathExpr";
  #path: DocPath | undefined;
  constructor(
    readonly index: number,
    readonly name: string,
    readonly mountPath: string,
    readonly readOnly: boolean,
    private readonly container: DocPath,
    fixedPath?: DocPath,
  ) {
    this.#path = fixedPath;
  }
  get path(): DocPath {
    this.#path ??= [...this.container, "volumeMounts", this.index];
    return this.#path;
  }
}

/** Expands every element in place (the list is ours), touching only elements with a `$`. */
function expandAll(list: string[], expand: (text: string) => string): string[] {
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as string;
    if (t.includes("$")) list[i] = expand(t);
  }
  return list;
}

function toVolume(v: JsonObject, index: number, path: DocPath): Volume {
  const vol: Volume = { index, name: str(v.name) ?? "", raw: v, path };
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
  return vol;
}

/** The pod-level fields rules read; each is taken from the last podFields mapping that sets it. */
const POD_FIELDS = [
  "runtimeClassName",
  "serviceAccountName",
  "serviceAccount",
  "imagePullSecrets",
  "hostPID",
  "hostNetwork",
  "securityContext",
  "nodeSelector",
] as const;

type PodFields = Record<(typeof POD_FIELDS)[number], Json | undefined>;

/** A container slot for containers a pod spec patch adds (they have no place in the layout). */
const PATCH_SLOTS = new Map(
  (["containers", "initContainers"] as const).map((group) => [
    group,
    { slot: { at: [group, "*"], group }, at: compile([group, "*"]), list: true },
  ]),
);

/** A pod spec patch that could not be read: where it is written (from the object root) and why. */
export interface UnreadPatch {
  path: DocPath;
  reason: string;
}

/**
 * The parsed pod spec patches of a unit (Argo podSpecPatch), with the path of the string each is written
 * in. A patch that does not parse to a mapping goes to `unread`: Argo would fail that pod at run time,
 * but a patch the scan cannot read may still carry a Docker socket mount, so it must not pass unsaid.
 */
function unitPatches(
  unit: Base,
  cl: CompiledLayout,
  parse: EmbeddedParser | undefined,
  unread: UnreadPatch[],
): Match[] {
  const out: Match[] = [];
  if (!parse) return out;
  for (const pattern of cl.patches) {
    for (const m of matchAll(unit, pattern)) {
      if (typeof m.value !== "string") continue;
      let value: unknown;
      try {
        value = parse(m.value);
      } catch (e) {
        const first = (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
        unread.push({ path: m.path, reason: first });
        continue;
      }
      if (isObject(value)) out.push({ value, path: m.path });
      else if (m.value.trim() !== "")
        unread.push({ path: m.path, reason: "not a mapping of pod spec fields" });
    }
  }
  return out;
}

/**
 * Parses a JSON or YAML string embedded in an object (an Argo podSpecPatch). Core has no YAML parser:
 * the scan passes the product's (src/manifests), so the patch is read as the manifests are.
 */
export type EmbeddedParser = (text: string) => unknown;

function buildUnit(
  obj: K8sObject,
  cl: CompiledLayout,
  unitValue: unknown,
  unitPath: DocPath,
  sources: EnvSources | undefined,
  parse: EmbeddedParser | undefined,
): PodTemplate | undefined {
  const layout = cl.layout;
  const unit: Base = { root: obj.raw, value: unitValue, path: unitPath };
  const containers: Container[] = [];
  const slots: CompiledLayout["containers"][number][] = [];
  for (const cslot of cl.containers) {
    // Defaults come after the unit's own slots in the table: a unit with no container of its own is
    // not a pod.
    if (cslot.slot.fromDefaults && containers.length === 0) continue;
    const tpl = cslot.template ? matchAll(unit, cslot.template)[0] : undefined;
    for (const m of matchAll(unit, cslot.at)) {
      if (!isObject(m.value)) continue;
      if (cslot.slot.fromDefaults) {
        // Argo merges templateDefaults into the template as a strategic merge patch over its Template
        // type (mergedTemplateDefaultsInto, workflow/controller/operator.go:
        // https://github.com/argoproj/argo-workflows/blob/main/workflow/controller/operator.go), whose
        // `initContainers` and `sidecars` carry patchStrategy:"merge" patchMergeKey:"name"
        // (https://github.com/argoproj/argo-workflows/blob/main/pkg/apis/workflow/v1alpha1/workflow_types.go):
        // the template's container of that name is merged over the default one, field by field.
        const name = str(m.value.name);
        const k = containers.findIndex((c) => c.group === cslot.slot.group && c.name === name);
        const old = containers[k];
        const oslot = slots[k];
        if (old && oslot) {
          const raw = mergeContainer([m, { value: old.raw, path: old.path }], old.path);
          containers[k] = toContainer(raw, oslot, old.index, old.path, unit, obj.namespace, sources);
          continue;
        }
      }
      const index = cslot.list ? Number(m.path[m.path.length - 1]) : 0;
      const raw = tpl && isObject(tpl.value) ? mergeContainer([tpl, m], m.path) : m.value;
      containers.push(toContainer(raw, cslot, index, m.path, unit, obj.namespace, sources));
      slots.push(cslot);
    }
  }
  const spec = layout.spec ? at(unitValue, layout.spec) : undefined;
  if (containers.length === 0 && !isObject(spec)) return undefined;
  // A pod spec patch merges its containers into the pod's by name, or adds them
  // (https://argo-workflows.readthedocs.io/en/latest/fields/#template podSpecPatch).
  const unreadPatches: UnreadPatch[] = [];
  const patches = unitPatches(unit, cl, parse, unreadPatches);
  for (const patch of patches) {
    for (const [group, pslot] of PATCH_SLOTS) {
      const list = (patch.value as JsonObject)[group];
      if (!Array.isArray(list)) continue;
      list.forEach((pc, i) => {
        if (!isObject(pc)) return;
        const ppath = append(append(patch.path, group), i);
        const name = str(pc.name);
        const k = name === undefined ? -1 : containers.findIndex((c) => c.name === name);
        const old = containers[k];
        const cslot = slots[k];
        if (old && cslot) {
          const raw = mergeContainer(
            [
              { value: old.raw, path: old.path },
              { value: pc, path: ppath },
            ],
            old.path,
          );
          containers[k] = toContainer(raw, cslot, old.index, old.path, unit, obj.namespace, sources);
        } else {
          containers.push(toContainer(pc, pslot, i, ppath, unit, obj.namespace, sources));
          slots.push(pslot);
        }
      });
    }
  }
  const volumes: Volume[] = [];
  let mounted: Set<string> | undefined;
  /** The unit's own volumes (not the object's), for layouts with volume defaults only. */
  const own = cl.volumeDefaults ? new Set<Volume>() : undefined;
  /** The object's volumes this unit's pod gets (layouts with volume defaults only). */
  const fromObject = cl.volumeDefaults ? new Set<Volume>() : undefined;
  for (const { at: pattern, shared } of cl.volumes) {
    // Volumes declared for the whole object (an Argo workflow's spec.volumes) go into the pods whose
    // containers mount them (Argo adds only referenced workflow volumes to a template's pod).
    if (shared) mounted ??= new Set(containers.flatMap((c) => c.volumeMounts.map((m) => m.name)));
    for (const m of matchAll(unit, pattern)) {
      if (!isObject(m.value)) continue;
      const v = toVolume(m.value, Number(m.path[m.path.length - 1]), m.path);
      if (!shared || mounted?.has(v.name)) volumes.push(v);
      if (!shared) own?.add(v);
      else fromObject?.add(v);
    }
  }
  if (cl.volumeDefaults) {
    // Argo merges templateDefaults.volumes into the template's (Template.Volumes has patchMergeKey "name",
    // https://github.com/argoproj/argo-workflows/blob/main/pkg/apis/workflow/v1alpha1/workflow_types.go)
    // and puts every template volume in the pod (workflow/controller/workflowpod.go): a default is in
    // the pod, with the unit's own volume of its name merged over it.
    for (const m of matchAll(unit, cl.volumeDefaults)) {
      if (!isObject(m.value)) continue;
      const name = str(m.value.name);
      const k = name === undefined ? -1 : volumes.findIndex((x) => x.name === name && own?.has(x));
      const old = volumes[k];
      if (old) volumes[k] = toVolume(mergeMaps(m.value, m.path, old.raw, undefined), old.index, old.path);
      else volumes.push(toVolume(m.value, Number(m.path[m.path.length - 1]), m.path));
    }
    // A workflow volume named like one of the template's is never added: Argo looks a mount's volume
    // up in the template's volumes first and adds a name only once (addVolumeReferences,
    // https://github.com/argoproj/argo-workflows/blob/main/workflow/controller/workflowpod.go).
    if (fromObject && fromObject.size > 0) {
      const local = new Set(volumes.filter((v) => !fromObject.has(v)).map((v) => v.name));
      for (let i = volumes.length - 1; i >= 0; i--) {
        const v = volumes[i] as Volume;
        if (fromObject.has(v) && local.has(v.name)) volumes.splice(i, 1);
      }
    }
  }
  for (const patch of patches) {
    const list = (patch.value as JsonObject).volumes;
    if (!Array.isArray(list)) continue;
    list.forEach((v, i) => {
      if (!isObject(v)) return;
      const vpath = append(append(patch.path, "volumes"), i);
      // PodSpec.volumes is merged by name (patchMergeKey "name" in k8s.io/api/core/v1): the patch's
      // fields over the pod's volume of that name, or a volume added.
      const k = volumes.findIndex((x) => x.name === str(v.name));
      const old = volumes[k];
      if (old) volumes[k] = toVolume(mergeMaps(old.raw, old.path, v, undefined), i, vpath);
      else volumes.push(toVolume(v, i, vpath));
    });
  }
  // Pod-level fields: a fixed shape (fast property access), each from the last source that sets it.
  const fields: PodFields = {
    runtimeClassName: undefined,
    serviceAccountName: undefined,
    serviceAccount: undefined,
    imagePullSecrets: undefined,
    hostPID: undefined,
    hostNetwork: undefined,
    securityContext: undefined,
    nodeSelector: undefined,
  };
  const fieldPaths: Record<string, DocPath> = {};
  let last: JsonObject | undefined;
  const fieldSources = cl.podFields.map((pattern) => matchAll(unit, pattern));
  if (patches.length > 0) fieldSources.push(patches);
  for (const matches of fieldSources) {
    for (const m of matches) {
      if (!isObject(m.value)) continue;
      last = m.value;
      for (const f of POD_FIELDS) {
        const v = m.value[f];
        if (v === undefined) continue;
        fields[f] = v;
        fieldPaths[f] = append(m.path, f);
      }
    }
  }
  const md = layout.metadata ? at(unitValue, layout.metadata) : undefined;
  let labels = isObject(md) ? strMap(md.labels) : EMPTY;
  let annotations = isObject(md) ? strMap(md.annotations) : EMPTY;
  let annotationPaths: Record<string, DocPath> | undefined;
  // Inherited metadata, latest first: each adds what the pod's own metadata (and later sources) lack.
  for (let i = cl.inheritedMetadata.length - 1; i >= 0; i--) {
    for (const m of matchAll(unit, cl.inheritedMetadata[i] as Compiled)) {
      if (!isObject(m.value)) continue;
      const moreLabels = strMap(m.value.labels);
      const moreAnnotations = strMap(m.value.annotations);
      for (const k in moreLabels) if (!(k in labels)) labels = { ...labels, [k]: moreLabels[k] as string };
      for (const k in moreAnnotations) {
        if (k in annotations) continue;
        annotations = { ...annotations, [k]: moreAnnotations[k] as string };
        annotationPaths ??= {};
        annotationPaths[k] = append(append(m.path, "annotations"), k);
      }
    }
  }
  const secrets: string[] = [];
  if (Array.isArray(fields.imagePullSecrets)) {
    for (const s of fields.imagePullSecrets) {
      const n = isObject(s) ? str(s.name) : undefined;
      if (n) secrets.push(n);
    }
  }
  const sc = isObject(fields.securityContext) ? fields.securityContext : NO_FIELDS;
  const pt: PodTemplate = {
    labels,
    annotations,
    containers,
    volumes,
    imagePullSecrets: secrets,
    hostPID: fields.hostPID === true,
    hostNetwork: fields.hostNetwork === true,
    nodeSelector: strMap(fields.nodeSelector),
    spec: isObject(spec) ? spec : (last ?? {}),
    fieldPaths,
  };
  // Spread, not concat: Array.prototype.concat was a visible share of buildUnit in bench/files.
  if (layout.metadata) pt.metadataPath = [...unitPath, ...layout.metadata];
  if (annotationPaths) pt.annotationPaths = annotationPaths;
  if (unreadPatches.length > 0) pt.unreadPatches = unreadPatches;
  const rc = str(fields.runtimeClassName);
  if (rc) pt.runtimeClassName = rc;
  const sa = str(fields.serviceAccountName) ?? str(fields.serviceAccount);
  if (sa) pt.serviceAccountName = sa;
  if (isObject(sc.seccompProfile)) {
    const t = str(sc.seccompProfile.type);
    if (t) pt.seccompProfileType = t;
  }
  return pt;
}

/** A mapping with a PodSpec's container lists at its top: a unit found by the generic walk. */
const POD_SPEC_LAYOUT: PodLayout = {
  units: [[]],
  containers: [
    { at: ["initContainers", "*"], group: "initContainers" },
    { at: ["containers", "*"], group: "containers" },
    { at: ["ephemeralContainers", "*"], group: "ephemeralContainers" },
    { at: ["sidecars", "*"], group: "sidecars" },
  ],
  volumes: [["volumes", "*"]],
  podFields: [[]],
};

/** As POD_SPEC_LAYOUT, for a `spec` under a {metadata, spec} template: metadata is its sibling. */
const TEMPLATE_SPEC_LAYOUT: PodLayout = {
  ...POD_SPEC_LAYOUT,
  containers: POD_SPEC_LAYOUT.containers.map((c) => ({ ...c, at: ["spec", ...c.at] })),
  volumes: [["spec", "volumes", "*"]],
  podFields: [["spec"]],
  metadata: ["metadata"],
};

/** How deep the generic walk looks for container lists (pod specs sit a few levels down in practice). */
const MAX_WALK_DEPTH = 32;

function hasImageContainers(v: unknown): boolean {
  return Array.isArray(v) && v.some((c) => isObject(c) && typeof c.image === "string");
}

/**
 * Every mapping that holds a `containers` list with at least one `image` (a PodSpec, or something shaped
 * like one): the units of a kind the layout table does not know. The walk does not enter a unit it found.
 */
function genericUnits(root: JsonObject): { path: DocPath; layout: PodLayout }[] {
  const out: { path: DocPath; layout: PodLayout }[] = [];
  const visit = (v: unknown, path: (string | number)[], depth: number) => {
    if (depth > MAX_WALK_DEPTH) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        if (typeof x === "object" && x !== null) visit(x, [...path, i], depth + 1);
      });
      return;
    }
    if (!isObject(v)) return;
    if (hasImageContainers(v.containers)) {
      // {metadata, spec: {containers}} is walked from the template so its metadata is the pod's.
      const last = path[path.length - 1];
      if (last === "spec" && path.length > 1)
        out.push({ path: path.slice(0, -1), layout: TEMPLATE_SPEC_LAYOUT });
      else out.push({ path, layout: POD_SPEC_LAYOUT });
      return;
    }
    for (const k in v) {
      if (k === "metadata" || k === "status") continue;
      const x = v[k];
      if (typeof x === "object" && x !== null) visit(x, [...path, k], depth + 1);
    }
  };
  visit(root, [], 0);
  return out;
}

/**
 * The pod units of an object: by the layout table for known kinds (src/core/pod-layouts.ts), else by
 * walking a custom resource for container lists. Built-in kinds not in the table (ConfigMap, Service...)
 * have none. `sources` resolves env from ConfigMaps and Secrets; `parse` reads pod spec patches written
 * as strings (without it they are not applied).
 */
export function toWorkloads(obj: K8sObject, sources?: EnvSources, parse?: EmbeddedParser): Workload[] {
  const out: Workload[] = [];
  const layouts = layoutsFor(obj.apiVersion, obj.kind);
  if (layouts) {
    const root: Base = { root: obj.raw, value: obj.raw, path: [] };
    for (const layout of layouts) {
      const cl = compileLayout(layout);
      for (const pattern of cl.units) {
        for (const m of matchAll(root, pattern)) {
          if (!isObject(m.value)) continue;
          const template = buildUnit(obj, cl, m.value, m.path, sources, parse);
          if (template) out.push({ object: obj, unitPath: m.path, template });
        }
      }
    }
    if (out.length > 0 || isBuiltInGroup(apiGroup(obj.apiVersion))) return out;
  } else if (isBuiltInGroup(apiGroup(obj.apiVersion))) {
    return out;
  }
  for (const u of genericUnits(obj.raw)) {
    const template = buildUnit(obj, compileLayout(u.layout), at(obj.raw, u.path), u.path, sources, parse);
    if (template) out.push({ object: obj, unitPath: u.path, template, generic: true });
  }
  return out;
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
