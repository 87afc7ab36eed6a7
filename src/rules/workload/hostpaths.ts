/**
 * The one host-path matcher. Every rule that asks "what on the node does this pod reach through a hostPath?"
 * (the socket rules W001/W002/W003/W005/W016, W004, W006, W007 and the pod-wide signs) reads the matches
 * computed here, so a path spelling (/var/run vs /run, `..`, a trailing slash, a Windows pipe or drive path, a
 * subPath below a mounted directory) is understood the same way by all of them. What a path means comes
 * from the tables in ../data/sockets.ts; this module only applies them.
 */
import type { DocPath } from "../../core/types.js";
import type { Container, PodTemplate, VolumeMount } from "../../core/workload.js";
import {
  CONTAINER_LOG_PATHS,
  DOCKER_CONTAINER_LOG_DIRS,
  DOCKER_DATA_DIRS,
  type DockerDirRow,
  type LogDirRow,
  type ParentDirRow,
  SOCKET_PARENT_DIRS,
  type SocketKind,
  socketKindOf,
} from "../data/sockets.js";
import { canonicalHostPath, type HostVolume, hostVolumes, isUnder } from "./util.js";

/** What a canonical host path is, by the tables. */
export type HostPathClass =
  | { kind: "socket"; socket: SocketKind }
  | { kind: "docker-logs"; row: LogDirRow }
  | { kind: "docker-data"; row: DockerDirRow }
  | { kind: "socket-parent"; row: ParentDirRow }
  | { kind: "kubelet-logs"; dir: string };

/**
 * Classifies a canonical host path (`canonicalHostPath`). Order matters: a socket file wins over the
 * directory it sits in, Docker's log directory over the data root that contains it; socket parents match
 * exactly (a subdirectory of /run is not "the directory holding the sockets").
 */
export function classifyHostPath(canonical: string): HostPathClass | undefined {
  const socket = socketKindOf(canonical);
  if (socket) return { kind: "socket", socket };
  const logs = DOCKER_CONTAINER_LOG_DIRS.find((d) => isUnder(canonical, d.prefix));
  if (logs) return { kind: "docker-logs", row: logs };
  const data = DOCKER_DATA_DIRS.find((d) => isUnder(canonical, d.prefix));
  if (data) return { kind: "docker-data", row: data };
  const parent = SOCKET_PARENT_DIRS.find((d) => d.path === canonical);
  if (parent) return { kind: "socket-parent", row: parent };
  const dir = CONTAINER_LOG_PATHS.find((d) => isUnder(canonical, d));
  if (dir) return { kind: "kubelet-logs", dir };
  return undefined;
}

/** Two classes name the same thing (same kind, and the same runtime for sockets). */
function sameClass(a: HostPathClass, b: HostPathClass): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind !== "socket" || a.socket === (b as { socket: SocketKind }).socket;
}

/** A host path the pod reaches: a hostPath volume itself, or a container's subPath below it. */
export interface HostPathMatch {
  volume: HostVolume;
  /** "volume": the hostPath as written; "subPath": a volumeMount's subPath (or expanded subPathExpr) below it. */
  via: "volume" | "subPath";
  /** Canonical host path reached. */
  canonical: string;
  /** The hostPath.path field, or the mount's subPath / subPathExpr field (paths from the object root). */
  path: DocPath;
  /** For via "subPath": the container and its mount. */
  container?: Container;
  mount?: VolumeMount;
  match: HostPathClass;
}

interface Matches {
  all: HostPathMatch[];
  byKind: Map<HostPathClass["kind"], HostPathMatch[]>;
}

const cache = new WeakMap<PodTemplate, Matches>();
const NONE: readonly HostPathMatch[] = Object.freeze([]);

/** The matches of a pod without hostPath volumes (most pods): shared, not cached per template. */
const NO_MATCHES: Matches = Object.freeze({
  all: Object.freeze([]) as unknown as HostPathMatch[],
  byKind: new Map(),
});

