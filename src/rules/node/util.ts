/** Small helpers shared by the node rules: dates as of the report day, target wording, evidence maps. */
import { describeRuntime, type NodeFacts, type NodeRuleContext } from "../../core/node.js";
import type { Severity } from "../../core/types.js";
import { atLeastMinor, formatVersion, type Version } from "../../core/version.js";
import { changeVersion, type KubeletChange } from "../data/k8s-runtime-support.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** How close an end-of-life date may come before N006 warns (docs/rules/N006.md). */
export const EOL_WARNING_DAYS = 90;

/** "2026-12-03": the report day in UTC. An invalid Date gives "an invalid date" rather than throwing. */
export function isoDay(d: Date): string {
  return Number.isNaN(d.getTime()) ? "an invalid date" : d.toISOString().slice(0, 10);
}

/** Whole days from the report day to an ISO date (negative when the date has passed); NaN for bad input. */
export function daysUntil(date: string, asOf: Date): number {
  const day = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
  return Math.round((Date.parse(`${date}T00:00:00Z`) - day) / DAY_MS);
}

/** "in 1 day", "in 87 days" */
export function inDays(days: number): string {
  return days === 1 ? "in 1 day" : `in ${days} days`;
}

/** high once the date has come, medium within EOL_WARNING_DAYS, else nothing. */
export function eolSeverity(date: string, asOf: Date): Severity | undefined {
  const days = daysUntil(date, asOf);
  if (Number.isNaN(days)) return undefined;
  if (days <= 0) return "high";
  return days <= EOL_WARNING_DAYS ? "medium" : undefined;
}

/** "1.38" */
export function minor(v: Version): string {
  return formatVersion({ major: v.major, minor: v.minor });
}

/** True when the target Kubernetes minor includes the change. */
export function targetHas(ctx: NodeRuleContext, change: KubeletChange): boolean {
  const c = changeVersion(change);
  return atLeastMinor(ctx.target.kubernetes, c.major, c.minor);
}

/** The evidence every node finding carries: what the Node object reported. */
export function nodeEvidence(node: NodeFacts): Record<string, string> {
  const e: Record<string, string> = {
    containerRuntimeVersion: node.runtime.raw,
    kubeletVersion: node.kubeletVersionText,
    runtimeClass: node.runtimeClass,
  };
  if (node.os) e.os = node.os;
  return e;
}

/** "containerd 1.7.2 (kubelet v1.31.4)" */
export function runtimeAndKubelet(node: NodeFacts): string {
  const k = node.kubeletVersionText ? ` (kubelet ${node.kubeletVersionText})` : "";
  return `${describeRuntime(node.runtime)}${k}`;
}
