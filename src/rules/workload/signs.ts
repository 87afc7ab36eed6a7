/**
 * Pod-wide facts several rules need: where a container uses Docker in its commands, DOCKER_* env,
 * Docker-in-Docker sidecars, known agents, log shippers and runtime socket mounts. Computed from the
 * normalised `PodTemplate`, never from free text (names, labels and comments are ignored).
 */
import type { Target } from "../../core/target.js";
import type { DocPath, Severity } from "../../core/types.js";
import { compareVersions, parseVersion } from "../../core/version.js";
import {
  type Container,
  containerFieldPath,
  type EnvVar,
  type ExecHook,
  type PodTemplate,
} from "../../core/workload.js";
import { type AgentRow, KNOWN_AGENTS } from "../data/agents.js";
import { LOG_SHIPPERS, type LogShipperRow } from "../data/logging.js";
import { type SocketKind, socketKindOf } from "../data/sockets.js";
import { containerSocketKinds, hostPathMatches, matchesOfKind, mountedSocketKinds } from "./hostpaths.js";
import { type Assignment, analyseArgv, type DockerUse, dockerAssignments } from "./shell.js";
import {
  canonicalHostPath,
  capList,
  lastComponent,
  namedPipe,
  normalizePath,
  parseImage,
  repoEndsWith,
} from "./util.js";

export interface LocatedUse {
  use: DockerUse;
  container: Container;
  /** Relative to the pod template: the exact command/args/hook element. */
  path: DocPath;
  /** "command", "args", "livenessProbe", "lifecycle.postStart"... */
  where: string;
}

/** Docker uses in a container's command+args and its exec probes and hooks. */
// W004, W008, W009 and W010 all ask what a container's argv does: tokenise once per container.
// The rules of one pod unit run one after the other, so the containers asked about are the last few
// built: a small ring of the latest answers, compared by identity. (It was a WeakMap: one entry per
// container of the input, whose set was 2% of the audit and whose entries cost GC time.)
const USES_RING = 16;
const usesKeys: (Container | undefined)[] = new Array(USES_RING).fill(undefined);
const usesValues: LocatedUse[][] = new Array(USES_RING).fill([]);
let usesNext = 0;
const NO_USES: LocatedUse[] = Object.freeze([]) as unknown as LocatedUse[];

/** Docker uses in a container's command/args and exec hooks (do not mutate the result). */
export function dockerUses(c: Container): LocatedUse[] {
  if (c.command.length === 0 && c.args.length === 0 && c.execHooks.length === 0) return NO_USES;
  for (let i = 0; i < USES_RING; i++) if (usesKeys[i] === c) return usesValues[i] as LocatedUse[];
  const uses = computeDockerUses(c);
  usesKeys[usesNext] = c;
  usesValues[usesNext] = uses;
  usesNext = (usesNext + 1) % USES_RING;
  return uses;
}

/** Where argv element `el` of the container's command+args, or of one exec hook, is. */
function locate(c: Container, el: number, hook?: ExecHook): { path: DocPath; where: string } {
  if (hook) return { path: containerFieldPath(c, [...hook.path, el]), where: hook.where };
  const inCommand = el < c.command.length;
  return {
    path: containerFieldPath(c, inCommand ? ["command", el] : ["args", el - c.command.length]),
    where: inCommand ? "command" : "args",
  };
}

function computeDockerUses(c: Container): LocatedUse[] {
  const out: LocatedUse[] = [];
  for (const use of analyseArgv([...c.command, ...c.args]))
    out.push({ use, container: c, ...locate(c, use.el) });
  for (const hook of c.execHooks) {
    for (const use of analyseArgv(hook.command)) out.push({ use, container: c, ...locate(c, use.el, hook) });
  }
  return out;
}

/** A `DOCKER_*=value` assignment in a container's shell code, located. */
export interface LocatedAssignment extends Assignment {
  path: DocPath;
  where: string;
}

