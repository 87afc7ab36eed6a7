/**
 * N006 runtime-eol: the node's runtime branch has reached, or is within 90 days of, its end of life as of the
 * report day: containerd by its release table, CRI-O by the Kubernetes minor it pairs with, Docker Engine by
 * upstream's maintained branches. The dates are data (src/rules/data/runtime-eol.ts); see docs/rules/N006.md.
 */
import type { NodeFacts, NodeRule, NodeRuleContext } from "../../core/node.js";
import type { Hit } from "../../core/types.js";
import {
  CONTAINERD_LIFECYCLE,
  DOCKER_ENGINE_LIFECYCLE,
  k8sMinorEol,
  type LifecycleRow,
  lifecycleRow,
} from "../data/runtime-eol.js";
import { daysUntil, eolSeverity, inDays, isoDay, minor, nodeEvidence } from "./util.js";

function fromRow(node: NodeFacts, ctx: NodeRuleContext, row: LifecycleRow): Hit[] {
  const asOf = isoDay(ctx.asOf);
  const evidence: Record<string, string> = { ...nodeEvidence(node), lifecycleSource: row.source };
  const note = row.note ? ` (${row.note})` : "";
  if (row.unmaintained) {
    return [
      {
        severity: "high",
        message: `${row.label} is no longer maintained upstream (no security fixes); this node runs ${node.runtime.versionText}.`,
        evidence,
      },
    ];
  }
  if (!row.eol) return [];
  const severity = eolSeverity(row.eol, ctx.asOf);
  if (!severity) return [];
  evidence.endOfLife = row.eol;
  const days = daysUntil(row.eol, ctx.asOf);
  return [
    {
      severity,
      message:
        severity === "high"
          ? `${row.label} reached its end of life on ${row.eol}${note}; this node runs ${node.runtime.versionText} (as of ${asOf}).`
          : `${row.label} reaches its end of life on ${row.eol}${note}, ${inDays(days)}; this node runs ${node.runtime.versionText}.`,
      evidence,
    },
  ];
}

function crio(node: NodeFacts, ctx: NodeRuleContext): Hit[] {
  const v = node.runtime.version;
  if (!v) return [];
  const eol = k8sMinorEol(v, ctx.asOf);
  if (!eol) return [];
  const label = `CRI-O ${minor(v)}`;
  const evidence: Record<string, string> = { ...nodeEvidence(node), lifecycleSource: eol.source };
  if (eol.endedBefore) {
    evidence.endOfLife = `before ${eol.endedBefore}`;
    return [
      {
        severity: "high",
        message: `${label} ended with Kubernetes ${minor(v)}, before ${eol.endedBefore}; this node runs ${node.runtime.versionText}.`,
        evidence,
      },
    ];
  }
  if (!eol.eol) return [];
  const severity = eolSeverity(eol.eol, ctx.asOf);
  if (!severity) return [];
  evidence.endOfLife = eol.eol;
  return [
    {
      severity,
      message:
        severity === "high"
          ? `${label} reached its end of life with Kubernetes ${minor(v)} on ${eol.eol}; this node runs ${node.runtime.versionText} (as of ${isoDay(ctx.asOf)}).`
          : `${label} reaches its end of life with Kubernetes ${minor(v)} on ${eol.eol}, ${inDays(daysUntil(eol.eol, ctx.asOf))}.`,
      evidence,
    },
  ];
}

export const N006: NodeRule = {
  id: "N006",
  slug: "runtime-eol",
  title: "Runtime version at or near end of life",
  category: "node",
  description:
    "The node's container runtime branch no longer gets fixes upstream, or stops within 90 days: containerd " +
    "by its published release table, CRI-O together with the Kubernetes minor it pairs with, and Docker Engine " +
    "by the branches the Moby project still maintains.",
  remediation:
    "Upgrade the runtime to a maintained branch (containerd 2.3 LTS, the CRI-O minor of your kubelet, Docker " +
    "Engine 29.x), or better, use the migration to move Docker Engine nodes to containerd or CRI-O.",
  defaultSeverity: "high",
  check(node, ctx): readonly Hit[] {
    const v = node.runtime.version;
    if (!v) return [];
    // By runtime name, not class: a Docker Engine version is dated even when the kubelet version is missing.
    switch (node.runtime.name) {
      case "containerd": {
        const row = lifecycleRow(CONTAINERD_LIFECYCLE, v);
        return row ? fromRow(node, ctx, row) : [];
      }
      case "docker": {
        const row = lifecycleRow(DOCKER_ENGINE_LIFECYCLE, v);
        return row ? fromRow(node, ctx, row) : [];
      }
      case "cri-o":
        return crio(node, ctx);
      default:
        return [];
    }
  },
};
