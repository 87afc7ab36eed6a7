/**
 * Audit subjects and their keys. A workload finding belongs to the top owner of the pod template
 * (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, or an owner the controller does not
 * watch, such as a CRD's object), following the controller ownerReference; node findings belong
 * to their node. A change to any object marks the subject it belongs to as dirty.
 */
import type { Subject } from "../core/types.js";
import { isObject, type JsonObject, str } from "../core/workload.js";
import { controllerOwner } from "./projection.js";

/** What the audit is asked about: a top owner (namespaced) or a node. */
export interface SubjectRef {
  kind: string;
  namespace?: string;
  name: string;
  /** Known when the object is in the cache (or named by an ownerReference). */
  apiVersion?: string;
  uid?: string;
}

/** A stable map key: `Kind/namespace/name` (namespace empty for cluster-scoped subjects). */
export function subjectKey(s: Pick<Subject, "kind" | "namespace" | "name">): string {
  return `${s.kind}/${s.namespace ?? ""}/${s.name}`;
}

export function parseSubjectKey(key: string): SubjectRef {
  const [kind = "", namespace = "", ...rest] = key.split("/");
  const ref: SubjectRef = { kind, name: rest.join("/") };
  if (namespace) ref.namespace = namespace;
  return ref;
}

/** Looks an object up in the cache by kind, namespace and name. */
export type Lookup = (kind: string, namespace: string | undefined, name: string) => JsonObject | undefined;

function refOf(obj: JsonObject, fallbackKind: string): SubjectRef {
  const md = isObject(obj.metadata) ? obj.metadata : {};
  const ref: SubjectRef = { kind: str(obj.kind) ?? fallbackKind, name: str(md.name) ?? "" };
  const ns = str(md.namespace);
  if (ns) ref.namespace = ns;
  const av = str(obj.apiVersion);
  if (av) ref.apiVersion = av;
  const uid = str(md.uid);
  if (uid) ref.uid = uid;
  return ref;
}

/**
 * The top owner of a namespaced object, walking controller ownerReferences through the cache. An
 * owner that is not cached (a kind we do not watch, or one already deleted) ends the walk: the
 * subject is that owner as the reference names it, so findings stay on one stable key.
 */
export function topOwner(obj: JsonObject, kind: string, lookup: Lookup): SubjectRef {
  let current = refOf(obj, kind);
  let currentObj: JsonObject | undefined = obj;
  // Owner chains are short (Pod -> ReplicaSet -> Deployment); the bound guards against cycles.
  for (let depth = 0; depth < 10 && currentObj; depth++) {
    const owner = controllerOwner(currentObj);
    if (!owner) break;
    const ownerKind = str(owner.kind);
    const ownerName = str(owner.name);
    if (!ownerKind || !ownerName) break;
    const next = lookup(ownerKind, current.namespace, ownerName);
    const ownerUid = str(owner.uid);
    if (next) {
      const md = isObject(next.metadata) ? next.metadata : {};
      // A recreated owner with the same name is not this object's owner.
      if (ownerUid && str(md.uid) && str(md.uid) !== ownerUid) {
        current = ownerRefAsSubject(owner, current.namespace);
        break;
      }
      current = refOf(next, ownerKind);
      currentObj = next;
    } else {
      current = ownerRefAsSubject(owner, current.namespace);
      currentObj = undefined;
    }
  }
  return current;
}

function ownerRefAsSubject(owner: JsonObject, namespace: string | undefined): SubjectRef {
  const ref: SubjectRef = { kind: str(owner.kind) ?? "", name: str(owner.name) ?? "" };
  if (namespace) ref.namespace = namespace;
  const av = str(owner.apiVersion);
  if (av) ref.apiVersion = av;
  const uid = str(owner.uid);
  if (uid) ref.uid = uid;
  return ref;
}
