/**
 * Which runtime versions a kubelet minor works with, as data with a source URL per row (DESIGN.md §2):
 * the kubelet changes that decide node findings, containerd's Kubernetes support matrix, the runtime
 * versions that implement the `RuntimeConfig` CRI call, and kubeadm's CRI-socket annotation. Checked on
 * 2026-12-03; docs/rules/N00*.md quote the same sources.
 */
import { compareVersions, parseVersion, type Version } from "../../core/version.js";

export interface KubeletChange {
  /** The first Kubernetes minor with the change. */
  k8s: string;
  what: string;
  source: string;
}

/** Kubelet (and kubeadm) changes the node rules are built on, by name. */
export const KUBELET_CHANGES = {
  dockershimRemoved: {
    k8s: "1.24",
    what: "dockershim removed from the kubelet",
    source: "https://kubernetes.io/dockershim",
  },
  criV1Only: {
    k8s: "1.26",
    what: "CRI v1alpha2 removed: the kubelet speaks only CRI v1",
    source: "https://github.com/kubernetes/kubernetes/pull/110618",
  },
  cgroupV1Maintenance: {
    k8s: "1.31",
    what: "cgroup v1 in maintenance mode; the kubelet emits a CgroupV1 Warning event",
    source: "https://github.com/kubernetes/kubernetes/pull/125328",
  },
  nodeLocalCriSocketDefault: {
    k8s: "1.34",
    what: "kubeadm NodeLocalCRISocket on by default: the cri-socket annotation is no longer used",
    source: "https://github.com/kubernetes/website/pull/51503",
  },
  failCgroupV1Default: {
    k8s: "1.35",
    what: "failCgroupV1 defaults to true: the kubelet refuses to start on cgroup v1",
    source: "https://github.com/kubernetes/kubernetes/pull/134298",
  },
  cgroupV1OverrideMayGo: {
    k8s: "1.38",
    what: "the failCgroupV1: false override may be removed (planned no earlier than 1.38)",
    source:
      "https://github.com/kubernetes/enhancements/blob/master/keps/sig-node/5573-remove-cgroup-v1/README.md",
  },
  runtimeConfigFallbackRemoved: {
    k8s: "1.38",
    what: "the kubelet no longer falls back to its cgroupDriver setting for runtimes without the RuntimeConfig call",
    source: "https://github.com/kubernetes/kubernetes/pull/139121",
  },
} as const satisfies Record<string, KubeletChange>;

export function changeVersion(c: KubeletChange): Version {
  return parseVersion(c.k8s) ?? { major: 1, minor: 0 };
}

export interface ContainerdMatrixRow {
  /** Kubernetes minor. */
  k8s: string;
  /** Minimum patch per listed containerd branch, newest first ("2.1.0", "1.7.24"). */
  minimums: readonly string[];
  source: string;
}

const CTD_RELEASES = "https://github.com/containerd/containerd/blob/main/RELEASES.md#kubernetes-support";
const CTD_RELEASES_2025 =
  "https://github.com/containerd/containerd/blob/007244d86cabfec3641d2e216f4d13a8245029f8/RELEASES.md#kubernetes-support";

/**
 * containerd's "Kubernetes Support" matrix. 1.26–1.29 come from its CRI v1 row ("v1.6.15+, v1.7.0+ for
 * 1.26+"); later rows from the matrix itself. There is no row for 1.37 or 1.38 in the copies read
 * (2026-08-22): `containerdMatrixFor` then uses the newest row and says so.
 */
