/**
 * W005 containerd-socket-mount: the pod talks to containerd directly. Not a dockershim problem, but the
 * client is coupled to the runtime's API: CRI v1alpha2 was removed from containerd 2.0 (and from the
 * kubelet in 1.26), and containerd's own API and plugins changed across 2.x
 * (https://github.com/containerd/containerd/blob/main/RELEASES.md, Baidu CCE containerd 2.1 guide
 * https://cloud.baidu.com/doc/CCE/s/lmi8floz5).
 */
import type { WorkloadRule } from "../../core/rule.js";
import { atLeastMinor } from "../../core/version.js";
import { matchContainers } from "./hostpaths.js";
import { supportedAgentMount } from "./signs.js";
import { socketRule } from "./socket-rule.js";

export const W005: WorkloadRule = socketRule(
  {
    id: "W005",
    slug: "containerd-socket-mount",
    title: "containerd socket mounted into the pod",
    description:
      "A hostPath volume exposes containerd.sock. The client inside is tied to containerd's APIs: clients " +
      "that speak CRI v1alpha2 break on containerd 2.0 and later, clients of the containerd API must match " +
      "2.x, and the socket is absent on CRI-O nodes.",
    remediation:
      "Check that the client speaks CRI v1 (crictl 1.26+, current agent releases) or a containerd 2.x " +
      "compatible API, upgrade it before the runtime, and give it the CRI-O socket on CRI-O nodes " +
      "(/var/run/crio/crio.sock), for example with one DaemonSet per node pool.",
    defaultSeverity: "high",
  },
  {
    kind: "containerd",
    what: "the containerd socket",
    adjust: (workload, m) => supportedAgentMount(workload.template, matchContainers(m)),
    judge(ctx) {
      const v2 = ctx.target.runtimes.filter((r) => r.name === "containerd" && atLeastMinor(r.version, 2, 0));
      const crio = ctx.target.runtimes.filter((r) => r.name === "cri-o");
      if (v2.length > 0) {
        return {
          severity: "high",
          why:
            `Target ${v2.map((r) => r.label).join(", ")} removed CRI v1alpha2 and changed its API since 1.x: ` +
            "an old client breaks after the upgrade.",
        };
      }
      if (crio.length > 0) {
        return {
          severity: "high",
          why: `Target ${crio.map((r) => r.label).join(", ")} nodes have no containerd socket.`,
        };
      }
      return {
        severity: "medium",
        why: "Check that the client's API version matches the target containerd.",
      };
    },
  },
);
