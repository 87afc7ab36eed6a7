/**
 * N003 stale-cri-socket-annotation: kubeadm's `kubeadm.alpha.kubernetes.io/cri-socket` node annotation names
 * dockershim, or a socket of another runtime than the one the node reports. kubeadm before 1.34 reads it on
 * upgrade and join; from 1.34 (NodeLocalCRISocket on by default) it ignores it and removes it on upgrade
 * (https://github.com/kubernetes/kubernetes/pull/129279). See docs/rules/N003.md.
 */
import { describeRuntime, type NodeFacts, type NodeRule, type RuntimeClass } from "../../core/node.js";
import type { Hit, Severity } from "../../core/types.js";
import { atLeastMinor } from "../../core/version.js";
import {
  KUBEADM_CRI_SOCKET_ANNOTATION,
  KUBELET_CHANGES,
  type SocketRuntime,
  socketRuntime,
} from "../data/k8s-runtime-support.js";
import { minor, nodeEvidence, targetHas } from "./util.js";

/** The sockets that agree with each runtime class. */
const AGREES: Record<RuntimeClass, readonly SocketRuntime[]> = {
  // A pre-1.24 kubelet may already use cri-dockerd; kubeadm-era annotations also said docker.sock.
  dockershim: ["dockershim", "cri-dockerd", "docker-engine"],
  "cri-dockerd": ["cri-dockerd"],
  containerd: ["containerd"],
  "cri-o": ["cri-o"],
  unknown: [],
};

const SOCKET_WORDS: Record<SocketRuntime, string> = {
  dockershim: "the dockershim socket",
  "cri-dockerd": "cri-dockerd's socket",
  containerd: "containerd's socket",
  "cri-o": "CRI-O's socket",
  "docker-engine": "Docker Engine's API socket, which is not a CRI endpoint",
};

function isStale(node: NodeFacts, socket: SocketRuntime): boolean {
  if (node.runtimeClass === "unknown") {
    // Nothing to compare with, but dockershim cannot serve a kubelet from 1.24 on.
    return socket === "dockershim" && !!node.kubeletVersion && atLeastMinor(node.kubeletVersion, 1, 24);
  }
  return !AGREES[node.runtimeClass].includes(socket);
}

export const N003: NodeRule = {
  id: "N003",
  slug: "stale-cri-socket-annotation",
  title: "kubeadm CRI-socket annotation is stale",
  category: "node",
  description:
    "The node's kubeadm.alpha.kubernetes.io/cri-socket annotation names dockershim or another runtime than the " +
    "one the node runs. kubeadm before 1.34 uses this annotation to find the runtime on upgrade and join, so " +
    "those steps fail or point at a socket that is gone.",
  remediation:
    "Set the annotation to the node's real CRI endpoint (e.g. unix:///run/containerd/containerd.sock) with " +
    "kubectl annotate --overwrite, or remove it once every kubeadm in use is 1.34 or newer.",
  defaultSeverity: "high",
  check(node, ctx): readonly Hit[] {
    const annotation = node.annotations[KUBEADM_CRI_SOCKET_ANNOTATION];
    if (!annotation) return [];
    const socket = socketRuntime(annotation);
    if (!socket) return [];
    const ignored = targetHas(ctx, KUBELET_CHANGES.nodeLocalCriSocketDefault);
    const evidence = { ...nodeEvidence(node), criSocketAnnotation: annotation };
    const says = `kubeadm's ${KUBEADM_CRI_SOCKET_ANNOTATION} annotation names ${SOCKET_WORDS[socket]} ("${annotation}")`;
    const consequence = ignored
      ? `kubeadm ${minor(ctx.target.kubernetes)} no longer reads it and removes it on upgrade; fix or drop it so other tools are not misled.`
      : `kubeadm ${minor(ctx.target.kubernetes)} still reads it on upgrade and join.`;
    if (node.runtimeClass === "dockershim" && (socket === "dockershim" || socket === "docker-engine")) {
      // Accurate today; it has to change in the same step that takes the node off dockershim.
      return [
        {
          severity: ignored ? "info" : "low",
          message: `${says}. It is right while the node uses dockershim and must be changed together with the runtime.`,
          evidence,
        },
      ];
    }
    if (!isStale(node, socket)) return [];
    const severity: Severity = ignored ? "info" : "high";
    return [
      {
        severity,
        message: `${says}, but the node runs ${describeRuntime(node.runtime)}. ${consequence}`,
        evidence,
      },
    ];
  },
};
