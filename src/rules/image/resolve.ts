/**
 * Shared view for the I-rules: for one (runtime, platform), which manifest the runtime would unpack and
 * what media type it believes that manifest has. Runtimes disagree on both (containerd core/remotes/docker/resolver.go, containers/image
 * image/manifest.go, read by tag; see docs/rules/I007.md and I010.md):
 * containerd takes the top-level type from Content-Type and a child's type from the parent descriptor;
 * containers/image (CRI-O) takes every type from the response Content-Type.
 */
import type { Descriptor, ImageError, ImageFacts, ManifestFacts } from "../../core/image.js";
import { MediaTypes } from "../../core/image.js";
import { type ManifestSelection, selectManifest } from "../../core/platform.js";
import type { ImageHit } from "../../core/rule.js";
import type { Platform, RuntimeTarget } from "../../core/target.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";

export interface Resolved {
  /** The root is an index / manifest list. */
  index?: ManifestFacts;
  selection?: ManifestSelection;
  /** The manifest the runtime unpacks for this platform, when known. */
  manifest?: ManifestFacts;
  /** The media type the runtime believes `manifest` has (undefined: none given). */
  manifestType?: string;
  /** True when `manifest` is the top-level manifest (no index). */
  isRoot: boolean;
  /** The registry said the image (or the chosen child) does not exist. */
  notFound?: ImageError;
  /** The reference does not parse: the kubelet refuses it (InvalidImageName) before any runtime sees it. */
  invalidReference?: ImageError;
  /** Why this cell cannot be judged (auth, network, rate limit, child not fetched...). */
  unknown?: string;
}

const cache = new WeakMap<ImageFacts, Map<string, Resolved>>();

export function isIndexType(t: string | undefined): boolean {
  return t === MediaTypes.ociIndex || t === MediaTypes.dockerList;
}

export function isManifestType(t: string | undefined): boolean {
  return t === MediaTypes.ociManifest || t === MediaTypes.dockerManifest;
}

export function isSchema1Type(t: string | undefined): boolean {
  return t === MediaTypes.dockerSchema1Signed || t === MediaTypes.dockerSchema1;
}

/** The top-level type as every runtime reads it: Content-Type, parameters stripped. */
export function rootContentType(facts: ImageFacts): string | undefined {
  const ct = facts.root?.contentType ?? facts.http?.contentType;
  const simple = ct?.split(";")[0]?.trim().toLowerCase();
  return simple ? simple : undefined;
}

function describeError(e: ImageError): string {
  const what: Record<string, string> = {
    auth: "registry authentication failed",
    "rate-limit": "registry rate limit",
    network: "registry unreachable",
    timeout: "registry timed out",
    "too-large": "manifest larger than the 4 MiB this tool reads",
    "digest-mismatch": "digest mismatch",
    invalid: "unreadable manifest",
    server: "registry server error",
    insecure: "registry needs plain HTTP or credentials over HTTP",
    reference: "invalid image reference",
  };
  return `${what[e.kind] ?? e.kind}: ${e.message}`;
}

export function resolve(facts: ImageFacts, rt: RuntimeTarget, platform: Platform): Resolved {
  let byKey = cache.get(facts);
  if (!byKey) {
    byKey = new Map();
    cache.set(facts, byKey);
  }
  const key = `${rt.name}@${rt.version.major}.${rt.version.minor}|${platform.os}/${platform.architecture}/${platform.variant ?? ""}`;
  const hit = byKey.get(key);
  if (hit) return hit;
  const r = doResolve(facts, rt, platform);
  byKey.set(key, r);
  return r;
}

function doResolve(facts: ImageFacts, rt: RuntimeTarget, platform: Platform): Resolved {
  if (facts.error) {
    if (facts.error.kind === "not-found") return { isRoot: true, notFound: facts.error };
    // Not unknown: an unparseable reference fails for certain (I003 says so).
    if (facts.error.kind === "reference") return { isRoot: true, invalidReference: facts.error };
    return { isRoot: true, unknown: describeError(facts.error) };
  }
  const root = facts.root;
  if (!root) return { isRoot: true, unknown: "the manifest was not fetched" };
  const ct = rootContentType(facts);
  if (root.kind === "index") {
    const selection = selectManifest(root, platform, rt.name, rt.version);
    const d = selection.descriptor;
    if (!d) return { isRoot: false, index: root, selection };
    const child = facts.children[d.digest];
    if (child?.kind === "index" && rt.name === "containerd") {
      // containerd walks an index inside an index (images.Manifest recurses); containers/image refuses
      // it (I012). One level deep, as the registry client fetches.
      const inner = selectManifest(child, platform, rt.name, rt.version).descriptor;
      const grand = inner ? facts.children[inner.digest] : undefined;
      if (!inner || !grand) {
        const err = inner ? facts.childErrors[inner.digest] : undefined;
        return {
          isRoot: false,
          index: root,
          selection,
          unknown: !inner
            ? `nested index ${short(d.digest)} has no entry for this platform`
            : err
              ? `child manifest ${short(inner.digest)}: ${describeError(err)}`
              : `child manifest ${short(inner.digest)} was not fetched`,
        };
      }
      const r: Resolved = { isRoot: false, index: root, selection, manifest: grand };
      if (inner.mediaType) r.manifestType = inner.mediaType;
      return r;
    }
    if (child) {
      const manifestType = rt.name === "cri-o" ? (child.contentType ?? d.mediaType) : d.mediaType;
      const r: Resolved = { isRoot: false, index: root, selection, manifest: child };
      if (manifestType) r.manifestType = manifestType;
      return r;
    }
    const err = facts.childErrors[d.digest];
    if (err?.kind === "not-found") return { isRoot: false, index: root, selection, notFound: err };
    return {
      isRoot: false,
      index: root,
      selection,
      unknown: err
        ? `child manifest ${short(d.digest)}: ${describeError(err)}`
        : `child manifest ${short(d.digest)} was not fetched`,
    };
  }
  const r: Resolved = { isRoot: true, manifest: root };
  if (ct) r.manifestType = ct;
  return r;
}

