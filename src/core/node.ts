/**
 * Node facts for the N-rules (DESIGN.md §3): what a Node object says about its kubelet and container
 * runtime, the runtime class derived from both, the optional evidence the live scan may add (CgroupV1
 * events, kubelet configz, kubelet metrics), and the pure helpers the reporters need (one row per
 * runtime class × runtime version × kubelet version, the `nodes[]` JSON entry, the default target).
 *
 * Node objects come from the API server and are untrusted: every accessor tolerates missing fields and
 * wrong types, and nothing here throws for bad node data. The configz parser throws `NodeDataError` with
 * a message naming what was wrong, so the caller can turn it into a coverage entry.
 */
import type { RuleContext } from "./rule.js";
import { TargetError } from "./target.js";
import type { Hit, RuleMeta } from "./types.js";
import { compareVersions, parseVersion, type Version } from "./version.js";
import { isObject, type JsonObject, type K8sObject, str, toK8sObject } from "./workload.js";

/**
 * How the node runs containers. `docker://` means Docker Engine behind the kubelet's built-in dockershim
 * before 1.24 and behind the external cri-dockerd adapter from 1.24 on (dockershim was removed in 1.24:
 * https://kubernetes.io/dockershim). cri-dockerd reports Docker Engine's name and version, so the Node
 * object cannot tell the two apart on an older kubelet: see docs/rules/N001.md.
 */
export type RuntimeClass = "dockershim" | "cri-dockerd" | "containerd" | "cri-o" | "unknown";

export const RUNTIME_CLASSES: readonly RuntimeClass[] = [
  "dockershim",
  "cri-dockerd",
  "containerd",
  "cri-o",
  "unknown",
];

/** The runtime as the kubelet reports it in `status.nodeInfo.containerRuntimeVersion` (`<name>://<version>`). */
export interface NodeRuntime {
  /** Normalised: "docker", "containerd", "cri-o"; another scheme as written (lower case); "unknown" when unparseable. */
  name: string;
  /** The text after `://` as written ("1.6.6-k3s1"); "" when absent. */
  versionText: string;
  /** The leading numeric part of `versionText`; undefined when it has none. */
  version?: Version;
  /** The field exactly as reported. */
  raw: string;
}

