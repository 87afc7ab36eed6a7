/**
 * W004 runtime-socket-parent-mount: a hostPath directory that contains a runtime socket (/, /var, /run,
 * /var/run, the docker/containerd/crio run directories), in a pod that otherwise shows Docker use.
 * The Kubernetes telemetry-agent guide warns that "the parent directory /var/run may be mounted instead
 * of the full path", which hides the dependency from exact-path checks
 * (https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/;
 * https://github.com/DataDog/helm-charts/issues/783).
 *
 * Raised only with other Docker signs, because many node agents mount /run or / for reasons unrelated to
 * Docker. A volume whose subPath reaches a socket is left to the socket rules (W001...) to avoid
 * reporting the same volume twice.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit } from "../../core/types.js";
import { hostPathMatches, matchesOfKind } from "./hostpaths.js";
import { dockerSigns } from "./signs.js";
import { capList, containerOf, describeMounters, dockerSeverity, pathText } from "./util.js";

export const W004: WorkloadRule = {
  id: "W004",
  slug: "runtime-socket-parent-mount",
  title: "Directory holding a runtime socket mounted by a pod that uses Docker",
  category: "workload",
  description:
    "A hostPath volume mounts a directory that contains the Docker socket (/, /var, /run, /var/run, " +
    "/run/docker, /run/containerd, /run/crio) and the pod shows other signs of Docker use. The container can " +
    "reach docker.sock through the directory; after the move it is gone.",
  remediation:
    "Find what the container opens below the mounted directory. If it is docker.sock, switch the client to " +
    "the new runtime's CRI socket (or the agent's CRI mode) and mount only that socket, read-only where " +
    "possible, instead of the whole directory.",
  defaultSeverity: "medium",
  check(workload, ctx) {
    const tpl = workload.template;
    const parents = matchesOfKind(tpl, "socket-parent").filter((m) => m.via === "volume");
    if (parents.length === 0) return [];
    const signs = dockerSigns(tpl);
    if (signs.length === 0) return [];
    const hits: Hit[] = [];
    for (const { volume: hv, match } of parents) {
      // A subPath that lands on a socket is reported by that socket's rule, not again here.
      const toSocket = hostPathMatches(tpl).some(
        (m) => m.volume === hv && m.via === "subPath" && m.match.kind === "socket",
      );
      if (toSocket) continue;
      hits.push({
        severity: dockerSeverity(ctx.target, "medium"),
        path: hv.path,
        ...containerOf(hv),
        message:
          `hostPath volume "${hv.volume.name}" (${pathText(hv.path, workload)}) mounts ${hv.hostPath}, which holds ` +
          `${match.row.reaches}, ${describeMounters(hv)}; the pod also uses Docker: ${capList(signs, 3)}.`,
        evidence: {
          hostPath: hv.hostPath,
          normalized: hv.canonical,
          volume: hv.volume.name,
          signs: capList(signs, 20),
        },
      });
    }
    return hits;
  },
};
