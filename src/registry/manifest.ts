/**
 * Manifest bodies -> ManifestFacts, digest computation and verification, config blob facts.
 * Pure functions (node:crypto only).
 */
import { createHash } from "node:crypto";
import {
  type Descriptor,
  type LayerMagic,
  type ManifestFacts,
  type ManifestKind,
  MediaTypes,
  type PlatformSpec,
} from "../core/image.js";
import { RegistryError } from "./errors.js";

/**
 * The Accept list for every manifest GET, as ONE comma-joined header value.
 *
 * Why all six types: distribution 2.8 negotiates on Accept
 * (https://github.com/distribution/distribution/blob/v2.8.3/registry/handlers/manifests.go): without the OCI types
 * it answers 404 MANIFEST_UNKNOWN for OCI manifests and indexes, even by digest; without the Docker v2 /
 * list types it rewrites Docker content to schema 1 on the fly (a different digest) or returns the
 * linux/amd64 child instead of the list. We want to see exactly what is stored, so we ask for everything
 * either runtime asks for: containerd's four types (core/remotes/docker/resolver.go) plus c/image's two
 * schema 1 types (manifest/manifest.go DefaultRequestedManifestMIMETypes). Schema 1 is listed explicitly
 * instead of containerd's `*` / `*` so a registry holding schema 1 returns it with its real media type.
 * We add no wildcard: a registry that answers with an unlisted type still returns 200 and we record what
 * it sent; a wildcard would only invite conversions.
 */
export const MANIFEST_ACCEPT = [
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
  MediaTypes.dockerManifest,
  MediaTypes.dockerList,
  MediaTypes.dockerSchema1Signed,
  MediaTypes.dockerSchema1,
].join(", ");

/**
 * Size caps. containers/image (CRI-O) refuses manifests and configs above 4 MiB
 * (internal/iolimits/iolimits.go MaxManifestBodySize = 4 << 20); containerd refuses a top-level manifest
 * above 4 * 1048 * 1048 = 4,393,216 bytes (core/remotes/docker/resolver.go MaxManifestSize). Manifests up
 * to containerd's cap are parsed so the rules can tell the two runtimes apart by `size`; larger ones are
 * a `too-large` error. We read at most READ_LIMIT bytes to report a real size.
 */
export const CONTAINERD_MAX_MANIFEST = 4 * 1048 * 1048;
export const MANIFEST_PARSE_LIMIT = CONTAINERD_MAX_MANIFEST;
export const READ_LIMIT = 8 * 1024 * 1024;

const HASHES: Record<string, string> = { sha256: "sha256", sha384: "sha384", sha512: "sha512" };

/** "algo:hex" of the bytes, with the algorithm of `like` (default sha256). */
export function computeDigest(bytes: Uint8Array, like?: string): string {
  const algo = like?.split(":", 1)[0] ?? "sha256";
  const hash = HASHES[algo] ?? "sha256";
  return `${hash}:${createHash(hash).update(bytes).digest("hex")}`;
}

function b64urlDecode(s: string): Buffer {
  return Buffer.from(s, "base64url");
}

/**
 * Schema 1 signed manifests are identified by the digest of the payload WITHOUT the JWS signatures
 * (libtrust JSONSignature.Payload: body[:formatLength] + base64url(formatTail) from the protected header;
 * https://github.com/distribution/distribution/blob/release/2.8/manifest/schema1/manifest.go and
 * docker/libtrust jsonsign.go). Returns undefined when the body has no usable signature header.
 */
export function schema1PayloadDigest(body: Buffer, like?: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const sigs = (json as { signatures?: unknown }).signatures;
  if (!Array.isArray(sigs) || sigs.length === 0) return undefined;
  const prot = (sigs[0] as { protected?: unknown }).protected;
  if (typeof prot !== "string") return undefined;
  try {
    const header = JSON.parse(b64urlDecode(prot).toString("utf8")) as {
      formatLength?: unknown;
      formatTail?: unknown;
    };
    if (typeof header.formatLength !== "number" || typeof header.formatTail !== "string") return undefined;
    if (header.formatLength > body.length) return undefined;
    const payload = Buffer.concat([body.subarray(0, header.formatLength), b64urlDecode(header.formatTail)]);
    return computeDigest(payload, like);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function strRecord(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

function platformOf(v: unknown): PlatformSpec | undefined {
  if (!isRecord(v)) return undefined;
  const p: PlatformSpec = {
    os: typeof v.os === "string" ? v.os : "",
    architecture: typeof v.architecture === "string" ? v.architecture : "",
  };
  if (typeof v.variant === "string" && v.variant) p.variant = v.variant;
  if (typeof v["os.version"] === "string") p["os.version"] = v["os.version"];
  if (Array.isArray(v["os.features"]))
    p["os.features"] = v["os.features"].filter((f) => typeof f === "string");
  return p;
}

/** A descriptor as written; malformed fields become "" / -1 so rules can flag them. */
function descriptorOf(v: unknown): Descriptor {
  const r = isRecord(v) ? v : {};
  const d: Descriptor = {
    digest: typeof r.digest === "string" ? r.digest : "",
    size: typeof r.size === "number" ? r.size : -1,
  };
  if (typeof r.mediaType === "string") d.mediaType = r.mediaType;
  if (Array.isArray(r.urls)) d.urls = r.urls.filter((u) => typeof u === "string");
  const annotations = strRecord(r.annotations);
  if (annotations) d.annotations = annotations;
  const platform = platformOf(r.platform);
  if (platform) d.platform = platform;
  if (typeof r.artifactType === "string") d.artifactType = r.artifactType;
  return d;
}

const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerList]);
const MANIFEST_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);

