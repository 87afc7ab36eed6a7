/**
 * W013 known-docker-agent: telemetry/security agents that the Kubernetes documentation lists as needing
 * vendor steps when nodes leave Docker
 * (https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/).
 * Matched on the image repository path (data/agents.ts), never on pod names or free text. An agent whose
 * image tag is at or after the vendor's first CRI-capable release, or that is configured for containerd/CRI-O
 * (its endpoint env or flags, or a Defender generated for that runtime), is not reported; one configured for
 * the Docker socket is, whatever its version. Also flags the SignalFx `docker-container-stats` monitor in a
 * ConfigMap (high: it only reads Docker).
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit } from "../../core/types.js";
import { isObject } from "../../core/workload.js";
import { SIGNALFX_DOCKER_MONITOR } from "../data/agents.js";
import { agentVerdict } from "./signs.js";
import { dockerSeverity, imagePath } from "./util.js";

const MONITOR_LINE = /^\s*(-\s+)?type:\s*["']?docker-container-stats["']?\s*$/m;

export const W013: WorkloadRule = {
  id: "W013",
  slug: "known-docker-agent",
  title: "Telemetry or security agent that needs migration steps",
  category: "workload",
  description:
    "The pod runs an agent that needs vendor-specific steps when nodes move from Docker to containerd or " +
    "CRI-O (Datadog, Dynatrace, Falco, Prisma Cloud Defender, SignalFx and kubectl-flame from the Kubernetes " +
    "documentation; New Relic and cAdvisor from their vendors), at a version or with a configuration that " +
    "does not support the new runtime yet.",
  remediation:
    "Follow the vendor's migration note in the finding before moving the nodes, and check the agent's version " +
    "supports the target runtime.",
  defaultSeverity: "high",
  check(workload, ctx) {
    const hits: Hit[] = [];
    for (const c of workload.template.containers) {
      const verdict = agentVerdict(c, workload.template);
      if (!verdict?.needsSteps) continue;
      const { agent, why } = verdict;
      hits.push({
        severity: dockerSeverity(ctx.target, agent.severity),
        path: imagePath(c),
        container: c.name,
        image: c.image,
        message: `container "${c.name}" runs ${agent.product} (${c.image}, ${agent.vendor}), which needs vendor steps to work on containerd/CRI-O${why ? `: ${why}` : ""}.`,
        remediation: `${agent.note} Source: ${agent.supportedFrom?.source ?? agent.source}`,
        evidence: { agent: agent.id, image: c.image },
      });
    }
    return hits;
  },
  checkObject(object, ctx) {
    if (object.kind !== "ConfigMap" || !isObject(object.raw.data)) return [];
    const hits: Hit[] = [];
    for (const [key, value] of Object.entries(object.raw.data)) {
      if (typeof value !== "string" || !MONITOR_LINE.test(value)) continue;
      hits.push({
        severity: dockerSeverity(ctx.target, "high"),
        path: ["data", key],
        message: `ConfigMap key "${key}" configures the SignalFx ${SIGNALFX_DOCKER_MONITOR.type} monitor, which reads Docker only and collects nothing on containerd/CRI-O nodes.`,
        remediation:
          "Remove the docker-container-stats monitor (kubelet-stats covers container metrics), as the Kubernetes documentation asks.",
        evidence: { monitor: SIGNALFX_DOCKER_MONITOR.type, key },
      });
    }
    return hits;
  },
};