/** `DOCKER_HOST=… docker …`, `export DOCKER_HOST=…` in a container's command/args and exec hooks. */
export function dockerAssignmentsOf(c: Container): LocatedAssignment[] {
  const out: LocatedAssignment[] = [];
  for (const a of dockerAssignments([...c.command, ...c.args])) out.push({ ...a, ...locate(c, a.el) });
  for (const hook of c.execHooks) {
    for (const a of dockerAssignments(hook.command)) out.push({ ...a, ...locate(c, a.el, hook) });
  }
  return out;
}

/** Uses that talk to or manage the node's Docker Engine (dockerd as the container's own process excluded). */
export function isHostDockerUse(u: DockerUse): boolean {
  return u.kind !== "dockerd" || u.host;
}

export const DOCKER_ENV_NAMES: readonly string[] = [
  "DOCKER_HOST",
  "DOCKER_SOCK",
  "DOCKER_SOCKET",
  "DOCKER_CERT_PATH",
  "DOCKER_TLS_VERIFY",
];

/** Names whose value says where the Docker API is. */
export const DOCKER_ENDPOINT_ENV: ReadonlySet<string> = new Set([
  "DOCKER_HOST",
  "DOCKER_SOCK",
  "DOCKER_SOCKET",
]);

export type EndpointKind = "unix" | "tcp-local" | "tcp-remote" | "unknown";