function kindOf(body: Record<string, unknown>): ManifestKind {
  if (body.schemaVersion === 1 || Array.isArray(body.fsLayers)) return "schema1";
  const hasManifests = Array.isArray(body.manifests);
  const hasLayers = Array.isArray(body.layers);
  const mt = typeof body.mediaType === "string" ? body.mediaType : undefined;
  if (hasManifests && !hasLayers) return "index";
  if (hasLayers && !hasManifests) return "manifest";
  if (hasManifests && hasLayers) {
    // Ambiguous (c/image rejects it); the mediaType field decides what it claims to be.
    if (mt && INDEX_TYPES.has(mt)) return "index";
    if (mt && MANIFEST_TYPES.has(mt)) return "manifest";
    return "unknown";
  }
  if (isRecord(body.config) && (mt === undefined || MANIFEST_TYPES.has(mt))) return "manifest";
  return "unknown";
}

/** Strips Content-Type parameters ("; charset=utf-8") and lowercases, as both runtimes do. */
export function simpleContentType(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.split(";", 1)[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

/**
 * Parses a manifest body. `digest` is what identifies it (see ManifestFacts.digest). Throws
 * RegistryError("invalid") when the body is not a JSON object.
 */
export function parseManifest(
  body: Buffer,
  contentType: string | undefined,
  digest: string,
  where: string,
): ManifestFacts {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new RegistryError("invalid", `${where}: manifest is not valid JSON (${body.length} bytes)`);
  }
  if (!isRecord(json)) throw new RegistryError("invalid", `${where}: manifest is not a JSON object`);
  const kind = kindOf(json);
  const m: ManifestFacts = { digest, size: body.length, kind, fields: Object.keys(json) };
  if (contentType !== undefined) m.contentType = contentType;
  if (typeof json.mediaType === "string") m.mediaType = json.mediaType;
  if (typeof json.schemaVersion === "number") m.schemaVersion = json.schemaVersion;
  if (kind === "schema1") {
    m.signed = Array.isArray(json.signatures) && json.signatures.length > 0;
    if (typeof json.architecture === "string") m.schema1Architecture = json.architecture;
    if (Array.isArray(json.fsLayers)) {
      m.layers = json.fsLayers.map((l) => ({
        digest: isRecord(l) && typeof l.blobSum === "string" ? l.blobSum : "",
        size: -1,
      }));
    }
  }
  if (isRecord(json.config)) m.config = descriptorOf(json.config);
  if (Array.isArray(json.layers)) m.layers = json.layers.map(descriptorOf);
  if (Array.isArray(json.manifests)) m.manifests = json.manifests.map(descriptorOf);
  if (typeof json.artifactType === "string") m.artifactType = json.artifactType;
  if (isRecord(json.subject)) m.subject = descriptorOf(json.subject);
  const annotations = strRecord(json.annotations);
  if (annotations) m.annotations = annotations;
  return m;
}

export interface ConfigFacts {
  platform?: PlatformSpec;
  diffIdCount?: number;
}

/** The parts of an image config the rules need: platform and rootfs.diff_ids count. */
export function parseConfig(body: Buffer): ConfigFacts {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new RegistryError("invalid", `config blob is not valid JSON (${body.length} bytes)`);
  }
  if (!isRecord(json)) throw new RegistryError("invalid", "config blob is not a JSON object");
  const out: ConfigFacts = {};
  if (typeof json.os === "string" || typeof json.architecture === "string") {
    const p = platformOf(json);
    if (p) out.platform = p;
  }
  const rootfs = json.rootfs;
  if (isRecord(rootfs) && Array.isArray(rootfs.diff_ids)) out.diffIdCount = rootfs.diff_ids.length;
  return out;
}

/**
 * The stream format announced by the first bytes of a layer blob: the magic numbers the pullers'
 * decompressors sniff (containerd archive/compression DetectCompression,
 * https://github.com/containerd/containerd/blob/v2.1.9/pkg/archive/compression/compression.go;
 * containers/image pkg/compression DetectCompression), and a POSIX tar header's `ustar` at offset 257.
 */
export function sniffLayer(head: Buffer): LayerMagic {
  const starts = (...b: number[]) => b.every((x, i) => head[i] === x);
  if (starts(0x1f, 0x8b, 0x08)) return "gzip";
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return "zstd";
  if (starts(0x42, 0x5a, 0x68)) return "bzip2";
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz";
  if (head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar") return "tar";
  return "other";
}
