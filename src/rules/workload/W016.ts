/**
 * W016 crio-socket-mount: the pod talks to CRI-O directly. The issue that defined the socket rules listed
 * containerd and CRI-O sockets under one id (W005); ids must be unique, so the CRI-O half is W016.
 * Default socket: /var/run/crio/crio.sock
 * (https://kubernetes.io/docs/setup/production-environment/container-runtimes/#cri-o).
 */
import type { WorkloadRule } from "../../core/rule.js";
import { matchContainers } from "./hostpaths.js";
import { supportedAgentMount } from "./signs.js";
import { socketRule } from "./socket-rule.js";

export const W016: WorkloadRule = socketRule(
  {
    id: "W016",
    slug: "crio-socket-mount",
    title: "CRI-O socket mounted into the pod",
    description:
      "A hostPath volume exposes crio.sock. The client is tied to CRI-O: the socket is absent on containerd " +
      "or Docker nodes, and the client must speak CRI v1 (v1alpha2 is gone from Kubernetes 1.26).",
    remediation:
      "Make sure the client speaks CRI v1 and, on nodes moving to containerd, mount " +
      "/run/containerd/containerd.sock instead (one DaemonSet per node pool if pools differ).",
    defaultSeverity: "high",
  },
  {
    kind: "crio",
    what: "the CRI-O socket",
    adjust: (workload, m) => supportedAgentMount(workload.template, matchContainers(m)),
    judge(ctx) {
      const others = ctx.target.runtimes.filter((r) => r.name !== "cri-o");
      if (others.length > 0) {
        return {
          severity: "high",
          why: `Target ${others.map((r) => r.label).join(", ")} nodes have no CRI-O socket.`,
        };
      }
      return {
        severity: "medium",
        why: "Check that the client speaks CRI v1 and matches the target CRI-O version.",
      };
    },
  },
);
