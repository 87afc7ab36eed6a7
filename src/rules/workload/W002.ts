/**
 * W002 dockershim-socket-mount: the pod mounts the dockershim socket, which the kubelet stopped serving
 * when dockershim was removed in Kubernetes 1.24 (https://kubernetes.io/dockershim,
 * https://github.com/aws-containers/kubectl-detector-for-docker-socket/issues/2).
 */
import type { WorkloadRule } from "../../core/rule.js";
import { socketRule } from "./socket-rule.js";

export const W002: WorkloadRule = socketRule(
  {
    id: "W002",
    slug: "dockershim-socket-mount",
    title: "dockershim socket mounted into the pod",
    description:
      "A hostPath volume exposes dockershim.sock, the CRI socket the kubelet's built-in dockershim served up " +
      "to Kubernetes 1.23. dockershim was removed in 1.24, so the socket no longer exists on any node.",
    remediation:
      "Remove the dockershim.sock volume. Clients that spoke CRI to it (for example older AWS VPC CNI or " +
      "monitoring agents) must be upgraded and pointed at the node's real CRI socket: " +
      "/run/containerd/containerd.sock, /var/run/crio/crio.sock or /run/cri-dockerd.sock.",
    defaultSeverity: "critical",
  },
  {
    kind: "dockershim",
    what: "the dockershim socket",
    judge: () => ({
      severity: "critical",
      why: "dockershim was removed in Kubernetes 1.24: the socket does not exist on current nodes whatever the runtime.",
    }),
  },
);
