/**
 * N009 windows-node-no-crio: a Windows node while a target runtime cannot run Windows containers. CRI-O runs on
 * Linux only (https://github.com/cri-o/cri-o/issues/4842); Kubernetes names containerd and Mirantis Container
 * Runtime for Windows nodes (https://kubernetes.io/docs/concepts/windows/intro/#container-runtime). The
 * per-runtime fact is the `windowsContainers` column of src/rules/data/runtime-capabilities.ts.
 */
import type { NodeRule } from "../../core/node.js";
import type { RuntimeTarget } from "../../core/target.js";
import type { Hit } from "../../core/types.js";
import { capabilitiesFor, RUNTIME_CAPABILITIES } from "../data/runtime-capabilities.js";
import { nodeEvidence } from "./util.js";

/** The runtime's capability row, or its newest row when the target version is outside the table. */
function runsWindows(rt: RuntimeTarget): boolean {
  const row = capabilitiesFor(rt) ?? RUNTIME_CAPABILITIES.filter((r) => r.runtime === rt.name).at(-1);
  return row?.windowsContainers ?? true;
}

export const N009: NodeRule = {
  id: "N009",
  slug: "windows-node-no-crio",
  title: "Windows node cannot move to CRI-O",
  category: "node",
  description:
    "The node runs Windows, and a target runtime (CRI-O) runs on Linux only. A fleet-wide move to CRI-O has to " +
    "leave Windows nodes on containerd.",
  remediation:
    "Plan containerd for Windows nodes (the runtime Kubernetes documents for Windows), or drop CRI-O from the " +
    "target runtimes for these nodes.",
  defaultSeverity: "critical",
  check(node, ctx): readonly Hit[] {
    if (node.os !== "windows") return [];
    const targets = ctx.target.runtimes;
    const without = targets.filter((rt) => !runsWindows(rt));
    if (without.length === 0) return [];
    const names = without.map((rt) => rt.label).join(", ");
    const only = without.length === targets.length;
    const hit: Hit = {
      severity: only ? "critical" : "medium",
      message: only
        ? `This Windows node cannot run the target runtime (${names}): it runs on Linux only.`
        : `This Windows node cannot move to ${names}, which runs on Linux only; it has to use another target runtime.`,
      evidence: nodeEvidence(node),
    };
    const first = without[0];
    if (without.length === 1 && first) hit.runtime = first.label;
    return [hit];
  },
};
