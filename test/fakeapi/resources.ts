/**
 * The API resources the fake server serves: the built-in ones the audit reads, plus any
 * CustomResourceDefinition found among the loaded objects (served as the real apiextensions server
 * does: only versions with `served: true`). Shapes follow the discovery documents of
 * https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api
 */

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural, lower-case: "pods". */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
}

const RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function def(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: { shortNames?: string[]; categories?: string[]; verbs?: string[] } = {},
): ResourceDef {
  const d: ResourceDef = {
    group,
    version,
    resource,
    kind,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: extra.verbs ?? RW,
  };
  if (extra.shortNames) d.shortNames = extra.shortNames;
  if (extra.categories) d.categories = extra.categories;
  return d;
}

const ALL = ["all"];

export const BUILTIN_RESOURCES: readonly ResourceDef[] = [
  def("", "v1", "pods", "Pod", true, { shortNames: ["po"], categories: ALL }),
  def("", "v1", "nodes", "Node", false, { shortNames: ["no"] }),
  def("", "v1", "namespaces", "Namespace", false, {
    shortNames: ["ns"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  }),
  def("", "v1", "serviceaccounts", "ServiceAccount", true, { shortNames: ["sa"] }),
  def("", "v1", "secrets", "Secret", true),
  def("", "v1", "configmaps", "ConfigMap", true, { shortNames: ["cm"] }),
  def("", "v1", "events", "Event", true, { shortNames: ["ev"] }),
  def("", "v1", "podtemplates", "PodTemplate", true),
  def("", "v1", "replicationcontrollers", "ReplicationController", true, {
    shortNames: ["rc"],
    categories: ALL,
  }),
  def("apps", "v1", "deployments", "Deployment", true, { shortNames: ["deploy"], categories: ALL }),
  def("apps", "v1", "replicasets", "ReplicaSet", true, { shortNames: ["rs"], categories: ALL }),
  def("apps", "v1", "statefulsets", "StatefulSet", true, { shortNames: ["sts"], categories: ALL }),
  def("apps", "v1", "daemonsets", "DaemonSet", true, { shortNames: ["ds"], categories: ALL }),
  def("batch", "v1", "jobs", "Job", true, { categories: ALL }),
  def("batch", "v1", "cronjobs", "CronJob", true, { shortNames: ["cj"], categories: ALL }),
  def("coordination.k8s.io", "v1", "leases", "Lease", true),
  def("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, {
    shortNames: ["crd", "crds"],
  }),
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The resources one CustomResourceDefinition object serves (one per served version). */
export function resourcesOfCrd(crd: Obj): ResourceDef[] {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const group = typeof spec.group === "string" ? spec.group : "";
  const plural = typeof names.plural === "string" ? names.plural : "";
  const kind = typeof names.kind === "string" ? names.kind : "";
  if (!group || !plural || !kind) return [];
  const out: ResourceDef[] = [];
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    if (!isObj(v) || v.served === false || typeof v.name !== "string") continue;
    const d = def(group, v.name, plural, kind, spec.scope !== "Cluster");
    d.singular = typeof names.singular === "string" ? names.singular : kind.toLowerCase();
    if (Array.isArray(names.shortNames)) d.shortNames = names.shortNames.map(String);
    if (Array.isArray(names.categories)) d.categories = names.categories.map(String);
    out.push(d);
  }
  return out;
}

export function groupVersion(r: Pick<ResourceDef, "group" | "version">): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
