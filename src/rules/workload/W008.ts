/**
 * W008 docker-cli-in-command: a container runs the docker CLI, manages the Docker service, or edits
 * /etc/docker/daemon.json, in its command, args, exec probes or lifecycle hooks (also inside
 * `sh -c` scripts). "You cannot get container information using docker ps or docker inspect" once the
 * node runs containerd or CRI-O, and daemon.json is no longer read
 * (https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/check-if-dockershim-removal-affects-you/).
 * Commands are tokenised (shell.ts), never substring-matched.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit } from "../../core/types.js";
import type { DockerUseKind } from "./shell.js";
import {
  classifyEndpoint,
  dockerUses,
  isDindContainer,
  isHostDockerUse,
  reachesHostDocker,
} from "./signs.js";
import { capList, dockerSeverity, MESSAGE_LIST_MAX, pathText } from "./util.js";

const WHAT: Record<DockerUseKind, string> = {
  "docker-cli": "runs the docker CLI",
  dockerd: "starts dockerd on the node",
  service: "manages the Docker service",
  signal: "signals dockerd",
  "daemon-json": "reads or writes /etc/docker/daemon.json",
  "socket-arg": "passes a docker.sock path",
};

export const W008: WorkloadRule = {
  id: "W008",
  slug: "docker-cli-in-command",
  title: "docker CLI or Docker service commands in a container",
  category: "workload",
  description:
    "A container's command, args, exec probe or lifecycle hook runs docker/dockerd, restarts the docker " +
    "service or edits /etc/docker/daemon.json. On containerd or CRI-O nodes the docker CLI sees none of the " +
    "pod containers, the service does not exist and daemon.json is ignored.",
  remediation:
    "Replace docker commands with crictl (same verbs: ps, inspect, logs, images, pull) pointed at the CRI " +
    "socket, or with kubectl/the Kubernetes API. Node configuration (registry mirrors, insecure registries) " +
    "moves to /etc/containerd/certs.d/<host>/hosts.toml or /etc/containers/registries.conf. Image builds " +
    "move to kaniko, buildah or BuildKit.",
  defaultSeverity: "high",
  check(workload, ctx) {
    const tpl = workload.template;
    const podReachesHost = reachesHostDocker(tpl);
    const dindInPod = tpl.containers.some(isDindContainer);
    const hits: Hit[] = [];
    for (const c of tpl.containers) {
      // Group by element so one script with three docker commands is one finding at that element.
      const byElement = new Map<string, ReturnType<typeof dockerUses>>();
      for (const lu of dockerUses(c)) {
        if (lu.use.kind === "socket-arg" || !isHostDockerUse(lu.use)) continue;
        const key = pathText(lu.path);
        byElement.set(key, [...(byElement.get(key) ?? []), lu]);
      }
      for (const uses of byElement.values()) {
        const first = uses[0];
        if (!first) continue;
        const viaHost = uses.some((u) => u.use.host);
        const cliOnly = uses.every((u) => u.use.kind === "docker-cli");
        // Where the CLI connects, when the script (DOCKER_HOST=…, -H) or the container's env says so.
        const envHost = c.env.find((e) => e.name === "DOCKER_HOST")?.value;
        const eps = uses
          .filter((u) => u.use.kind === "docker-cli")
          .map((u) => u.use.endpoint ?? envHost)
          .filter((v): v is string => v !== undefined)
          .map(classifyEndpoint);
        const tcp =
          cliOnly && eps.length > 0 && eps.every((e) => e.kind === "tcp-local" || e.kind === "tcp-remote");
        const where = [...new Set(eps.map((e) => e.where ?? ""))].join(", ");
        let severity: Hit["severity"];
        let why: string;
        if (viaHost) {
          severity = "high";
          why = "It enters the node's namespaces (nsenter/chroot), so it acts on the node's Docker Engine.";
        } else if (tcp && tpl.hostNetwork && eps.some((e) => e.kind === "tcp-local")) {
          severity = "high";
          why = `It connects to ${where} and the pod uses hostNetwork, so that is the node's Docker Engine over TCP.`;
        } else if (tcp && dindInPod && eps.every((e) => e.kind === "tcp-local")) {
          severity = "info";
          why = `It connects to ${where} (DOCKER_HOST), the pod's own Docker-in-Docker daemon, not the node's.`;
        } else if (tcp) {
          severity = "medium";
          why = `It connects to ${where} (DOCKER_HOST); check that this daemon is not the node's Docker Engine.`;
        } else if (podReachesHost) {
          severity = "high";
          why =
            "The pod also mounts the Docker socket or a directory holding it, so this talks to the node's Docker Engine.";
        } else if (dindInPod && cliOnly) {
          severity = "info";
          why =
            "The pod runs its own Docker daemon (Docker-in-Docker), so the CLI likely talks to that, not the node.";
        } else {
          severity = "medium";
          why = "Check where it connects: after the move the node has no Docker Engine.";
        }
        const cmds = [...new Set(uses.map((u) => u.use.text))];
        hits.push({
          severity: severity === "info" ? "info" : dockerSeverity(ctx.target, severity),
          path: first.path,
          container: c.name,
          message:
            `container "${c.name}" ${[...new Set(uses.map((u) => WHAT[u.use.kind]))].join(" and ")} in its ` +
            `${first.where} (${pathText(first.path, workload)}): ${capList(
              cmds.map((t) => `"${t}"`),
              MESSAGE_LIST_MAX,
              ", ",
            )}. ${why}`,
          evidence: { commands: cmds.join("\n"), where: first.where },
        });
      }
    }
    return hits;
  },
};
