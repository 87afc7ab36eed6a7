/**
 * The API resources the cluster audit reads. Built-in kinds are assumed served at the listed version
 * only when discovery says so; custom resources are listed when discovery finds their group/kind at
 * any version (the preferred one is used).
 */

export interface ResourceRef {
  group: string;
  version: string;
  /** Plural, lower-case: "deployments". */
  resource: string;
  kind: string;
  namespaced: boolean;
}

/** group + kind: how the audit names a kind independent of its served version. */
export interface GroupKind {
  group: string;
  kind: string;
}

/** Every workload kind the `files` command audits, built in (docs/README "What it reads"). */
export const BUILTIN_WORKLOADS: readonly GroupKind[] = [
  { group: "apps", kind: "Deployment" },
  { group: "apps", kind: "ReplicaSet" },
  { group: "apps", kind: "StatefulSet" },
  { group: "apps", kind: "DaemonSet" },
  { group: "batch", kind: "Job" },
  { group: "batch", kind: "CronJob" },
  { group: "", kind: "ReplicationController" },
  { group: "", kind: "PodTemplate" },
];

/** Custom workload kinds that carry pod templates, listed when their CRDs are served. */
export const CUSTOM_WORKLOADS: readonly GroupKind[] = [
  { group: "argoproj.io", kind: "Workflow" },
  { group: "argoproj.io", kind: "CronWorkflow" },
  { group: "argoproj.io", kind: "WorkflowTemplate" },
  { group: "argoproj.io", kind: "ClusterWorkflowTemplate" },
  { group: "argoproj.io", kind: "Rollout" },
  { group: "tekton.dev", kind: "Task" },
  { group: "tekton.dev", kind: "ClusterTask" },
  { group: "tekton.dev", kind: "Pipeline" },
  { group: "tekton.dev", kind: "TaskRun" },
  { group: "tekton.dev", kind: "PipelineRun" },
  { group: "keda.sh", kind: "ScaledJob" },
  { group: "serving.knative.dev", kind: "Service" },
  { group: "serving.knative.dev", kind: "Configuration" },
  { group: "serving.knative.dev", kind: "Revision" },
];

/** The other kinds the audit reads (Events only with `fieldSelector=reason=CgroupV1`). */
export const CORE_READS = {
  pods: { group: "", kind: "Pod" },
  nodes: { group: "", kind: "Node" },
  namespaces: { group: "", kind: "Namespace" },
  serviceAccounts: { group: "", kind: "ServiceAccount" },
  events: { group: "", kind: "Event" },
  configMaps: { group: "", kind: "ConfigMap" },
  secrets: { group: "", kind: "Secret" },
} as const satisfies Record<string, GroupKind>;

export function apiVersionOf(r: Pick<ResourceRef, "group" | "version">): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** "apps/v1" -> {group: "apps", version: "v1"}; "v1" -> core. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The URL path of a collection or an object. */
export function resourcePath(r: ResourceRef, namespace?: string, name?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${r.resource}${name ? `/${encodeURIComponent(name)}` : ""}`;
}
