/**
 * W001 docker-socket-mount: the pod mounts Docker Engine's API socket.
 * After a move to containerd or CRI-O there is no dockerd on the node (or it no longer runs the pod
 * containers), so the client fails or sees the wrong containers.
 * https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/
 */
import type { WorkloadRule } from "../../core/rule.js";
import { leavesDocker } from "../../core/target.js";
import { matchContainers } from "./hostpaths.js";
import { multiRuntimeMount } from "./signs.js";
import { socketRule } from "./socket-rule.js";
import { targetRuntimes } from "./util.js";

export const W001: WorkloadRule = socketRule(
  {
    id: "W001",
    slug: "docker-socket-mount",
    title: "Docker Engine socket mounted into the pod",
    description:
      "A hostPath volume (or a subPath of a mounted directory) exposes /var/run/docker.sock. Nodes running " +
      "containerd or CRI-O have no Docker daemon managing the pod containers, so the mounting container " +
      "fails to start or silently sees nothing.",
    remediation:
      "Remove the docker.sock volume and its volumeMount. If the container needs container metadata, point it " +
      "at the new runtime's CRI socket (/run/containerd/containerd.sock or /var/run/crio/crio.sock) in its " +
      "CRI mode, or use the Kubernetes API/kubelet instead. Move image builds to kaniko, buildah or BuildKit, " +
      "and CI jobs that need a daemon to a Docker-in-Docker sidecar.",
    defaultSeverity: "critical",
  },
  {
    kind: "docker",
    what: "the Docker Engine socket",
    adjust: (workload, m, ctx) => multiRuntimeMount(workload.template, matchContainers(m), ctx.target),
    judge(ctx) {
      return leavesDocker(ctx.target)
        ? {
            severity: "critical",
            why: `The target runtimes (${targetRuntimes(ctx.target)}) run no Docker daemon on the node: calls to this socket fail once the node is migrated.`,
          }
        : {
            severity: "info",
            why: "Every target runtime is cri-dockerd, which keeps Docker Engine on the node, so this keeps working.",
          };
    },
  },
);
