/**
 * N004 containerd-1x-losing-support: containerd older than 2.0 lacks the CRI `RuntimeConfig` call. Until 1.37 the
 * kubelet falls back to its own `cgroupDriver` for such runtimes; from 1.38 it refuses them by default
 * (https://github.com/kubernetes/kubernetes/pull/139121, KEP-4033). See docs/rules/N004.md.
 */
import { evidenceFor, type NodeRule } from "../../core/node.js";
import type { Hit, Severity } from "../../core/types.js";
import { atLeastMinor } from "../../core/version.js";
import { hasRuntimeConfig, KUBELET_CHANGES, runtimeConfigSupport } from "../data/k8s-runtime-support.js";
import { minor, nodeEvidence, targetHas } from "./util.js";

export const N004: NodeRule = {
  id: "N004",
  slug: "containerd-1x-losing-support",
  title: "containerd 1.x loses kubelet support in 1.38",
  category: "node",
  description:
    "containerd before 2.0 does not implement the CRI RuntimeConfig call that tells the kubelet which cgroup " +
    "driver to use. The kubelet's fallback to its own cgroupDriver setting ends in Kubernetes 1.38, where such " +
    "a runtime is rejected at kubelet start unless a temporary feature gate restores the fallback.",
  remediation:
    "Upgrade the node to containerd 2.x (2.3 is the current LTS) before its kubelet reaches 1.38: run " +
    "`containerd config migrate` and fix the deprecation warnings containerd 1.7 prints first.",
  defaultSeverity: "critical",
  check(node, ctx): readonly Hit[] {
    const v = node.runtime.version;
    if (node.runtimeClass !== "containerd" || !v || hasRuntimeConfig("containerd", v)) return [];
    const t = ctx.target.kubernetes;
    const severity: Severity = targetHas(ctx, KUBELET_CHANGES.runtimeConfigFallbackRemoved)
      ? "critical"
      : atLeastMinor(t, 1, 36)
        ? "high"
        : "medium";
    const evidence = nodeEvidence(node);
    const ev = evidenceFor(ctx, node);
    const losing = ev.kubeletMetrics?.criLosingSupport;
    if (losing?.length) evidence.kubeletCriLosingSupport = losing.join(",");
    if (ev.kubeletConfig?.cgroupDriver) evidence.kubeletCgroupDriver = ev.kubeletConfig.cgroupDriver;
    const since = runtimeConfigSupport("containerd").since.join(", ");
    const confirm = losing?.length
      ? ` The kubelet itself reports it through kubelet_cri_losing_support (version ${losing.join(", ")}).`
      : "";
    const when =
      severity === "critical"
        ? `Kubernetes ${minor(t)} refuses it by default: the kubelet will not start on this node.`
        : `Kubelets from 1.38 refuse it by default; the target is ${minor(t)}.`;
    return [
      {
        severity,
        message: `The node runs containerd ${node.runtime.versionText}, which lacks the RuntimeConfig call (added in ${since}). ${when}${confirm}`,
        evidence,
      },
    ];
  },
};