export interface NodeFacts {
  name: string;
  uid?: string;
  /** `status.nodeInfo.kubeletVersion` as reported ("v1.29.4-eks-036c24b"); "" when absent. */
  kubeletVersionText: string;
  kubeletVersion?: Version;
  runtime: NodeRuntime;
  runtimeClass: RuntimeClass;
  /** `status.nodeInfo.operatingSystem`, else the `kubernetes.io/os` label (lower case); undefined when neither. */
  os?: string;
  /** `status.nodeInfo.architecture`, else the `kubernetes.io/arch` label (lower case). */
  arch?: string;
  kernelVersion?: string;
  osImage?: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

/** Thrown by the evidence parsers (configz) for input that is not what the kubelet sends. */
export class NodeDataError extends Error {}

const RUNTIME_ALIASES: Record<string, string> = {
  docker: "docker",
  containerd: "containerd",
  "cri-o": "cri-o",
  crio: "cri-o",
};

/**
 * Parses `containerRuntimeVersion`: `docker://20.10.7`, `containerd://1.6.6-k3s1`, `cri-o://1.28.1`,
 * `containerd://v2.0.0`, vendor suffixes (`-k3s1`, `+unknown`, `-1.amzn2023.0.1`). Anything without a
 * `<scheme>://` prefix has the name "unknown"; `remote://` (no version) keeps its name with no version.
 */
export function parseContainerRuntimeVersion(text: string): NodeRuntime {
  const raw = text;
  const m = /^\s*([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(text);
  if (!m) return { name: "unknown", versionText: "", raw };
  const scheme = (m[1] ?? "").toLowerCase();
  const versionText = (m[2] ?? "").trim();
  const name = RUNTIME_ALIASES[scheme] ?? scheme;
  const out: NodeRuntime = { name, versionText, raw };
  // parseVersion reads any leading digits; require MAJOR.MINOR so "unknown" or "7abc" give no version.
  const version = leadingVersion(versionText);
  if (version) out.version = version;
  return out;
}

/**
 * The first Kubernetes minor without dockershim (KEP-2221, https://kubernetes.io/dockershim). The class needs
 * it here in core; the rules read the same fact from KUBELET_CHANGES in src/rules/data/.
 */
export const DOCKERSHIM_REMOVED: Version = { major: 1, minor: 24 };

/** The class from the runtime name and the kubelet version (docker:// needs the kubelet to decide). */
export function runtimeClassOf(runtime: NodeRuntime, kubelet: Version | undefined): RuntimeClass {
  switch (runtime.name) {
    case "containerd":
      return "containerd";
    case "cri-o":
      return "cri-o";
    case "docker":
      if (!kubelet) return "unknown";
      return compareVersions(kubelet, DOCKERSHIM_REMOVED) < 0 ? "dockershim" : "cri-dockerd";
    default:
      return "unknown";
  }
}

function isK8sObject(v: K8sObject | JsonObject): v is K8sObject {
  return isObject(v.raw) && typeof v.kind === "string" && Array.isArray(v.docPath);
}

/** The leading version of a reported version string, when it starts with `[v]MAJOR.MINOR`. */
function leadingVersion(text: string): Version | undefined {
  return /^v?\d+\.\d+/.test(text) ? parseVersion(text) : undefined;
}

function lowerOrUndefined(v: string | undefined): string | undefined {
  const t = v?.trim().toLowerCase();
  return t ? t : undefined;
}

/**
 * Node facts from a Node object: a `K8sObject` (files or cluster mode) or the raw JSON of a list item (list
 * items from the API carry no `kind`). Undefined when the object is not a Node (another `kind`, or no
 * `metadata.name`); every other gap becomes an "unknown" or an absent field.
 */
export function toNodeFacts(input: K8sObject | JsonObject | unknown): NodeFacts | undefined {
  if (!isObject(input)) return undefined;
  const obj = isK8sObject(input) ? input : toK8sObject(input, {});
  // List items from the API carry no kind; anything that names another kind is not a Node.
  if (obj.kind !== "" && obj.kind !== "Node") return undefined;
  const name = isObject(obj.raw.metadata) ? str(obj.raw.metadata.name) : undefined;
  if (!name) return undefined;
  const status = isObject(obj.raw.status) ? obj.raw.status : {};
  const info = isObject(status.nodeInfo) ? status.nodeInfo : {};
  const { labels, annotations } = obj;

  const kubeletVersionText = str(info.kubeletVersion)?.trim() ?? "";
  const kubeletVersion = leadingVersion(kubeletVersionText);
  const runtime = parseContainerRuntimeVersion(str(info.containerRuntimeVersion) ?? "");
  const facts: NodeFacts = {
    name,
    kubeletVersionText,
    runtime,
    runtimeClass: runtimeClassOf(runtime, kubeletVersion),
    labels,
    annotations,
  };
  if (kubeletVersion) facts.kubeletVersion = kubeletVersion;
  if (obj.uid) facts.uid = obj.uid;
  // The beta labels are what kubelets before 1.14 set; some old nodes still carry only those.
  const os =
    lowerOrUndefined(str(info.operatingSystem)) ??
    lowerOrUndefined(labels["kubernetes.io/os"]) ??
    lowerOrUndefined(labels["beta.kubernetes.io/os"]);
  if (os) facts.os = os;
  const arch =
    lowerOrUndefined(str(info.architecture)) ??
    lowerOrUndefined(labels["kubernetes.io/arch"]) ??
    lowerOrUndefined(labels["beta.kubernetes.io/arch"]);
  if (arch) facts.arch = arch;
  const kernel = str(info.kernelVersion)?.trim();
  if (kernel) facts.kernelVersion = kernel;
  const osImage = str(info.osImage)?.trim();
  if (osImage) facts.osImage = osImage;
  return facts;
}

// ---------------------------------------------------------------------------------------------------
// Evidence the live scan may add per node. Never guessed: absent means "not looked at / not readable".

/** A `CgroupV1` Warning event the kubelet (≥ 1.31) emits for its Node (KEP-4569, kubernetes/kubernetes#125328). */
export interface CgroupV1Event {
  node: string;
  message?: string;
  /** The newest timestamp the event carries (RFC 3339), when it has one. */
  lastSeen?: string;
  count?: number;
}

/** What the kubelet's `/configz` says about the fields the N-rules read. */
export interface KubeletConfigz {
  containerRuntimeEndpoint?: string;
  cgroupDriver?: string;
  /** Undefined when the kubelet does not report the field (older than 1.31). */
  failCgroupV1?: boolean;
}

/** What the kubelet's `/metrics` says: `kubelet_cgroup_version` and `kubelet_cri_losing_support`. */
export interface KubeletMetrics {
  cgroupVersion?: number;
  /** The `version` labels of `kubelet_cri_losing_support` (the release that drops the runtime, e.g. "1.38.0"). */
  criLosingSupport?: string[];
}

export interface NodeEvidence {
  cgroupV1Events?: readonly CgroupV1Event[];
  kubeletConfig?: KubeletConfigz;
  kubeletMetrics?: KubeletMetrics;
}

/**
 * The context every node rule gets: the migration target (the same `Target` workload rules get), the day the
 * report is "as of" (`--as-of`, else today; rules never read the clock), and per-node evidence by node name.
 */
export interface NodeRuleContext extends RuleContext {
  asOf: Date;
  evidence?: ReadonlyMap<string, NodeEvidence>;
}

export interface NodeRule extends RuleMeta {
  category: "node";
  /** Judges one node. Hits carry no path: the subject is the Node as a whole. */
  check(node: NodeFacts, ctx: NodeRuleContext): readonly Hit[];
}

export function evidenceFor(ctx: NodeRuleContext, node: NodeFacts): NodeEvidence {
  return ctx.evidence?.get(node.name) ?? {};
}

function unwrapJson(input: string | unknown, what: string): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch (err) {
    throw new NodeDataError(`${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Parses the body of `GET /api/v1/nodes/<node>/proxy/configz`: `{"kubeletconfig": {...}}` (older kubelets
 * wrapped it as `componentconfig`). Fields of the wrong type are left out rather than trusted.
 */
export function parseKubeletConfigz(body: string | unknown, node = "node"): KubeletConfigz {
  const doc = unwrapJson(body, `configz of ${node}`);
  if (!isObject(doc)) throw new NodeDataError(`configz of ${node}: expected a JSON object`);
  const cfg = isObject(doc.kubeletconfig)
    ? doc.kubeletconfig
    : isObject(doc.componentconfig)
      ? doc.componentconfig
      : undefined;
  if (!cfg) throw new NodeDataError(`configz of ${node}: no "kubeletconfig" object`);
  const out: KubeletConfigz = {};
  const endpoint = str(cfg.containerRuntimeEndpoint);
  if (endpoint) out.containerRuntimeEndpoint = endpoint;
  const driver = str(cfg.cgroupDriver);
  if (driver) out.cgroupDriver = driver;
  if (typeof cfg.failCgroupV1 === "boolean") out.failCgroupV1 = cfg.failCgroupV1;
  return out;
}

/** The newest of the timestamps an event carries (core/v1 and events.k8s.io/v1 spellings). */
function lastSeen(ev: JsonObject): string | undefined {
  const series = isObject(ev.series) ? ev.series : {};
  const candidates = [
    str(series.lastObservedTime),
    str(ev.lastTimestamp),
    str(ev.deprecatedLastTimestamp),
    str(ev.eventTime),
    str(ev.firstTimestamp),
    str(ev.deprecatedFirstTimestamp),
  ].filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)));
  return candidates.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
}

/**
 * The `CgroupV1` Warning events among a list of Events (core/v1 `involvedObject` or events.k8s.io/v1
 * `regarding`), grouped by node name. Matches on the reason, never the message: the kubelet's wording
 * changed in 1.35 (kubernetes/kubernetes#134298).
 */
export function cgroupV1EventsByNode(events: readonly unknown[]): Map<string, CgroupV1Event[]> {
  const out = new Map<string, CgroupV1Event[]>();
  for (const ev of events) {
    if (!isObject(ev)) continue;
    if (str(ev.reason) !== "CgroupV1" || str(ev.type) !== "Warning") continue;
    const obj = isObject(ev.regarding) ? ev.regarding : isObject(ev.involvedObject) ? ev.involvedObject : {};
    if (str(obj.kind) !== "Node") continue;
    const node = str(obj.name);
    if (!node) continue;
    const e: CgroupV1Event = { node };
    const message = str(ev.note) ?? str(ev.message);
    if (message) e.message = message;
    const seen = lastSeen(ev);
    if (seen) e.lastSeen = seen;
    const series = isObject(ev.series) ? ev.series : {};
    const count = typeof series.count === "number" ? series.count : ev.count;
    if (typeof count === "number") e.count = count;
    const list = out.get(node);
    if (list) list.push(e);
    else out.set(node, [e]);
  }
  return out;
}

/**
 * Reads `kubelet_cgroup_version` (1 or 2, kubernetes/kubernetes#125328) and `kubelet_cri_losing_support`
 * (kubernetes/kubernetes#139121) from the kubelet's Prometheus text exposition. Other lines are ignored.
 */
export function parseKubeletMetrics(text: string): KubeletMetrics {
  const out: KubeletMetrics = {};
  for (const line of text.split("\n")) {
    const l = line.trim();
    if (!l || l.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(l);
    if (!m) continue;
    const [, name, labels = "", value = ""] = m;
    if (name === "kubelet_cgroup_version") {
      const n = Number(value);
      if (Number.isInteger(n) && n > 0) out.cgroupVersion = n;
    } else if (name === "kubelet_cri_losing_support" && Number(value) > 0) {
      const v = /version="([^"]*)"/.exec(labels)?.[1];
      if (!v) continue;
      const list = out.criLosingSupport ?? [];
      if (!list.includes(v)) list.push(v);
      out.criLosingSupport = list;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Pure helpers for the scan and the reporters.

/**
 * Parses `--as-of YYYY-MM-DD` into the report day (midnight UTC). Only real calendar dates: "2026-02-30"
 * is refused rather than rolled over into March.
 */
export function parseAsOf(text: string): Date {
  const t = text.trim();
  const d = /^\d{4}-\d{2}-\d{2}$/.test(t) ? new Date(`${t}T00:00:00Z`) : undefined;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t) {
    throw new TargetError(`invalid --as-of date "${text}": expected YYYY-MM-DD such as 2026-12-03`);
  }
  return d;
}

/**
 * The default `--target-k8s`: the minor after the newest kubelet among the nodes (an upgrade is one minor at
 * a time). Undefined when no node reports a kubelet version; the caller then uses its own default.
 */
export function defaultTargetMinor(nodes: readonly NodeFacts[]): Version | undefined {
  let newest: Version | undefined;
  for (const n of nodes) {
    const v = n.kubeletVersion;
    if (v && (!newest || v.major > newest.major || (v.major === newest.major && v.minor > newest.minor))) {
      newest = v;
    }
  }
  return newest ? { major: newest.major, minor: newest.minor + 1 } : undefined;
}

/** One entry of the report's `nodes[]` (README "JSON contract"). */
export interface NodeEntry {
  name: string;
  runtimeClass: RuntimeClass;
  runtime: { name: string; version: string };
  kubeletVersion: string;
  /** "unknown" when neither nodeInfo nor the labels say. */
  os: string;
  arch: string;
}

export function nodeEntry(n: NodeFacts): NodeEntry {
  return {
    name: n.name,
    runtimeClass: n.runtimeClass,
    runtime: { name: n.runtime.name, version: n.runtime.versionText },
    kubeletVersion: n.kubeletVersionText,
    os: n.os ?? "unknown",
    arch: n.arch ?? "unknown",
  };
}

/** One row of the nodes table: every node with the same runtime class, runtime version and kubelet version. */
export interface NodeGroup {
  runtimeClass: RuntimeClass;
  runtime: { name: string; version: string };
  kubeletVersion: string;
  count: number;
  /** The first few node names in name order, for a hint in the table (not the full list). */
  examples: string[];
}

const CLASS_ORDER = new Map(RUNTIME_CLASSES.map((c, i) => [c, i]));

function compareOptionalVersions(a: Version | undefined, b: Version | undefined): number {
  if (a && b) return compareVersions(a, b);
  return a ? -1 : b ? 1 : 0;
}

/**
 * Groups nodes by runtime class × runtime version × kubelet version, so 1,000 nodes give a handful of rows.
 * Rows are ordered by class (dockershim first: the most urgent), then runtime and kubelet version, oldest
 * first. Linear in the number of nodes, apart from sorting the groups.
 */
export function groupNodes(nodes: readonly NodeFacts[], examples = 3): NodeGroup[] {
  interface Acc {
    group: NodeGroup;
    runtimeVersion: Version | undefined;
    kubelet: Version | undefined;
    names: string[];
  }
  const groups = new Map<string, Acc>();
  for (const n of nodes) {
    const key = `${n.runtimeClass}\u0000${n.runtime.name}\u0000${n.runtime.versionText}\u0000${n.kubeletVersionText}`;
    let acc = groups.get(key);
    if (!acc) {
      acc = {
        group: {
          runtimeClass: n.runtimeClass,
          runtime: { name: n.runtime.name, version: n.runtime.versionText },
          kubeletVersion: n.kubeletVersionText,
          count: 0,
          examples: [],
        },
        runtimeVersion: n.runtime.version,
        kubelet: n.kubeletVersion,
        names: [],
      };
      groups.set(key, acc);
    }
    acc.group.count++;
    // Keep only the `examples` smallest names: no per-group list of every node at 1,000 nodes.
    if (examples > 0) {
      const names = acc.names;
      if (names.length < examples || n.name < (names[names.length - 1] ?? "")) {
        names.push(n.name);
        names.sort();
        if (names.length > examples) names.pop();
      }
    }
  }
  const list = [...groups.values()];
  list.sort(
    (a, b) =>
      (CLASS_ORDER.get(a.group.runtimeClass) ?? 0) - (CLASS_ORDER.get(b.group.runtimeClass) ?? 0) ||
      a.group.runtime.name.localeCompare(b.group.runtime.name) ||
      compareOptionalVersions(a.runtimeVersion, b.runtimeVersion) ||
      a.group.runtime.version.localeCompare(b.group.runtime.version) ||
      compareOptionalVersions(a.kubelet, b.kubelet) ||
      a.group.kubeletVersion.localeCompare(b.group.kubeletVersion),
  );
  return list.map((a) => ({ ...a.group, examples: a.names }));
}

/**
 * `groupNodes` over the report's `nodes[]` (what the reporters have): each entry's versions are parsed again
 * for the ordering, its runtime class is kept as reported.
 */
export function groupNodeEntries(entries: readonly NodeEntry[], examples = 3): NodeGroup[] {
  const facts: NodeFacts[] = entries.map((e) => {
    const raw =
      e.runtime.name === "unknown" && !e.runtime.version ? "" : `${e.runtime.name}://${e.runtime.version}`;
    const f: NodeFacts = {
      name: e.name,
      kubeletVersionText: e.kubeletVersion,
      runtime: { ...parseContainerRuntimeVersion(raw), name: e.runtime.name, versionText: e.runtime.version },
      runtimeClass: e.runtimeClass,
      labels: {},
      annotations: {},
    };
    const k = leadingVersion(e.kubeletVersion);
    if (k) f.kubeletVersion = k;
    return f;
  });
  return groupNodes(facts, examples);
}

/** "containerd 1.7.2", "Docker Engine 20.10.7", "an unknown runtime (remote://)": for rule messages. */
export function describeRuntime(r: NodeRuntime): string {
  const v = r.versionText ? ` ${r.versionText}` : "";
  switch (r.name) {
    case "docker":
      return `Docker Engine${v}`;
    case "containerd":
      return `containerd${v}`;
    case "cri-o":
      return `CRI-O${v}`;
    default:
      return r.raw ? `an unrecognised runtime (${r.raw})` : "an unreported runtime";
  }
}
