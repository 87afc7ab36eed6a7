/**
 * What the human formats add for a cluster report (`scan`, the kubectl plugin; a report with `nodes[]`):
 * findings split into the nodes, workloads and images sections, the node rows grouped by runtime class ×
 * runtime version × kubelet version (a handful of rows at 1,000 nodes), and the one-line summary a
 * person pastes into a change ticket. Pure string functions.
 */
import { groupNodeEntries, type NodeGroup, RUNTIME_CLASSES } from "../core/node.js";
import type { AuditReport } from "../core/report.js";
import { type Finding, type RuleMeta, type Severity, severityRank } from "../core/types.js";
import { openFindings, SEVERITIES_DESC, TOOL_NAME, verdictMatrix } from "./common.js";

export type Section = "nodes" | "workloads" | "images";

/** A cluster report carries `nodes[]` (possibly empty when nodes could not be listed). */
export function isClusterReport(report: AuditReport): boolean {
  return report.nodes !== undefined;
}

/** Node findings are on a Node; image findings come from image rules; everything else is a workload's. */
export function sectionOf(f: Finding, rules: ReadonlyMap<string, RuleMeta>): Section {
  if (f.subject.kind === "Node") return "nodes";
  const category = rules.get(f.ruleId)?.category;
  if (category === "image" || (category === undefined && f.ruleId.startsWith("I"))) return "images";
  return "workloads";
}

export function nodeGroups(report: AuditReport): NodeGroup[] {
  return groupNodeEntries(report.nodes ?? []);
}

/** "1,000" */
function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Subjects with open findings, counted once each at their worst severity: "2 critical, 1 high". */
function bySubject(findings: readonly Finding[]): { subjects: number; text: string } {
  const worst = new Map<string, Severity>();
  for (const f of findings) {
    const key = `${f.subject.kind}\u0000${f.subject.namespace ?? ""}\u0000${f.subject.name}`;
    const w = worst.get(key);
    if (!w || severityRank(f.severity) > severityRank(w)) worst.set(key, f.severity);
  }
  const parts = SEVERITIES_DESC.map((s) => [s, [...worst.values()].filter((w) => w === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${count(n)} ${s}`);
  return { subjects: worst.size, text: parts.join(", ") };
}

/**
 * "kube-runtime-audit: 1,000 nodes (3 cri-dockerd, 997 containerd), 3 with findings (3 high); 12 workloads
 * with findings (2 critical, 10 high); 40 images (1 incompatible, 2 unknown); target Kubernetes 1.35,
 * containerd@2.1"
 */
export function ticketLine(report: AuditReport, rules: ReadonlyMap<string, RuleMeta>): string {
  const nodes = report.nodes ?? [];
  const classes = RUNTIME_CLASSES.map((c) => [c, nodes.filter((n) => n.runtimeClass === c).length] as const)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${count(n)} ${c}`);
  const open = openFindings(report);
  const nodeF = bySubject(open.filter((f) => sectionOf(f, rules) === "nodes"));
  const workF = bySubject(open.filter((f) => sectionOf(f, rules) === "workloads"));
  const parts: string[] = [];
  let nodePart = `${count(nodes.length)} node${nodes.length === 1 ? "" : "s"}`;
  if (classes.length) nodePart += ` (${classes.join(", ")})`;
  if (nodeF.subjects) nodePart += `, ${count(nodeF.subjects)} with findings (${nodeF.text})`;
  parts.push(nodePart);
  parts.push(
    workF.subjects
      ? `${count(workF.subjects)} workload${workF.subjects === 1 ? "" : "s"} with findings (${workF.text})`
      : "no workload findings",
  );
  if (report.images) {
    const m = verdictMatrix(report);
    const worst = (v: string) => m.rows.filter((r) => r.cells.some((c) => c.verdict === v)).length;
    const notes = [
      ["incompatible", worst("incompatible")],
      ["unknown", worst("unknown")],
    ] as const;
    const extra = notes.filter(([, n]) => n > 0).map(([v, n]) => `${count(n)} ${v}`);
    parts.push(
      `${count(report.images.length)} image${report.images.length === 1 ? "" : "s"}${extra.length ? ` (${extra.join(", ")})` : ""}`,
    );
  } else parts.push("images not checked");
  const t = report.target;
  parts.push(`target Kubernetes ${[t.kubernetes, ...t.runtimes].join(", ")}`);
  return `${TOOL_NAME}: ${parts.join("; ")}`;
}
