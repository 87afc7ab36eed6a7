/**
 * N002 cri-dockerd-node: Docker Engine (`docker://`) behind a kubelet 1.24 or newer, which can only be through
 * Mirantis' external cri-dockerd adapter. cri-dockerd reports Docker Engine's name and version, so the Node
 * object shows `docker://<engine version>` and never cri-dockerd's own version. See docs/rules/N002.md.
 */
import { describeRuntime, type NodeRule } from "../../core/node.js";
import { leavesDocker } from "../../core/target.js";
import type { Hit } from "../../core/types.js";
import { KUBELET_CHANGES, runtimeConfigSupport } from "../data/k8s-runtime-support.js";
import { minor, nodeEvidence, targetHas } from "./util.js";

export const N002: NodeRule = {
  id: "N002",
  slug: "cri-dockerd-node",
  title: "Node runs Docker Engine through cri-dockerd",
  category: "node",
  description:
    "The node reports a docker:// runtime with a kubelet of 1.24 or later, so Docker Engine runs behind the " +
    "external cri-dockerd adapter. It works, but the node depends on two components outside Kubernetes, and " +
    "the kubelet's requirements on cri-dockerd (CRI v1 from 1.26, the RuntimeConfig call from 1.38) cannot be " +
    "checked from the Node object.",
  remediation:
    "Plan the move to containerd or CRI-O. Until then, keep cri-dockerd at 0.3.17+ (0.3 branch) or 0.4.0+ and " +
    "Docker Engine on a maintained branch; `cri-dockerd --version` on the node shows the adapter's version.",
  defaultSeverity: "medium",
  check(node, ctx): readonly Hit[] {
    if (node.runtimeClass !== "cri-dockerd") return [];
    const what = `The node runs ${describeRuntime(node.runtime)} through the cri-dockerd adapter (kubelet ${node.kubeletVersionText}).`;
    const evidence = nodeEvidence(node);
    if (targetHas(ctx, KUBELET_CHANGES.runtimeConfigFallbackRemoved)) {
      const since = runtimeConfigSupport("cri-dockerd")
        .since.map((v) => `${v}+`)
        .join(" or ");
      return [
        {
          severity: "medium",
          message:
            `${what} Kubernetes ${minor(ctx.target.kubernetes)} needs a runtime that answers the RuntimeConfig ` +
            `call: cri-dockerd ${since}. The Node object shows Docker Engine's version, not the adapter's, ` +
            `so check cri-dockerd on the node.`,
          evidence,
        },
      ];
    }
    return [
      {
        severity: leavesDocker(ctx.target) ? "low" : "info",
        message: leavesDocker(ctx.target)
          ? `${what} Moving it to containerd or CRI-O removes Docker Engine and cri-dockerd from the node.`
          : `${what} Supported while cri-dockerd and Docker Engine are maintained.`,
        evidence,
      },
    ];
  },
};
