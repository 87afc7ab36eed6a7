/**
 * N005 unsupported-runtime-version-for-target: the node's runtime version against the target Kubernetes
 * minor: containerd's support matrix (containerd RELEASES.md), CRI-O's one-to-one minor pairing
 * (https://github.com/cri-o/cri-o#compatibility-matrix-cri-o--kubernetes), and dockershim, which no kubelet
 * from 1.24 contains. See docs/rules/N005.md.
 */
import type { NodeFacts, NodeRule, NodeRuleContext } from "../../core/node.js";
import type { Hit } from "../../core/types.js";
import { atLeastMinor } from "../../core/version.js";
import {
  CONTAINERD_CRI_V1_MINIMUMS,
  containerdMatrixFor,
  judgeContainerd,
  KUBELET_CHANGES,
} from "../data/k8s-runtime-support.js";
import { minor, nodeEvidence, targetHas } from "./util.js";

function containerd(node: NodeFacts, ctx: NodeRuleContext): Hit[] {
  const v = node.runtime.version;
  if (!v) return [];
  const t = minor(ctx.target.kubernetes);
  const evidence = nodeEvidence(node);
  const ver = node.runtime.versionText;
  if (targetHas(ctx, KUBELET_CHANGES.criV1Only)) {
    const criV1 = judgeContainerd(v, CONTAINERD_CRI_V1_MINIMUMS);
    if (criV1.kind !== "supported") {
      return [
        {
          severity: "critical",
          message:
            `containerd ${ver} does not serve CRI v1 (needs ${CONTAINERD_CRI_V1_MINIMUMS.map((m) => `${m}+`).join(" or ")}), ` +
            `the only CRI version kubelets speak from 1.26: a ${t} kubelet cannot use it.`,
          evidence,
        },
      ];
    }
  }
  const lookup = containerdMatrixFor(ctx.target.kubernetes);
  if (!lookup) return [];
  const listed = lookup.row.minimums.map((m) => `${m}+`).join(", ");
  const row = lookup.newestInstead
    ? `containerd's support matrix has no row for Kubernetes ${t} yet; its newest row (${lookup.row.k8s}) lists ${listed}`
    : `containerd's support matrix lists ${listed} for Kubernetes ${t}`;
  evidence.matrixRow = lookup.row.k8s;
  const verdict = judgeContainerd(v, lookup.row.minimums);
  if (verdict.kind === "below-minimum") {
    return [
      {
        severity: "high",
        message: `containerd ${ver} is older than ${verdict.minimum}: ${row}.`,
        evidence,
      },
    ];
  }
  if (verdict.kind === "not-listed") {
    return [
      {
        severity: "medium",
        message: `containerd ${ver} is not a supported combination: ${row}.`,
        evidence,
      },
    ];
  }
  return [];
}

function crio(node: NodeFacts, ctx: NodeRuleContext): Hit[] {
  const v = node.runtime.version;
  const t = ctx.target.kubernetes;
  if (!v || (v.major === t.major && v.minor === t.minor)) return [];
  return [
    {
      severity: "medium",
      message:
        `CRI-O ${node.runtime.versionText} pairs only with Kubernetes ${minor(v)}; a ${minor(t)} kubelet needs ` +
        `CRI-O ${minor(t)}, so move CRI-O to ${minor(t)} together with the kubelet.`,
      evidence: nodeEvidence(node),
    },
  ];
}

export const N005: NodeRule = {
  id: "N005",
  slug: "unsupported-runtime-version-for-target",
  title: "Runtime version not supported by the target Kubernetes version",
  category: "node",
  description:
    "The node's runtime version is outside what the target Kubernetes minor supports: containerd below the " +
    "minimum its support matrix lists (or without CRI v1, which kubelets need from 1.26), CRI-O of another " +
    "minor than the target, or Docker Engine through dockershim, which no kubelet from 1.24 supports.",
  remediation:
    "Upgrade the runtime before or together with the kubelet: containerd to a version the matrix lists for the " +
    "target, CRI-O to the target's minor; move dockershim nodes to containerd, CRI-O or cri-dockerd first.",
  defaultSeverity: "critical",
  check(node, ctx): readonly Hit[] {
    switch (node.runtimeClass) {
      case "containerd":
        return containerd(node, ctx);
      case "cri-o":
        return crio(node, ctx);
      case "dockershim":
        if (!atLeastMinor(ctx.target.kubernetes, 1, 24)) return [];
        return [
          {
            severity: "critical",
            message: `Docker Engine through dockershim is supported by no kubelet from 1.24 on; the target is ${minor(ctx.target.kubernetes)}.`,
            evidence: nodeEvidence(node),
          },
        ];
      default:
        return [];
    }
  },
};