export function short(digest: string): string {
  const [alg, hex] = digest.split(":");
  return hex ? `${alg}:${hex.slice(0, 12)}` : digest;
}

/** containerd `images.IsLayerType` (Docker zstd only from 2.0). */
export function containerdLayerType(t: string | undefined, caps: RuntimeCapabilities): boolean {
  if (!t) return false;
  if (t.startsWith("application/vnd.oci.image.layer.")) return true;
  const base = t.split("+")[0];
  switch (base) {
    case MediaTypes.dockerLayer:
    case MediaTypes.dockerLayerGzip:
    case MediaTypes.dockerForeign:
    case MediaTypes.dockerForeignGzip:
      return true;
    case MediaTypes.dockerLayerZstd:
      return caps.dockerZstdLayer === true;
  }
  return false;
}

/** Layer types every runtime recognises by name (compression aside). */
export const KNOWN_LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaTypes.dockerLayer,
  MediaTypes.dockerLayerGzip,
  MediaTypes.dockerLayerZstd,
  MediaTypes.dockerForeign,
  MediaTypes.dockerForeignGzip,
  MediaTypes.ociLayer,
  MediaTypes.ociLayerGzip,
  MediaTypes.ociLayerZstd,
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
]);

export const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([
  MediaTypes.dockerConfig,
  MediaTypes.ociConfig,
]);

export function isForeignOrNondistributable(d: Descriptor): boolean {
  const t = d.mediaType ?? "";
  return t.startsWith("application/vnd.docker.image.rootfs.foreign.") || t.includes(".nondistributable.");
}

/**
 * The layer type declares an uncompressed tar: containerd then applies the blob as is, without its
 * decompressor (which would otherwise sniff gzip/zstd whatever the type says). Unknown
 * `application/vnd.oci.image.layer.*` types are read the same way.
 * https://github.com/containerd/containerd/blob/v2.1.9/core/diff/apply/apply.go
 */
export function declaredUncompressed(t: string | undefined): boolean {
  if (!t || isEncrypted(t)) return false;
  if (t === MediaTypes.dockerLayer || t === MediaTypes.dockerForeign) return true;
  if (!t.startsWith("application/vnd.oci.image.layer.")) return false;
  return !/\+(gzip|zstd)$/.test(t);
}

export function isEncrypted(t: string | undefined): boolean {
  return !!t && /\+encrypted$/.test(t);
}

/** True when the (OCI or Docker) manifest is typed as Docker v2s2 by the runtime. */
export function isDockerV2(r: Resolved): boolean {
  return r.manifestType === MediaTypes.dockerManifest;
}

/** A pull-stage incompatibility. */
export function pullFails(
  severity: ImageHit["severity"],
  message: string,
  extra: Partial<ImageHit> = {},
): ImageHit {
  return { verdict: "incompatible", stage: "pull", severity, message, ...extra };
}

/** Pulls, but the container cannot start. */
export function runFails(message: string, extra: Partial<ImageHit> = {}): ImageHit {
  return { verdict: "incompatible", stage: "run", severity: "high", message, ...extra };
}

export function warn(
  severity: ImageHit["severity"],
  message: string,
  extra: Partial<ImageHit> = {},
): ImageHit {
  return { verdict: "warning", severity, message, ...extra };
}

/** "containerd@2.0" style name plus the row label for CRI-O's image library, for messages. */
export function who(rt: RuntimeTarget, caps: RuntimeCapabilities): string {
  if (rt.name === "cri-o")
    return `${rt.label} (${caps.imageLibrary?.replace(/^.* /, "containers/image ") ?? "containers/image"})`;
  if (rt.name === "cri-dockerd") return `${rt.label} (${caps.label})`;
  return rt.label;
}

/** CRI-O ≥ 1.33 retries a failed image pull as an OCI artifact: PullImage may then succeed. */
export function artifactRetryNote(caps: RuntimeCapabilities): string {
  return caps.artifacts === "artifact-fallback"
    ? " CRI-O then retries the reference as an OCI artifact; if that succeeds, PullImage reports success but no container can start from it."
    : "";
}
