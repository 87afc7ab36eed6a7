/**
 * What the controller keeps of each watched object: only what the rules and owner resolution read.
 * At 50,000 pods whole objects (status, managedFields, last-applied annotations) would not fit the
 * in-cluster memory limit; a pod run by a built-in controller keeps no spec at all, because the
 * audit reads its owner's pod template (a Deployment's template is audited once, not per pod).
 */
import { isObject, type JsonObject, str } from "../core/workload.js";

/** Annotations that are large and that no rule reads. */
const DROPPED_ANNOTATIONS = new Set([
  // A full copy of the object written by `kubectl apply`
  // (https://kubernetes.io/docs/reference/labels-annotations-taints/#kubectl-kubernetes-io-last-applied-configuration).
  "kubectl.kubernetes.io/last-applied-configuration",
]);

/** Annotation values longer than this are dropped: rules read short values (profile names, rule lists). */
export const MAX_ANNOTATION_VALUE = 2048;

/**
 * Owner kinds whose objects carry the pod template and are watched by the controller: a pod with a
 * controller owner of one of these kinds is audited through that owner, so its spec is not kept.
 */
export const TEMPLATE_OWNER_KINDS: ReadonlySet<string> = new Set([
  "ReplicaSet",
  "ReplicationController",
  "StatefulSet",
  "DaemonSet",
  "Job",
]);

export type Projection = (obj: JsonObject) => JsonObject;

/**
 * One shared copy of what many cached objects repeat: namespaces, apiVersions and kinds, node names,
 * and a ReplicaSet's ownerReference that its pods all carry. JSON.parse makes a new string (and
 * object) per occurrence; at 50,000 pods the copies are megabytes. Values must never be mutated
 * (projections are replaced, not edited). The table is bounded: past the cap it starts over, which
 * costs only sharing, never correctness.
 */
