/**
 * N007 crio-kubelet-skew: CRI-O's minor differs from the kubelet's. CRI-O `1.x` is released for, tested with
 * and supported with Kubernetes `1.x` only (https://github.com/cri-o/cri-o#compatibility-matrix-cri-o--kubernetes);
 * no CRI-O document supports another pairing. See docs/rules/N007.md.
 */
import type { NodeRule } from "../../core/node.js";
import type { Hit } from "../../core/types.js";
import { hasRuntimeConfig, KUBELET_CHANGES } from "../data/k8s-runtime-support.js";
import { minor, nodeEvidence, targetHas } from "./util.js";

export const N007: NodeRule = {
  id: "N007",
  slug: "crio-kubelet-skew",
  title: "CRI-O minor differs from the kubelet minor",
  category: "node",
  description:
    "CRI-O follows Kubernetes minor for minor: CRI-O 1.x is built and tested for Kubernetes 1.x. A node whose " +
    "CRI-O minor differs from its kubelet's runs an untested pairing, and a CRI-O older than 1.28 also lacks the " +
    "RuntimeConfig call kubelets require from 1.38.",
  remediation:
    "Install the CRI-O minor that matches the kubelet (CRI-O publishes a package repository per minor), and " +
    "upgrade both together from then on.",
  defaultSeverity: "high",
  check(node, ctx): readonly Hit[] {
    const v = node.runtime.version;
    const k = node.kubeletVersion;
    if (node.runtimeClass !== "cri-o" || !v || !k) return [];
    if (v.major === k.major && v.minor === k.minor) return [];
    const noRuntimeConfig =
      !hasRuntimeConfig("cri-o", v) && targetHas(ctx, KUBELET_CHANGES.runtimeConfigFallbackRemoved);
    return [
      {
        severity: noRuntimeConfig ? "high" : "medium",
        message:
          `The node pairs CRI-O ${node.runtime.versionText} with kubelet ${node.kubeletVersionText}; CRI-O ${minor(v)} ` +
          `is made for Kubernetes ${minor(v)} only.` +
          (noRuntimeConfig
            ? ` It also lacks the RuntimeConfig call, which Kubernetes ${minor(ctx.target.kubernetes)} requires.`
            : ""),
        evidence: nodeEvidence(node),
      },
    ];
  },
};
