/**
 * N001 dockershim-node: Docker Engine (`docker://`) behind a kubelet older than 1.24, i.e. through the
 * kubelet's built-in dockershim, which 1.24 removed (https://kubernetes.io/dockershim). See docs/rules/N001.md.
 */
import { describeRuntime, type NodeRule } from "../../core/node.js";
import type { Hit } from "../../core/types.js";
import {
  KUBEADM_CRI_SOCKET_ANNOTATION,
  KUBELET_CHANGES,
  socketRuntime,
} from "../data/k8s-runtime-support.js";
import { minor, nodeEvidence, targetHas } from "./util.js";

export const N001: NodeRule = {
  id: "N001",
  slug: "dockershim-node",
  title: "Node runs Docker Engine through dockershim",
  category: "node",
  description:
    "The node reports a docker:// runtime and its kubelet is older than 1.24, so the kubelet talks to Docker " +
    "Engine through its built-in dockershim. Kubelets from 1.24 on no longer contain dockershim: upgrading " +
    "the kubelet without changing the runtime leaves a node that cannot start pods.",
  remediation:
    "Before upgrading the kubelet to 1.24 or later, move the node to containerd or CRI-O (drain, install, point " +
    "--container-runtime-endpoint at the new socket), or keep Docker Engine behind the external cri-dockerd adapter.",
  defaultSeverity: "critical",
  check(node, ctx): readonly Hit[] {
    if (node.runtimeClass !== "dockershim") return [];
    const breaks = targetHas(ctx, KUBELET_CHANGES.dockershimRemoved);
    const evidence = nodeEvidence(node);
    const annotation = node.annotations[KUBEADM_CRI_SOCKET_ANNOTATION];
    if (annotation) evidence.criSocketAnnotation = annotation;
    const target = minor(ctx.target.kubernetes);
    const what = `The node runs ${describeRuntime(node.runtime)} through the kubelet's built-in dockershim (kubelet ${node.kubeletVersionText}).`;
    // kubeadm's migration guide changes this annotation to cri-dockerd's socket: a hint, not proof.
    if (annotation && socketRuntime(annotation) === "cri-dockerd") {
      return [
        {
          severity: breaks ? "high" : "low",
          message:
            `${what} Its kubeadm annotation already names cri-dockerd, so it may have moved to cri-dockerd: ` +
            `check the kubelet's --container-runtime-endpoint before upgrading to ${target}.`,
          evidence,
        },
      ];
    }
    return [
      {
        severity: breaks ? "critical" : "medium",
        message: breaks
          ? `${what} Kubernetes ${target} has no dockershim: the node must change runtime (or adopt cri-dockerd) before its kubelet is upgraded.`
          : `${what} dockershim is gone from 1.24 on; plan the runtime change before that upgrade.`,
        evidence,
      },
    ];
  },
};
