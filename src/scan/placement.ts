/**
 * Which nodes a pod template can be scheduled on, as far as its labels decide: `nodeSelector` and
 * required node affinity (`requiredDuringSchedulingIgnoredDuringExecution`), matched against each
 * node's labels with the scheduler's operators
 * (https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#operators). Taints,
 * resources and preferred affinity are not considered: the answer is where the pod may land, which is
 * what its images must run on. Used by the cluster scan to check images for the platforms of those
 * nodes (kubernetes.io/os, kubernetes.io/arch and their beta.kubernetes.io forms are node labels).
 */
import type { Platform } from "../core/target.js";
import { isObject, type JsonObject, str } from "../core/workload.js";

/** A node as placement needs it: its labels (with os/arch filled in from nodeInfo) and platform. */
export interface NodePlacement {
  labels: Record<string, string>;
  platform?: Platform;
}

export function nodePlacement(node: JsonObject): NodePlacement {
  const md = isObject(node.metadata) ? node.metadata : {};
  const labels: Record<string, string> = {};
  if (isObject(md.labels))
    for (const [k, v] of Object.entries(md.labels)) if (typeof v === "string") labels[k] = v;
  const info = isObject(node.status) && isObject(node.status.nodeInfo) ? node.status.nodeInfo : {};
  const os = labels["kubernetes.io/os"] ?? labels["beta.kubernetes.io/os"] ?? str(info.operatingSystem);
  const arch = labels["kubernetes.io/arch"] ?? labels["beta.kubernetes.io/arch"] ?? str(info.architecture);
  // The kubelet sets both forms; a node object without them (hand-made, old) still has nodeInfo.
  if (os) {
    labels["kubernetes.io/os"] ??= os;
    labels["beta.kubernetes.io/os"] ??= os;
  }
  if (arch) {
    labels["kubernetes.io/arch"] ??= arch;
    labels["beta.kubernetes.io/arch"] ??= arch;
  }
  const p: NodePlacement = { labels };
  if (os && arch) p.platform = { os, architecture: arch };
  return p;
}

function matchExpression(e: unknown, labels: Record<string, string>): boolean {
  if (!isObject(e)) return false;
  const key = str(e.key) ?? "";
  const values = Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === "string") : [];
  const has = Object.hasOwn(labels, key);
  const v = labels[key];
  switch (e.operator) {
    case "In":
      return has && values.includes(v as string);
    case "NotIn":
      return !has || !values.includes(v as string);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      const n = Number.parseInt(v ?? "", 10);
      const bound = Number.parseInt(values[0] ?? "", 10);
      if (!has || Number.isNaN(n) || Number.isNaN(bound)) return false;
      return e.operator === "Gt" ? n > bound : n < bound;
    }
    default:
      // An operator the scheduler does not know matches nothing (the API server rejects it anyway).
      return false;
  }
}

/** Whether a pod spec may be placed on a node with these labels. */
export function schedulableOn(
  spec: JsonObject,
  nodeSelector: Readonly<Record<string, string>>,
  labels: Record<string, string>,
): boolean {
  for (const [k, v] of Object.entries(nodeSelector)) if (labels[k] !== v) return false;
  const req =
    isObject(spec.affinity) && isObject(spec.affinity.nodeAffinity)
      ? spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      : undefined;
  if (!isObject(req) || !Array.isArray(req.nodeSelectorTerms)) return true;
  // Terms are ORed; a term's expressions are ANDed; a term with no matchExpressions matches nothing
  // (matchFields on metadata.name is honoured only as "not by label", i.e. ignored here).
  return req.nodeSelectorTerms.some((t) => {
    if (!isObject(t)) return false;
    const exprs = Array.isArray(t.matchExpressions) ? t.matchExpressions : [];
    if (exprs.length === 0) return Array.isArray(t.matchFields) && t.matchFields.length > 0;
    return exprs.every((e) => matchExpression(e, labels));
  });
}

/**
 * The distinct platforms of the nodes a pod spec can run on; undefined when no known node matches
 * (the caller falls back to every platform among the nodes).
 */
export function templatePlatforms(
  spec: JsonObject,
  nodeSelector: Readonly<Record<string, string>>,
  nodes: readonly NodePlacement[],
): Platform[] | undefined {
  const out = new Map<string, Platform>();
  for (const n of nodes) {
    if (!n.platform || !schedulableOn(spec, nodeSelector, n.labels)) continue;
    out.set(`${n.platform.os}/${n.platform.architecture}`, n.platform);
  }
  if (out.size === 0) return undefined;
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
}
