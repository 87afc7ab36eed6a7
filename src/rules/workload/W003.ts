/**
 * W003 cri-dockerd-socket-mount: the pod mounts cri-dockerd's CRI socket. It exists only while nodes keep
 * Docker Engine + cri-dockerd (https://kubernetes.io/docs/setup/production-environment/container-runtimes/#docker);
 * substring checks for "docker.sock" miss it because "cri-dockerd.sock" does not contain that string.
 */
import type { WorkloadRule } from "../../core/rule.js";
import { leavesDocker } from "../../core/target.js";
import { socketRule } from "./socket-rule.js";
import { targetRuntimes } from "./util.js";

export const W003: WorkloadRule = socketRule(
  {
    id: "W003",
    slug: "cri-dockerd-socket-mount",
    title: "cri-dockerd socket mounted into the pod",
    description:
      "A hostPath volume exposes cri-dockerd.sock. It works only on nodes that keep Docker Engine with the " +
      "cri-dockerd adapter and disappears when the node moves to containerd or CRI-O.",
    remediation:
      "Point the client at the target runtime's CRI socket instead (/run/containerd/containerd.sock for " +
      "containerd, /var/run/crio/crio.sock for CRI-O) and change the hostPath accordingly; both speak the same " +
      "CRI v1 API, so CRI clients such as crictl only need the new endpoint.",
    defaultSeverity: "high",
  },
  {
    kind: "cri-dockerd",
    what: "the cri-dockerd socket",
    judge(ctx) {
      return leavesDocker(ctx.target)
        ? {
            severity: "high",
            why: `The target runtimes (${targetRuntimes(ctx.target)}) do not run cri-dockerd: this socket will be missing.`,
          }
        : { severity: "info", why: "Every target runtime is cri-dockerd, so the socket stays." };
    },
  },
);
