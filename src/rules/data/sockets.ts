/**
 * Host paths that expose a container runtime, as data (DESIGN.md §2: facts that change with releases are
 * tables with a source per row). Paths are compared after `canonicalHostPath` (util.ts), which folds
 * `/var/run` into `/run` and writes Windows paths as `\\.\pipe\<name>` or `c:/lower/case`; the rows therefore
 * list those spellings only. The one matcher over these tables is hostpaths.ts.
 */

export type SocketKind = "docker" | "dockershim" | "cri-dockerd" | "containerd" | "crio";

export interface SocketRow {
  kind: SocketKind;
  /** Canonical default paths (after /var/run -> /run folding). */
  defaults: readonly string[];
  /** True when the canonical path names this runtime's socket (any directory). */
  matches(canonicalPath: string): boolean;
  source: string;
}

function base(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

/**
 * Order matters: the first matching row wins, so the specific names (cri-dockerd, dockershim) come before
 * the generic `*docker.sock` suffix.
 */
export const SOCKETS: readonly SocketRow[] = [
  {
    kind: "cri-dockerd",
    defaults: ["/run/cri-dockerd.sock"],
    matches: (p) => base(p) === "cri-dockerd.sock",
    source: "https://kubernetes.io/docs/setup/production-environment/container-runtimes/#docker",
  },
  {
    kind: "dockershim",
    defaults: ["/run/dockershim.sock"],
    // Windows nodes: the kubelet's dockershim served npipe:////./pipe/dockershim
    // (https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/find-out-runtime-you-use/).
    matches: (p) => p.endsWith("dockershim.sock") || p === "\\\\.\\pipe\\dockershim",
    source: "https://github.com/aws-containers/kubectl-detector-for-docker-socket/issues/2",
  },
  {
    // Rootless Docker puts it under /run/user/<uid>/docker.sock; the kubectl-dds suffix match covers that.
    kind: "docker",
    // Windows nodes: \\.\pipe\docker_engine (https://docs.docker.com/reference/cli/dockerd/#daemon-socket-option).
    defaults: ["/run/docker.sock", "\\\\.\\pipe\\docker_engine"],
    matches: (p) => p.endsWith("docker.sock") || p === "\\\\.\\pipe\\docker_engine",
    source:
      "https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/",
  },
  {
    // k3s uses /run/k3s/containerd/containerd.sock, Bottlerocket /run/host-containerd/containerd.sock
    // (both in Falco's default socket list, falcosecurity/falco falco.yaml).
    kind: "containerd",
    // Windows nodes: npipe://./pipe/containerd-containerd (same source).
    defaults: ["/run/containerd/containerd.sock", "\\\\.\\pipe\\containerd-containerd"],
    matches: (p) => base(p) === "containerd.sock" || p === "\\\\.\\pipe\\containerd-containerd",
    source: "https://kubernetes.io/docs/setup/production-environment/container-runtimes/#containerd",
  },
  {
    kind: "crio",
    defaults: ["/run/crio/crio.sock"],
    matches: (p) => base(p) === "crio.sock",
    source: "https://kubernetes.io/docs/setup/production-environment/container-runtimes/#cri-o",
  },
];

export function socketKindOf(canonicalPath: string): SocketKind | undefined {
  return SOCKETS.find((row) => row.matches(canonicalPath))?.kind;
}

export interface ParentDirRow {
  /** Canonical path (after /var/run -> /run folding). */
  path: string;
  /** What a pod can reach through it. */
  reaches: string;
  source: string;
  /** True when the directory holds Docker's socket (docker.sock, cri-dockerd.sock) or contains one. */
  reachesDocker: boolean;
}

const TELEMETRY_DOC =
  "https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/";
const BAIDU_CCE = "https://cloud.baidu.com/doc/CCE/s/lmi8floz5";

/** Directories that contain a runtime socket: mounting them hides the dependency from exact-path checks. */
export const SOCKET_PARENT_DIRS: readonly ParentDirRow[] = [
  { path: "/", reachesDocker: true, reaches: "every runtime socket on the node", source: BAIDU_CCE },
  {
    path: "/var",
    reachesDocker: true,
    reaches: "/var/run and every runtime socket under it",
    source: BAIDU_CCE,
  },
  {
    path: "/run",
    reachesDocker: true,
    reaches: "docker.sock, cri-dockerd.sock and the containerd/CRI-O directories",
    source: TELEMETRY_DOC,
  },
  {
    path: "/run/docker",
    reachesDocker: true,
    reaches: "Docker's exec root (containerd shim sockets of Docker)",
    source: TELEMETRY_DOC,
  },
  { path: "/run/containerd", reachesDocker: false, reaches: "containerd.sock", source: BAIDU_CCE },
  {
    path: "/run/crio",
    reachesDocker: false,
    reaches: "crio.sock",
    source: "https://kubernetes.io/docs/setup/production-environment/container-runtimes/#cri-o",
  },
];

export interface DockerDirRow {
  /** Canonical prefix; the row matches the path itself and everything below it. */
  prefix: string;
  what: string;
  source: string;
}

const DOCKERD_DATA_DOC = "https://docs.docker.com/engine/daemon/#daemon-data-directory";

/** Docker Engine's state and config directories (W006). The json-file log directories are W007's. */
export const DOCKER_DATA_DIRS: readonly DockerDirRow[] = [
  {
    prefix: "/var/lib/docker",
    what: "Docker Engine's data root (images, layers, container state)",
    source: "https://github.com/fluent/fluent-bit-kubernetes-logging/issues/88",
  },
  {
    prefix: "/etc/docker",
    what: "Docker Engine's configuration (daemon.json, certs.d)",
    source:
      "https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/check-if-dockershim-removal-affects-you/",
  },
  {
    // Windows: the data root and daemon.json both live under C:\ProgramData\docker (DOCKERD_DATA_DOC).
    prefix: "c:/programdata/docker",
    what: "Docker Engine's data root and configuration on Windows (images, containers, config\\daemon.json)",
    source: DOCKERD_DATA_DOC,
  },
];

export interface LogDirRow {
  prefix: string;
  source: string;
}

/** Docker's json-file container logs (W007): <data-root>/containers on Linux and Windows nodes. */
export const DOCKER_CONTAINER_LOG_DIRS: readonly LogDirRow[] = [
  {
    prefix: "/var/lib/docker/containers",
    source: "https://github.com/fluent/fluent-bit-kubernetes-logging/issues/88",
  },
  { prefix: "c:/programdata/docker/containers", source: DOCKERD_DATA_DOC },
];

/** Paths where the kubelet exposes container logs in the runtime's format (CRI text on containerd/CRI-O). */
export const CONTAINER_LOG_PATHS: readonly string[] = ["/var/log/containers", "/var/log/pods"];
