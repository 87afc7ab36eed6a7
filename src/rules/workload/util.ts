/**
 * Helpers shared by the workload rules: host path normalisation, image reference splitting, the mounts
 * that reach a hostPath, and target-dependent severities. Pure; never throws on odd input.
 */
import type { ImageReference } from "../../core/image.js";
import { parseReference } from "../../core/reference.js";
import type { Target } from "../../core/target.js";
import { leavesDocker } from "../../core/target.js";
import type { DocPath, Severity } from "../../core/types.js";
import {
  type Container,
  containerFieldPath,
  type PodTemplate,
  type Volume,
  type VolumeMount,
  volumeFieldPath,
  type Workload,
} from "../../core/workload.js";

/**
 * Lexical normalisation of a host path: collapses `//`, resolves `.` and `..`, drops a trailing `/`.
 * A relative path is taken from `/` (the kubelet requires absolute hostPaths anyway).
 */
export function normalizePath(p: string): string {
  const out: string[] = [];
  for (const seg of p.replace(/\\/g, "/").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/**
 * A host path as messages show it once normalised: `normalizePath` for POSIX paths, the canonical form for
 * Windows pipes and drive paths (which `normalizePath` would mangle).
 */
export function displayPath(p: string): string {
  return namedPipe(p) ?? (/^[A-Za-z]:[\\/]/.test(p.trim()) ? canonicalHostPath(p) : normalizePath(p));
}

/**
 * A Windows named pipe (`\\.\pipe\docker_engine`, `//./pipe/docker_engine`, `npipe:////./pipe/x`), as
 * `\\.\pipe\<name>` lower-cased (pipe names are case-insensitive), or undefined. Docker Engine on Windows
 * listens on `\\.\pipe\docker_engine` (https://docs.docker.com/reference/cli/dockerd/#daemon-socket-option),
 * containerd's CRI endpoint is `npipe://./pipe/containerd-containerd`
 * (https://kubernetes.io/docs/setup/production-environment/container-runtimes/#containerd).
 */
export function namedPipe(p: string): string | undefined {
  const m = /^(?:npipe:)?[\\/]{2,4}[.?][\\/]pipe[\\/]+([^\\/]+)$/i.exec(p.trim());
  return m ? `\\\\.\\pipe\\${(m[1] ?? "").toLowerCase()}` : undefined;
}

/** `C:\ProgramData\docker`, `c:/programdata/docker/` -> `c:/programdata/docker` (Windows paths ignore case). */
function windowsDrivePath(p: string): string | undefined {
  const m = /^([A-Za-z]):[\\/](.*)$/.exec(p.trim());
  if (!m) return undefined;
  return `${(m[1] ?? "").toLowerCase()}:${normalizePath(m[2] ?? "").toLowerCase()}`.replace(/\/$/, "");
}

/**
 * `normalizePath`, then `/var/run` folded into `/run`: on every current distribution /var/run is a symlink
 * to /run, and the runtimes' documented socket paths use both spellings
 * (https://kubernetes.io/docs/setup/production-environment/container-runtimes/).
 * Windows host paths keep their shape: a named pipe becomes `\\.\pipe\<name>`, a drive path
 * `c:/programdata/docker` (forward slashes, lower case), so the tables can list one spelling of each.
 */
export function canonicalHostPath(p: string): string {
  const pipe = namedPipe(p);
  if (pipe) return pipe;
  const drive = windowsDrivePath(p);
  if (drive !== undefined) return drive;
  const n = normalizePath(p);
  if (n === "/var/run") return "/run";
  if (n.startsWith("/var/run/")) return `/run/${n.slice("/var/run/".length)}`;
  return n;
}

/** True when `p` is `prefix` or below it (both canonical). */
export function isUnder(p: string, prefix: string): boolean {
  if (prefix === "/") return true;
  return p === prefix || p.startsWith(`${prefix}/`);
}

export function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

/** A container's mount of a hostPath volume. */
export interface HostMount {
  container: Container;
  mount: VolumeMount;
}

/** A hostPath volume with the containers that mount it. */
export interface HostVolume {
  volume: Volume;
  /** As written. */
  hostPath: string;
  canonical: string;
  mounts: HostMount[];
  /** [...volume.path,"hostPath","path"], from the object root. */
  path: DocPath;
}

// Most rules look at the same hostPath volumes; compute them once per pod template.
const NO_HOST_VOLUMES: HostVolume[] = Object.freeze([]) as unknown as HostVolume[];
const hostVolumesCache = new WeakMap<PodTemplate, HostVolume[]>();

/** The pod's hostPath volumes with their mounts (computed once per template; do not mutate). */
export function hostVolumes(tpl: PodTemplate): HostVolume[] {
  // Most pods have no hostPath volume: answer without a cache entry (WeakMap entries cost GC time).
  if (!tpl.volumes.some((v) => v.hostPath)) return NO_HOST_VOLUMES;
  let cached = hostVolumesCache.get(tpl);
  if (!cached) {
    cached = computeHostVolumes(tpl);
    hostVolumesCache.set(tpl, cached);
  }
  return cached;
}

function computeHostVolumes(tpl: PodTemplate): HostVolume[] {
  const out: HostVolume[] = [];
  for (const v of tpl.volumes) {
    if (!v.hostPath) continue;
    const mounts: HostMount[] = [];
    for (const c of tpl.containers) {
      for (const m of c.volumeMounts) if (m.name === v.name) mounts.push({ container: c, mount: m });
    }
    out.push({
      volume: v,
      hostPath: v.hostPath.path,
      canonical: canonicalHostPath(v.hostPath.path),
      mounts,
      path: volumeFieldPath(v, ["hostPath", "path"]),
    });
  }
  return out;
}

/** Names of the distinct containers mounting a volume, for messages and the `container` field. */
export function mountingContainers(hv: HostVolume): string[] {
  return [...new Set(hv.mounts.map((m) => m.container.name))];
}

/** Sets `container` when exactly one container mounts the volume (the usual case). */
export function containerOf(hv: HostVolume): { container?: string } {
  const names = mountingContainers(hv);
  return names.length === 1 && names[0] ? { container: names[0] } : {};
}

export function describeMounters(hv: HostVolume): string {
  const names = mountingContainers(hv);
  if (names.length === 0) return "no container mounts it yet";
  return `mounted by container${names.length > 1 ? "s" : ""} ${capList(
    names.map((n) => `"${n}"`),
    MESSAGE_LIST_MAX,
    ", ",
  )}`;
}

/** A Docker-only dependency: `sev` when a target runtime is not Docker Engine, info when staying on cri-dockerd. */
export function dockerSeverity(target: Target, sev: Severity): Severity {
  return leavesDocker(target) ? sev : "info";
}

const runtimesText = new WeakMap<Target, string>();

/** "containerd@2.3, cri-o@1.37", for messages (computed once per target). */
export function targetRuntimes(target: Target): string {
  let t = runtimesText.get(target);
  if (t === undefined) {
    t = target.runtimes.map((r) => r.label).join(", ");
    runtimesText.set(target, t);
  }
  return t;
}

/**
 * An image reference as the rules match it: validated and split by the one reference parser
 * (core/reference.ts, containerd's grammar), keeping the path as written (no `library/` added).
 */
export interface ImageParts {
  /** Registry host when the reference names one ("docker.io" for index.docker.io). */
  registry?: string;
  /** Repository path components without the registry, as written, e.g. ["datadog","agent"]. */
  path: string[];
  /** The tag as written; undefined when none is (the kubelet then pulls :latest). */
  tag?: string;
  digest?: string;
  /** A bare image ID (`sha256:<hex>` or 64 hex digits): only exists in one node's image store. */
  imageId: boolean;
  /** Not a reference any runtime accepts (the image rules say so); matches no repository. */
  invalid?: boolean;
}

// Thousands of containers share a few hundred images and several rules look at each one: parse once.
const imageCache = new Map<string, ImageParts>();
const IMAGE_CACHE_MAX = 10_000;

// The last answer, compared by identity first: the rules of a pod unit ask about the same container's
// image one after another, and a Map lookup of a string js-yaml sliced from the file re-hashes it each
// time (bench/files: 2.8% of the audit in imageCache.get).
let lastImage: string | undefined;
let lastParts: ImageParts | undefined;

/** Splits an image reference (cached; callers must not mutate the result). */
export function parseImage(image: string): ImageParts {
  if (image === lastImage && lastParts) return lastParts;
  let parts = imageCache.get(image);
  if (!parts) {
    parts = parseImageUncached(image);
    if (imageCache.size >= IMAGE_CACHE_MAX) imageCache.clear();
    imageCache.set(image, parts);
  }
  lastImage = image;
  lastParts = parts;
  return parts;
}

/** Lenient on purpose (templated or upper-case references still name an image): core's splitter, no validation. */
function parseImageUncached(image: string): ImageParts {
  const text = image.trim();
  if (/^(sha256:)?[a-f0-9]{64}$/i.test(text)) return { path: [], imageId: true };
  let ref: ImageReference;
  try {
    ref = parseReference(text);
  } catch {
    return { path: [], imageId: false, invalid: true };
  }
  const at = text.indexOf("@");
  let name = at < 0 ? text : text.slice(0, at);
  const colon = name.lastIndexOf(":");
  const tagWritten = colon > name.lastIndexOf("/");
  if (tagWritten) name = name.slice(0, colon);
  const comps = name.split("/");
  if (!ref.shortName) comps.shift();
  const parts: ImageParts = { path: comps, imageId: false };
  if (!ref.shortName) parts.registry = ref.registry.toLowerCase();
  if (tagWritten && ref.tag) parts.tag = ref.tag;
  if (ref.digest) parts.digest = ref.digest;
  return parts;
}

/** The last component of a repository path: "fluent/fluentd" -> "fluentd". */
export function lastComponent(repository: string): string {
  return repository.slice(repository.lastIndexOf("/") + 1);
}

/** True when the repository path ends with `suffix` ("a/b"), compared component by component. */
const suffixCache = new Map<string, string[]>();

export function repoEndsWith(parts: ImageParts, suffix: string): boolean {
  let want = suffixCache.get(suffix);
  if (!want) {
    want = suffix.toLowerCase().split("/");
    suffixCache.set(suffix, want);
  }
  if (want.length > parts.path.length) return false;
  const offset = parts.path.length - want.length;
  for (let i = 0; i < want.length; i++) if (parts.path[offset + i] !== want[i]) return false;
  return true;
}

/** The container's image field, or the layer's that sets it (a Tekton stepTemplate, Argo templateDefaults...). */
export function imagePath(c: Container): DocPath {
  return containerFieldPath(c, ["image"]);
}

/** How many names a message lists before "and K more" (a DaemonSet template may carry hundreds of containers). */
export const MESSAGE_LIST_MAX = 5;

/**
 * At most `max` items joined by `sep`, then "and K more": `a; b; c; and 2 more`. Messages stay readable and
 * of bounded size however many containers or commands an object has.
 */
export function capList(items: readonly string[], max = MESSAGE_LIST_MAX, sep = "; "): string {
  if (items.length <= max) return items.join(sep);
  return `${items.slice(0, max).join(sep)}${sep}and ${items.length - max} more`;
}

/**
 * A path for messages. Rule paths are from the object root; given the workload, the text is the path in
 * the user's document (spec.template.spec.volumes[0]... for a Deployment, items[2]... in a List).
 */
export function pathText(p: DocPath, workload?: Workload): string {
  const full = workload ? [...workload.object.docPath, ...p] : p;
  let out = "";
  for (const k of full) out += typeof k === "number" ? `[${k}]` : out === "" ? k : `.${k}`;
  return out;
}