function matchesOf(tpl: PodTemplate): Matches {
  if (hostVolumes(tpl).length === 0) return NO_MATCHES;
  let m = cache.get(tpl);
  if (!m) {
    const all = computeMatches(tpl);
    const byKind = new Map<HostPathClass["kind"], HostPathMatch[]>();
    for (const x of all) {
      const list = byKind.get(x.match.kind);
      if (list) list.push(x);
      else byKind.set(x.match.kind, [x]);
    }
    m = { all, byKind };
    cache.set(tpl, m);
  }
  return m;
}

/**
 * Every classified host path of a pod template, volume by volume in spec order: the volume first, then its
 * subPaths. A subPath is listed only when it reaches something other than what the volume itself already is
 * (a subPath inside /var/lib/docker is still /var/lib/docker; a subPath `docker.sock` of /run is a socket).
 * Computed once per template; do not mutate.
 */
export function hostPathMatches(tpl: PodTemplate): readonly HostPathMatch[] {
  return matchesOf(tpl).all;
}

function computeMatches(tpl: PodTemplate): HostPathMatch[] {
  const out: HostPathMatch[] = [];
  for (const hv of hostVolumes(tpl)) {
    const own = classifyHostPath(hv.canonical);
    if (own) out.push({ volume: hv, via: "volume", canonical: hv.canonical, path: hv.path, match: own });
    for (const { container, mount } of hv.mounts) {
      if (!mount.subPath) continue;
      const canonical = canonicalHostPath(`${hv.canonical}/${mount.subPath}`);
      const match = classifyHostPath(canonical);
      if (!match || (own && sameClass(own, match))) continue;
      out.push({
        volume: hv,
        via: "subPath",
        canonical,
        path: [...mount.path, mount.subPathField ?? "subPath"],
        container,
        mount,
        match,
      });
    }
  }
  return out;
}

/** The matches of one kind, typed (computed with the rest; do not mutate). */
export function matchesOfKind<K extends HostPathClass["kind"]>(
  tpl: PodTemplate,
  kind: K,
): readonly (HostPathMatch & { match: Extract<HostPathClass, { kind: K }> })[] {
  return (matchesOf(tpl).byKind.get(kind) ?? NONE) as (HostPathMatch & {
    match: Extract<HostPathClass, { kind: K }>;
  })[];
}

/** Socket kinds the pod reaches through a hostPath (the volume itself or a subPath below it). */
export function mountedSocketKinds(tpl: PodTemplate): Set<SocketKind> {
  return new Set(matchesOfKind(tpl, "socket").map((m) => m.match.socket));
}

/** The containers that reach a match: every container mounting the volume, or the subPath's container. */
export function matchContainers(m: HostPathMatch): Container[] {
  if (m.via === "subPath") return m.container ? [m.container] : [];
  return [...new Set(m.volume.mounts.map((x) => x.container))];
}

/** Socket kinds one container reaches through hostPath volumes it mounts (or subPaths it uses). */
export function containerSocketKinds(tpl: PodTemplate, c: Container): Set<SocketKind> {
  const out = new Set<SocketKind>();
  for (const m of matchesOfKind(tpl, "socket")) if (matchContainers(m).includes(c)) out.add(m.match.socket);
  return out;
}

/**
 * True when the container mounts a host directory that holds the kubelet's container logs (/var/log,
 * /var/log/pods, /var/log/containers or below them), through a hostPath volume or a subPath.
 */
export function readsKubeletLogs(tpl: PodTemplate, c: Container): boolean {
  for (const hv of hostVolumes(tpl)) {
    for (const { container, mount } of hv.mounts) {
      if (container !== c) continue;
      const p = mount.subPath ? canonicalHostPath(`${hv.canonical}/${mount.subPath}`) : hv.canonical;
      if (p === "/" || p === "/var") continue; // the whole host: says nothing about what it reads
      if (CONTAINER_LOG_PATHS.some((d) => isUnder(d, p) || isUnder(p, d))) return true;
    }
  }
  return false;
}
