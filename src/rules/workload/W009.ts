/**
 * W009 docker-host-env: DOCKER_HOST and related variables reveal a Docker API client even when no socket
 * is mounted by name (derived rule; supported by the use cases in
 * https://github.com/aws-containers/kubectl-detector-for-docker-socket/issues/7). A unix socket means the
 * node's dockerd; tcp://localhost:2375/2376 is the usual Docker-in-Docker sidecar, which keeps working.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit, Severity } from "../../core/types.js";
import type { Container, PodTemplate } from "../../core/workload.js";
import { socketKindOf } from "../data/sockets.js";
import {
  classifyEndpoint,
  DOCKER_ENDPOINT_ENV,
  DOCKER_ENV_NAMES,
  dockerAssignmentsOf,
  type Endpoint,
  isDindContainer,
} from "./signs.js";
import { canonicalHostPath, dockerSeverity, hostVolumes, isUnder, pathText } from "./util.js";

/** Which volume backs `path` inside container `c` (longest mountPath prefix). */
function backingVolume(
  tpl: PodTemplate,
  c: Container,
  path: string,
): { hostPath: boolean; name: string } | undefined {
  let best: { len: number; name: string } | undefined;
  for (const m of c.volumeMounts) {
    const mp = canonicalHostPath(m.mountPath);
    if (isUnder(path, mp) && (!best || mp.length > best.len)) best = { len: mp.length, name: m.name };
  }
  if (!best) return undefined;
  const name = best.name;
  return { name, hostPath: hostVolumes(tpl).some((hv) => hv.volume.name === name) };
}

function judge(
  tpl: PodTemplate,
  c: Container,
  value: string | undefined,
  ep: Endpoint,
  dind: boolean,
): { severity: Severity; why: string } {
  switch (ep.kind) {
    case "tcp-local":
      if (dind) {
        return {
          severity: "info",
          why: `it points at ${ep.where} in the pod itself, the usual Docker-in-Docker sidecar, which does not depend on the node runtime`,
        };
      }
      // With hostNetwork, localhost is the node: this is the node's Docker Engine over TCP.
      if (tpl.hostNetwork) {
        return {
          severity: "high",
          why: `the pod uses hostNetwork, so ${ep.where} is the node itself: this reaches the node's Docker Engine over TCP`,
        };
      }
      return {
        severity: "medium",
        why: `it points at ${ep.where}, but no container in the pod runs a Docker daemon; check where that daemon comes from`,
      };
    case "tcp-remote":
      return {
        severity: "medium",
        why: `it points at ${ep.where}; check that this Docker daemon is not the node's Docker Engine`,
      };
    case "unknown":
      return {
        severity: "medium",
        why:
          value === undefined
            ? "its value comes from a Secret/ConfigMap or the downward API"
            : "its value is not a recognised address",
      };
    case "unix": {
      const where = ep.where ?? "";
      const what = ep.pipe ? "named pipe" : "unix socket";
      const vol = backingVolume(tpl, c, canonicalHostPath(where));
      if (vol?.hostPath) {
        return {
          severity: "high",
          why: `it points at ${where}, a ${ep.pipe ? "named pipe" : "socket"} on the node (hostPath volume "${vol.name}")`,
        };
      }
      if (dind) {
        return {
          severity: "info",
          why: `it points at ${where}, shared with the pod's own Docker-in-Docker daemon`,
        };
      }
      // A Docker-API socket that is not Docker's own (podman's, for one) is not called Docker Engine.
      const kind = socketKindOf(canonicalHostPath(where));
      return {
        severity: "high",
        why:
          kind === "docker"
            ? `it points at the ${what} ${where}, which only the node's Docker Engine provides`
            : `it points at the ${what} ${where}${kind ? ` (${kind})` : ""}: a Docker API endpoint on the node, check what serves it after the move`,
      };
    }
  }
}

export const W009: WorkloadRule = {
  id: "W009",
  slug: "docker-host-env",
  title: "DOCKER_HOST or related Docker client variables set",
  category: "workload",
  description:
    "A container sets DOCKER_HOST, DOCKER_SOCK, DOCKER_SOCKET, DOCKER_CERT_PATH or DOCKER_TLS_VERIFY: it is " +
    "a Docker API client. Pointing at a unix socket on the node breaks when the node leaves Docker; a " +
    "Docker-in-Docker sidecar on localhost keeps working.",
  remediation:
    "If the client needs the node's containers, move it to the CRI socket (crictl or the tool's CRI mode). If it " +
    "builds or runs images, give the pod its own daemon (a Docker-in-Docker sidecar reached through " +
    "DOCKER_HOST=tcp://localhost:2376) or a daemonless builder (kaniko, buildah, BuildKit).",
  defaultSeverity: "high",
  check(workload, ctx) {
    const tpl = workload.template;
    // Whether the pod runs its own daemon only matters when a container sets DOCKER_* (decided lazily).
    let podDind: boolean | undefined;
    const hits: Hit[] = [];
    for (const c of tpl.containers) {
      const dockerEnv = c.env.filter((e) => DOCKER_ENV_NAMES.includes(e.name));
      const endpoints = dockerEnv.filter((e) => DOCKER_ENDPOINT_ENV.has(e.name));
      // DOCKER_CERT_PATH/TLS_VERIFY only say something on their own; next to DOCKER_HOST they are its detail.
      const reported = endpoints.length > 0 ? endpoints : dockerEnv.slice(0, 1);
      for (const e of reported) {
        const isEndpoint = DOCKER_ENDPOINT_ENV.has(e.name);
        const ep = isEndpoint
          ? classifyEndpoint(e.value)
          : ({ kind: "unix", where: "/var/run/docker.sock" } as Endpoint);
        podDind ??= tpl.containers.some(isDindContainer);
        const j = judge(tpl, c, e.value, ep, podDind);
        const why = isEndpoint
          ? j.why
          : `without DOCKER_HOST the client uses the default /var/run/docker.sock; ${j.why}`;
        // A value resolved from a Secret is never written to the report.
        const shown =
          e.from?.kind === "secret" && e.value !== undefined ? `<from Secret ${e.from.name}>` : e.value;
        hits.push({
          severity: j.severity === "info" ? "info" : dockerSeverity(ctx.target, j.severity),
          path: e.value === undefined ? e.path : e.valuePath,
          container: c.name,
          message: `container "${c.name}" sets ${e.name}${shown !== undefined ? `=${shown}` : ""}: ${why}.`,
          evidence: { name: e.name, ...(shown !== undefined ? { value: shown } : {}) },
        });
      }
      // The same variables assigned in the container's own shell code: `DOCKER_HOST=… docker ps`.
      const seen = new Set<string>();
      for (const a of dockerAssignmentsOf(c)) {
        const key = `${a.name}=${a.value}@${pathText(a.path)}`;
        if (!DOCKER_ENDPOINT_ENV.has(a.name) || seen.has(key)) continue;
        seen.add(key);
        podDind ??= tpl.containers.some(isDindContainer);
        const j = judge(tpl, c, a.value, classifyEndpoint(a.value), podDind);
        hits.push({
          severity: j.severity === "info" ? "info" : dockerSeverity(ctx.target, j.severity),
          path: a.path,
          container: c.name,
          message: `container "${c.name}" sets ${a.name}=${a.value} in its ${a.where} (${pathText(a.path, workload)}): ${j.why}.`,
          evidence: { name: a.name, value: a.value, where: a.where },
        });
      }
    }
    return hits;
  },
};