export interface Endpoint {
  kind: EndpointKind;
  /** Socket path (unix) or host:port (tcp). */
  where?: string;
  /** A Windows named pipe (`npipe:////./pipe/docker_engine`): a local endpoint like a unix socket. */
  pipe?: boolean;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"]);

/** Classifies a DOCKER_HOST-like value: `unix:///x`, `/x`, `tcp://h:p`, `h:p`. */
export function classifyEndpoint(value: string | undefined): Endpoint {
  if (value === undefined) return { kind: "unknown" };
  const v = value.trim();
  const pipe = namedPipe(v);
  if (pipe) return { kind: "unix", where: pipe, pipe: true };
  if (v.startsWith("unix://")) return { kind: "unix", where: normalizePath(v.slice("unix://".length)) };
  if (v.startsWith("/")) return { kind: "unix", where: normalizePath(v) };
  const m =
    /^(?:tcp|https?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(v) ?? /^(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(v);
  if (!m) return { kind: "unknown" };
  const host = (m[1] ?? "").toLowerCase();
  const where = m[2] ? `${host}:${m[2]}` : host;
  return { kind: LOCAL_HOSTS.has(host) ? "tcp-local" : "tcp-remote", where };
}

/** True when the image is a Docker-in-Docker image: docker:*dind*, or a repository component starting with "dind". */
export function isDindImage(image: string): boolean {
  const p = parseImage(image);
  if (p.imageId || p.path.length === 0) return false;
  const last = p.path[p.path.length - 1] ?? "";
  if (last.startsWith("dind")) return true;
  const officialDocker =
    last === "docker" && (p.path.length === 1 || (p.path.length === 2 && p.path[0] === "library"));
  return officialDocker && /dind/i.test(p.tag ?? "");
}

/** A container that runs its own Docker daemon (W010): a DinD image or dockerd as its own process. */
export function isDindContainer(c: Container): boolean {
  if (isDindImage(c.image)) return true;
  // The container's own process (command/args), not a probe or hook that happens to start dockerd.
  return dockerUses(c).some(
    (lu) => lu.use.kind === "dockerd" && !lu.use.host && (lu.where === "command" || lu.where === "args"),
  );
}

/** The known agent an image runs: its repository path ends with a row's repository (a registry host counts). */
export function agentOf(image: string): AgentRow | undefined {
  const p = parseImage(image);
  if (p.imageId || p.invalid) return undefined;
  // Only rows with a repository ending in the image's last component can match (most images: none).
  const rows = agentsByLastComponent().get(p.path[p.path.length - 1] ?? "");
  if (!rows) return undefined;
  const full: typeof p = p.registry ? { ...p, path: [p.registry, ...p.path] } : p;
  return rows.find((a) => a.repositories.some((r) => repoEndsWith(full, r)));
}

let byLastComponent: Map<string, AgentRow[]> | undefined;

/** KNOWN_AGENTS by the last component of each repository (lower-cased, as repoEndsWith compares), in table order. */
function agentsByLastComponent(): Map<string, AgentRow[]> {
  if (!byLastComponent) {
    byLastComponent = new Map();
    for (const row of KNOWN_AGENTS) {
      for (const r of row.repositories) {
        const last = lastComponent(r.toLowerCase());
        const rows = byLastComponent.get(last) ?? [];
        if (!rows.includes(row)) rows.push(row);
        byLastComponent.set(last, rows);
      }
    }
  }
  return byLastComponent;
}

export interface AgentVerdict {
  agent: AgentRow;
  /** False when the agent's version or configuration already works on containerd/CRI-O. */
  needsSteps: boolean;
  /** Why, in one clause for messages ("" when only the vendor list says so). */
  why: string;
}

/** The value after `--flag` or in `--flag=value` among argv words. */
function flagValues(words: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  words.forEach((w, i) => {
    for (const f of flags) {
      if (w === f && words[i + 1] !== undefined) out.push(words[i + 1] as string);
      else if (w.startsWith(`${f}=`)) out.push(w.slice(f.length + 1));
    }
  });
  return out;
}

/** The runtime a socket-like value names: `unix:///run/containerd/containerd.sock`, a pipe, a path. */
function endpointKind(value: string): SocketKind | undefined {
  const ep = classifyEndpoint(value);
  return ep.kind === "unix" ? socketKindOf(canonicalHostPath(ep.where ?? "")) : undefined;
}

/**
 * `7.52.0-jmx` against `7.27.0`: true when at least; a major-only tag (`7`, `7-jmx`) or no tag (`latest`) is the
 * newest release of its line, so only the major counts. Undefined when the tag is not a version.
 */
function tagAtLeast(tag: string | undefined, min: string): boolean | undefined {
  const want = parseVersion(min);
  if (!want) return undefined;
  if (tag === undefined || tag === "latest") return true;
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?![\d.])/.exec(tag);
  if (!m) return undefined;
  const have = parseVersion(m[0]);
  if (!have) return undefined;
  if (m[2] === undefined) return have.major >= want.major;
  return compareVersions(have, want) >= 0;
}

/**
 * Whether a known agent still needs its vendor steps, from what the pod says: an explicit Docker setting
 * (a Docker socket in its endpoint env or flags, a Docker-only flag) says yes; an explicit containerd/CRI-O
 * setting, a release at or after the vendor's first CRI-capable one, or (for agents generated per runtime) a
 * containerd/CRI-O socket mounted with no Docker one says no.
 */
export function agentVerdict(c: Container, tpl: PodTemplate): AgentVerdict | undefined {
  const agent = agentOf(c.image);
  if (!agent) return undefined;
  const argv = [...c.command, ...c.args];
  const settings = [
    ...c.env
      .filter((e) => agent.socketEnv?.includes(e.name) && e.value !== undefined)
      .map((e) => ({ text: `${e.name}=${e.value}`, kind: endpointKind(e.value ?? "") })),
    ...flagValues(argv, agent.socketFlags ?? []).map((v) => ({ text: v, kind: endpointKind(v) })),
  ];
  const docker = settings.find(
    (s) => s.kind === "docker" || s.kind === "dockershim" || s.kind === "cri-dockerd",
  );
  if (docker) return { agent, needsSteps: true, why: `it is configured for Docker (${docker.text})` };
  const dockerOnly = argv.find((w) =>
    (agent.dockerOnlyFlags ?? []).some((f) => w === f || w === `${f}=true` || w === `${f}=1`),
  );
  if (dockerOnly) return { agent, needsSteps: true, why: `it runs with ${dockerOnly}` };
  if (agent.onlyWhenDockerOnly) {
    return {
      agent,
      needsSteps: false,
      why: "it reads containerd and CRI-O unless told to report Docker only",
    };
  }
  const cri = settings.find((s) => s.kind === "containerd" || s.kind === "crio");
  if (cri) return { agent, needsSteps: false, why: `it is configured for ${cri.kind} (${cri.text})` };
  if (agent.settledByCriSocketMount) {
    const kinds = mountedSocketKinds(tpl);
    if ((kinds.has("containerd") || kinds.has("crio")) && !kinds.has("docker") && !kinds.has("dockershim")) {
      return {
        agent,
        needsSteps: false,
        why: "the pod mounts the containerd/CRI-O socket and no Docker socket",
      };
    }
  }
  const p = parseImage(c.image);
  if (agent.supportedFrom) {
    const ok = p.digest && p.tag === undefined ? undefined : tagAtLeast(p.tag, agent.supportedFrom.version);
    if (ok) {
      return {
        agent,
        needsSteps: false,
        why: `${p.tag ?? "latest"} is at or after ${agent.supportedFrom.version}, which works on containerd/CRI-O`,
      };
    }
    return {
      agent,
      needsSteps: true,
      why:
        ok === false
          ? `${p.tag} is older than ${agent.supportedFrom.version}, the first release that needs no steps`
          : `its version is not in the tag; releases before ${agent.supportedFrom.version} need the steps`,
    };
  }
  return { agent, needsSteps: true, why: "" };
}

export function logShipperOf(image: string): LogShipperRow | undefined {
  const p = parseImage(image);
  if (p.imageId) return undefined;
  return LOG_SHIPPERS.find((a) => a.repositories.some((r) => repoEndsWith(p, r)));
}

/**
 * A pod looks like a log shipper when a container runs a known shipper image, or the pod mounts the
 * kubelet's container log directories from the host.
 */
export function logShipperEvidence(tpl: PodTemplate): string | undefined {
  for (const c of tpl.containers) {
    const row = logShipperOf(c.image);
    if (row) return `container "${c.name}" runs ${row.id} (${c.image})`;
  }
  const logs = matchesOfKind(tpl, "kubelet-logs").find((m) => m.via === "volume");
  if (logs) return `it mounts ${logs.volume.hostPath} from the host`;
  return undefined;
}

/** True when the pod can reach the node's Docker Engine socket: a Docker socket or a socket parent mount. */
export function reachesHostDocker(tpl: PodTemplate): boolean {
  // /run/containerd and /run/crio hold other runtimes' sockets, not Docker's.
  return hostPathMatches(tpl).some((m) =>
    m.match.kind === "socket"
      ? m.match.socket === "docker" || m.match.socket === "dockershim" || m.match.socket === "cri-dockerd"
      : m.match.kind === "socket-parent" && m.via === "volume" && m.match.row.reachesDocker,
  );
}

function envSocketPath(e: EnvVar): boolean {
  if (e.value === undefined) return false;
  const ep = classifyEndpoint(e.value);
  return ep.kind === "unix" && socketKindOf(canonicalHostPath(ep.where ?? "")) === "docker";
}

/**
 * Evidence that the pod uses Docker Engine, other than a socket parent mount itself (W004's trigger):
 * docker CLI use, DOCKER_* env that is not a DinD sidecar, a known Docker-dependent agent, or a mount /
 * subPath / argument / env value that names docker.sock.
 */
export function dockerSigns(tpl: PodTemplate): string[] {
  const signs: string[] = [];
  for (const c of tpl.containers) {
    const envHost = c.env.find((e) => e.name === "DOCKER_HOST")?.value;
    for (const lu of dockerUses(c)) {
      if (!isHostDockerUse(lu.use)) continue;
      // A CLI told to use a daemon on localhost talks to a sidecar (unless localhost is the node).
      const ep = lu.use.kind === "docker-cli" ? (lu.use.endpoint ?? envHost) : undefined;
      if (ep !== undefined && !tpl.hostNetwork && classifyEndpoint(ep).kind === "tcp-local") continue;
      signs.push(`container "${c.name}" runs "${lu.use.text}" (${lu.where})`);
    }
    // DOCKER_* pointing at a DinD sidecar on localhost is not the node's Docker.
    // (With hostNetwork, localhost is the node, so it is not a sidecar.)
    const sidecarClient =
      !tpl.hostNetwork &&
      c.env.some((e) => DOCKER_ENDPOINT_ENV.has(e.name) && classifyEndpoint(e.value).kind === "tcp-local");
    for (const e of c.env) {
      if (DOCKER_ENV_NAMES.includes(e.name)) {
        if (!sidecarClient) signs.push(`container "${c.name}" sets ${e.name}`);
      } else if (envSocketPath(e)) {
        signs.push(`container "${c.name}" sets ${e.name}=${e.value}`);
      }
    }
    const agent = agentVerdict(c, tpl);
    if (agent?.needsSteps) signs.push(`container "${c.name}" runs ${agent.agent.product} (${c.image})`);
    for (const m of c.volumeMounts) {
      if (socketKindOf(canonicalHostPath(m.mountPath)) === "docker") {
        signs.push(`container "${c.name}" mounts a volume at ${m.mountPath}`);
      }
    }
  }
  for (const m of matchesOfKind(tpl, "socket")) {
    if (m.via !== "subPath" || m.match.socket !== "docker" || !m.container) continue;
    signs.push(`container "${m.container.name}" mounts ${m.canonical} through subPath "${m.mount?.subPath}"`);
  }
  return [...new Set(signs)];
}

/** The socket kinds of the target runtimes that leave Docker: containerd -> "containerd", cri-o -> "crio". */
export function targetSocketKinds(target: Target): SocketKind[] {
  const out = new Set<SocketKind>();
  for (const r of target.runtimes) {
    if (r.name === "containerd") out.add("containerd");
    else if (r.name === "cri-o") out.add("crio");
  }
  return [...out];
}

/** True when the container is itself a Docker client: docker commands, service management, DOCKER_* env. */
export function usesDockerItself(c: Container): boolean {
  return (
    c.env.some((e) => DOCKER_ENV_NAMES.includes(e.name)) ||
    dockerUses(c).some((lu) => lu.use.kind !== "socket-arg" && isHostDockerUse(lu.use))
  );
}

const RUNTIME_LABEL: Record<SocketKind, string> = {
  docker: "Docker",
  dockershim: "dockershim",
  "cri-dockerd": "cri-dockerd",
  containerd: "containerd",
  crio: "CRI-O",
};

/**
 * For a Docker socket mount: when every container that mounts it also mounts the socket of every target
 * runtime and is no Docker client itself, it is a multi-runtime agent (Falco, monitoring agents) that uses
 * whichever socket exists; the Docker mount is dead weight after the move, not a break.
 */
export function multiRuntimeMount(
  tpl: PodTemplate,
  containers: readonly Container[],
  target: Target,
): { severity: Severity; why: string } | undefined {
  const want = targetSocketKinds(target);
  if (want.length === 0 || containers.length === 0) return undefined;
  const ok = containers.every(
    (c) => !usesDockerItself(c) && want.every((k) => containerSocketKinds(tpl, c).has(k)),
  );
  if (!ok) return undefined;
  const names = want.map((k) => RUNTIME_LABEL[k]).join(" and ");
  return {
    severity: "low",
    why:
      `The container${containers.length > 1 ? "s" : ""} mounting it also mount${containers.length > 1 ? "" : "s"} ` +
      `the ${names} socket${want.length > 1 ? "s" : ""} and run${containers.length > 1 ? "" : "s"} no Docker ` +
      "client: an agent that uses whichever runtime socket exists. This mount is unused after the move; remove it then.",
  };
}

/**
 * For a containerd/CRI-O socket mount: when every mounting container runs a known agent at a release or with
 * a configuration that supports those runtimes (W013's verdict), the coupling is the vendor's to keep up.
 */
export function supportedAgentMount(
  tpl: PodTemplate,
  containers: readonly Container[],
): { severity: Severity; why: string } | undefined {
  if (containers.length === 0) return undefined;
  const verdicts = containers.map((c) => ({ c, v: agentVerdict(c, tpl) }));
  if (!verdicts.every(({ v }) => v && !v.needsSteps)) return undefined;
  const list = verdicts.map(({ c, v }) => `"${c.name}" runs ${v?.agent.product} (${c.image})`);
  return {
    severity: "low",
    why: `Container ${capList(list, 3, ", ")}: a release that supports containerd and CRI-O; check the vendor's notes for the target version.`,
  };
}