class Interner {
  readonly #m = new Map<string, unknown>();
  constructor(private readonly cap: number) {}
  get<T>(key: string, make: () => T): T {
    const hit = this.#m.get(key);
    if (hit !== undefined) return hit as T;
    if (this.#m.size >= this.cap) this.#m.clear();
    const v = make();
    this.#m.set(key, v);
    return v;
  }
}

const shared = new Interner(200_000);

/** The one copy of a repeated string. */
export function intern(s: string): string {
  return shared.get(`s\u0000${s}`, () => s);
}

/** A controller ownerReference as the projections keep it, one object per distinct reference. */
function ownerKey(o: JsonObject): string {
  return [str(o.apiVersion), str(o.kind), str(o.name), str(o.uid), o.controller === true].join("\u0000");
}

function ownerRef(o: JsonObject): JsonObject {
  const apiVersion = str(o.apiVersion);
  const kind = str(o.kind);
  const name = str(o.name);
  const uid = str(o.uid);
  const controller = o.controller === true;
  return shared.get(`o\u0000${ownerKey(o)}`, () => {
    const ref: JsonObject = {};
    if (apiVersion !== undefined) ref.apiVersion = intern(apiVersion);
    if (kind !== undefined) ref.kind = intern(kind);
    if (name !== undefined) ref.name = name;
    if (uid !== undefined) ref.uid = uid;
    if (controller) ref.controller = true;
    return Object.freeze(ref);
  });
}

function copyStrings(v: unknown, keep?: (k: string, v: string) => boolean): JsonObject | undefined {
  if (!isObject(v)) return undefined;
  let out: JsonObject | undefined;
  for (const k in v) {
    const val = v[k];
    if (typeof val !== "string") continue;
    if (keep && !keep(k, val)) continue;
    out ??= {};
    out[k] = val;
  }
  return out;
}

const keepAnnotation = (k: string, v: string) =>
  !DROPPED_ANNOTATIONS.has(k) && v.length <= MAX_ANNOTATION_VALUE;

/** metadata without managedFields, finalizers, generateName...: identity, owners, labels, annotations. */
export function projectMetadata(md: unknown): JsonObject {
  const out: JsonObject = {};
  if (!isObject(md)) return out;
  for (const k of ["name", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"]) {
    const v = str(md[k]);
    if (v !== undefined) out[k] = k === "namespace" ? intern(v) : v;
  }
  const labels = copyStrings(md.labels);
  if (labels) out.labels = labels;
  const annotations = copyStrings(md.annotations, keepAnnotation);
  if (annotations) out.annotations = annotations;
  if (Array.isArray(md.ownerReferences)) {
    const owners = md.ownerReferences.filter(isObject).map(ownerRef);
    if (owners.length > 0) out.ownerReferences = owners;
  }
  return out;
}

function head(obj: JsonObject, fallback: { apiVersion: string; kind: string }): JsonObject {
  return {
    apiVersion: intern(str(obj.apiVersion) ?? fallback.apiVersion),
    kind: intern(str(obj.kind) ?? fallback.kind),
    metadata: projectMetadata(obj.metadata),
  };
}

/** The controller ownerReference (at most one per object). */
export function controllerOwner(obj: JsonObject): JsonObject | undefined {
  const md = isObject(obj.metadata) ? obj.metadata : undefined;
  if (!md || !Array.isArray(md.ownerReferences)) return undefined;
  return md.ownerReferences.find((o): o is JsonObject => isObject(o) && o.controller === true);
}

/**
 * Pods: metadata, and the spec only when no watched template owner runs the pod (bare pods, static
 * pods, pods of a CRD's controller). `spec.nodeName` is always kept: it ties the pod to a node's platform.
 */
export function projectPod(obj: JsonObject): JsonObject {
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  const owner = controllerOwner(obj);
  const ownerKind = owner ? str(owner.kind) : undefined;
  if (owner && ownerKind && TEMPLATE_OWNER_KINDS.has(ownerKind)) {
    // Most of the 50,000: a compact record. The owner walk needs the name, namespace and the
    // controller reference; the audit reads the owner's template, never this pod's labels,
    // annotations, uid or timestamps.
    const md = isObject(obj.metadata) ? obj.metadata : {};
    const metadata: JsonObject = { name: str(md.name) ?? "" };
    const ns = str(md.namespace);
    if (ns) metadata.namespace = intern(ns);
    // The one-element list too is shared by the ReplicaSet's pods (projections are never edited).
    metadata.ownerReferences = shared.get(`l\u0000${ownerKey(owner)}`, () => [ownerRef(owner)]);
    const out: JsonObject = { apiVersion: intern("v1"), kind: intern("Pod"), metadata };
    const nodeName = spec ? str(spec.nodeName) : undefined;
    if (nodeName) out.spec = shared.get(`n\u0000${nodeName}`, () => Object.freeze({ nodeName }));
    return out;
  }
  const out = head(obj, { apiVersion: "v1", kind: "Pod" });
  if (spec) out.spec = spec;
  return out;
}

/**
 * Watched kinds that carry the template of the workloads they control: a ReplicaSet of a Deployment
 * (ten old ones per Deployment by default, revisionHistoryLimit) or a Job of a CronJob is audited
 * through that owner's template, so its own template copy is not kept.
 */
export const TEMPLATE_PARENT_KINDS: ReadonlySet<string> = new Set(["Deployment", "CronJob"]);

/** Workload controllers: metadata + spec (the pod template and replicas); status is dropped. */
export function projectWorkload(obj: JsonObject): JsonObject {
  const out = head(obj, { apiVersion: "", kind: "" });
  if (!isObject(obj.spec)) return out;
  const owner = controllerOwner(obj);
  const ownerKind = owner ? str(owner.kind) : undefined;
  if (ownerKind && TEMPLATE_PARENT_KINDS.has(ownerKind)) {
    const { template: _template, ...rest } = obj.spec;
    out.spec = rest;
  } else {
    out.spec = obj.spec;
  }
  return out;
}

/**
 * Nodes: metadata + `status.nodeInfo` (kubelet and runtime versions, OS, architecture). The image
 * list in `status.images` (often the largest part of a node) and conditions are dropped.
 */
export function projectNode(obj: JsonObject): JsonObject {
  const out = head(obj, { apiVersion: "v1", kind: "Node" });
  const status = isObject(obj.status) ? obj.status : undefined;
  if (status && isObject(status.nodeInfo)) out.status = { nodeInfo: status.nodeInfo };
  return out;
}

/** Namespaces and anything else where identity and labels suffice. */
export function projectMetadataOnly(obj: JsonObject): JsonObject {
  return head(obj, { apiVersion: "", kind: "" });
}

/** Core v1 Events the node rules read (CgroupV1 warnings): who, why, what, and when. */
export function projectEvent(obj: JsonObject): JsonObject {
  const out = head(obj, { apiVersion: "v1", kind: "Event" });
  for (const k of ["involvedObject", "source"]) {
    const v = obj[k];
    if (isObject(v)) out[k] = v;
  }
  for (const k of ["reason", "message", "type", "lastTimestamp", "eventTime"]) {
    const v = str(obj[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Deep equality of two projections, ignoring `metadata.resourceVersion`: a pod status update
 * changes the version but nothing we keep, and must not trigger a re-audit.
 */
export function sameProjection(a: JsonObject, b: JsonObject): boolean {
  const ma = isObject(a.metadata) ? a.metadata : {};
  const mb = isObject(b.metadata) ? b.metadata : {};
  const { resourceVersion: _ra, ...restA } = ma;
  const { resourceVersion: _rb, ...restB } = mb;
  if (!deepEqual(restA, restB)) return false;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k === "metadata") continue;
    if (!deepEqual(a[k], b[k])) return false;
  }
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  const oa = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(ob, k) && deepEqual(oa[k], ob[k]));
}