export const CONTAINERD_K8S_MATRIX: readonly ContainerdMatrixRow[] = [
  { k8s: "1.26", minimums: ["1.7.0", "1.6.15"], source: CTD_RELEASES_2025 },
  { k8s: "1.27", minimums: ["1.7.0", "1.6.15"], source: CTD_RELEASES_2025 },
  { k8s: "1.28", minimums: ["1.7.0", "1.6.15"], source: CTD_RELEASES_2025 },
  { k8s: "1.29", minimums: ["1.7.0", "1.6.15"], source: CTD_RELEASES_2025 },
  { k8s: "1.30", minimums: ["2.1.0", "2.0.0", "1.7.13", "1.6.28"], source: CTD_RELEASES_2025 },
  { k8s: "1.31", minimums: ["2.1.0", "2.0.0", "1.7.20", "1.6.34"], source: CTD_RELEASES_2025 },
  { k8s: "1.32", minimums: ["2.1.0", "2.0.1", "1.7.24", "1.6.36"], source: CTD_RELEASES },
  { k8s: "1.33", minimums: ["2.1.0", "2.0.4", "1.7.24", "1.6.36"], source: CTD_RELEASES },
  { k8s: "1.34", minimums: ["2.1.3", "2.0.6", "1.7.28", "1.6.39"], source: CTD_RELEASES },
  { k8s: "1.35", minimums: ["2.2.0", "2.1.5", "1.7.28"], source: CTD_RELEASES },
  { k8s: "1.36", minimums: ["2.3.0", "2.2.0"], source: CTD_RELEASES },
];

/** The CRI v1 floor for containerd from Kubernetes 1.26 (containerd RELEASES.md, deprecated versions table). */
export const CONTAINERD_CRI_V1_MINIMUMS: readonly string[] = ["1.7.0", "1.6.15"];
export const CONTAINERD_CRI_V1_SOURCE = CTD_RELEASES_2025;

export interface MatrixLookup {
  row: ContainerdMatrixRow;
  /** True when the target minor has no row of its own and `row` is the newest one. */
  newestInstead: boolean;
}

/** The matrix row for a target minor; undefined for targets older than the matrix. */
export function containerdMatrixFor(target: Version): MatrixLookup | undefined {
  const mm = { major: target.major, minor: target.minor };
  const exact = CONTAINERD_K8S_MATRIX.find((r) => sameMinor(r.k8s, mm));
  if (exact) return { row: exact, newestInstead: false };
  const newest = CONTAINERD_K8S_MATRIX[CONTAINERD_K8S_MATRIX.length - 1];
  if (newest && compareVersions(mm, parse(newest.k8s)) > 0) return { row: newest, newestInstead: true };
  return undefined;
}

export type MatrixVerdict =
  /** At or above its branch's minimum, or a branch newer than any listed. */
  | { kind: "supported" }
  /** Its branch is listed, with a higher minimum patch. */
  | { kind: "below-minimum"; minimum: string }
  /** Its branch is older than every listed branch. */
  | { kind: "not-listed" };

/** Judges a containerd version against a matrix row's minimums. */
export function judgeContainerd(v: Version, minimums: readonly string[]): MatrixVerdict {
  const mins = minimums.map(parse);
  const same = mins.find((m) => m.major === v.major && m.minor === v.minor);
  if (same) {
    return compareVersions(v, same) >= 0
      ? { kind: "supported" }
      : { kind: "below-minimum", minimum: minimums[mins.indexOf(same)] ?? "" };
  }
  const newestListed = mins.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), mins[0] ?? parse("0.0"));
  return compareVersions(v, newestListed) > 0 ? { kind: "supported" } : { kind: "not-listed" };
}

const KUBELET_CGROUP_DRIVER_FROM_CRI =
  "https://github.com/kubernetes/website/blob/main/content/en/docs/reference/command-line-tools-reference/feature-gates/KubeletCgroupDriverFromCRI.md";

export interface RuntimeConfigSupport {
  runtime: "containerd" | "cri-o" | "cri-dockerd";
  /** First versions that implement `RuntimeConfig`, per branch where it was backported. */
  since: readonly string[];
  source: string;
}

/**
 * The runtime versions that answer the kubelet's `RuntimeConfig` call (cgroup driver over CRI, KEP-4033).
 * Without it, a 1.38 kubelet refuses the runtime by default. containerd's 1.7 backport was closed unmerged
 * (https://github.com/containerd/containerd/pull/11346).
 */
export const RUNTIME_CONFIG_SUPPORT: readonly RuntimeConfigSupport[] = [
  {
    runtime: "containerd",
    since: ["2.0.0"],
    source: KUBELET_CGROUP_DRIVER_FROM_CRI,
  },
  {
    runtime: "cri-o",
    since: ["1.28.0"],
    source: KUBELET_CGROUP_DRIVER_FROM_CRI,
  },
  {
    // cri-dockerd's version is not on the Node object (it reports Docker Engine's): N002 only reminds.
    runtime: "cri-dockerd",
    since: ["0.3.17", "0.4.0"],
    source: "https://github.com/Mirantis/cri-dockerd/pull/425",
  },
];

export function runtimeConfigSupport(runtime: RuntimeConfigSupport["runtime"]): RuntimeConfigSupport {
  return RUNTIME_CONFIG_SUPPORT.find((r) => r.runtime === runtime) as RuntimeConfigSupport;
}

/** True when `v` is at or above the first version with `RuntimeConfig` (per backport branch). */
export function hasRuntimeConfig(runtime: RuntimeConfigSupport["runtime"], v: Version): boolean {
  const mins = runtimeConfigSupport(runtime).since.map(parse);
  const same = mins.find((m) => m.major === v.major && m.minor === v.minor);
  if (same) return compareVersions(v, same) >= 0;
  return mins.some((m) => compareVersions(v, m) >= 0);
}

/** kubeadm's node annotation that recorded the CRI socket before NodeLocalCRISocket. */
export const KUBEADM_CRI_SOCKET_ANNOTATION = "kubeadm.alpha.kubernetes.io/cri-socket";

export type SocketRuntime = "dockershim" | "cri-dockerd" | "containerd" | "cri-o" | "docker-engine";

export interface CriSocketRow {
  runtime: SocketRuntime;
  /** Last path element of the endpoint (unix socket file or Windows named pipe). */
  names: readonly string[];
  source: string;
}

/**
 * CRI endpoints by their last path element (`unix:///run/containerd/containerd.sock`,
 * `npipe:////./pipe/containerd-containerd`). `docker.sock` is Docker Engine's API, never a CRI endpoint.
 */
export const CRI_SOCKETS: readonly CriSocketRow[] = [
  {
    runtime: "dockershim",
    names: ["dockershim.sock", "dockershim"],
    source:
      "https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrate-dockershim-dockerd/",
  },
  {
    runtime: "cri-dockerd",
    names: ["cri-dockerd.sock", "cri-dockerd"],
    source: "https://kubernetes.io/docs/setup/production-environment/container-runtimes/#docker",
  },
  {
    runtime: "containerd",
    names: ["containerd.sock", "containerd-containerd"],
    source: "https://kubernetes.io/docs/setup/production-environment/container-runtimes/#containerd",
  },
  {
    runtime: "cri-o",
    names: ["crio.sock"],
    source: "https://kubernetes.io/docs/setup/production-environment/container-runtimes/#cri-o",
  },
  {
    runtime: "docker-engine",
    names: ["docker.sock"],
    source:
      "https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/find-out-runtime-you-use/",
  },
];

/** The runtime a CRI endpoint names, from its last path element; undefined for names we do not know. */
export function socketRuntime(endpoint: string): SocketRuntime | undefined {
  const path = endpoint.trim().replace(/^[a-z]+:\/\//i, "");
  const last = path.split(/[/\\]/).filter(Boolean).pop()?.toLowerCase() ?? "";
  return CRI_SOCKETS.find((r) => r.names.includes(last))?.runtime;
}

/** Where CRI-O's lack of Windows support is recorded (its capability row says `windowsContainers: false`). */
export const CRIO_NO_WINDOWS_SOURCES: readonly string[] = [
  "https://github.com/cri-o/cri-o/issues/4842",
  "https://github.com/kubernetes-sigs/cri-tools/pull/914",
  "https://kubernetes.io/docs/concepts/windows/intro/#container-runtime",
];

function parse(text: string): Version {
  return parseVersion(text) ?? { major: 0, minor: 0 };
}

function sameMinor(text: string, v: Version): boolean {
  const p = parse(text);
  return p.major === v.major && p.minor === v.minor;
}
