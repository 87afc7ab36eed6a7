/**
 * Image facts: what the registry client learned about one image reference, handed to the image rules
 * (docs/ARCHITECTURE.md). Gathered first by src/registry, judged later by src/rules/image; rules never see
 * sockets. Only as deep as a decision needs: child manifests for the asked platforms, the config blob
 * only when a single manifest's platform (or artifact-ness) matters.
 */
import type { Platform } from "./target.js";

export interface ImageReference {
  /** As written. */
  original: string;
  /** e.g. "docker.io", "registry.k8s.io", "127.0.0.1:5000". */
  registry: string;
  /** e.g. "library/nginx". */
  repository: string;
  tag?: string;
  digest?: string;
  /** Normalised as containerd does: docker.io/library/nginx:latest, or repo@digest when a digest is given. */
  normalized: string;
  /** True when the reference named no registry host (CRI-O resolves it through registries.conf). */
  shortName: boolean;
}

export interface PlatformSpec extends Platform {
  "os.version"?: string;
  "os.features"?: string[];
}

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: PlatformSpec;
  artifactType?: string;
}

export type ManifestKind = "index" | "manifest" | "schema1" | "unknown";

/** One manifest as fetched from the registry. */
export interface ManifestFacts {
  /** sha256 of the bytes received (for schema 1: as the registry reports it). */
  digest: string;
  /** Body size in bytes. */
  size: number;
  /** The HTTP Content-Type, parameters stripped; undefined when absent. */
  contentType?: string;
  /** The body's own `mediaType` field, when present. */
  mediaType?: string;
  schemaVersion?: number;
  /** What the body is, judged from its fields (not from Content-Type). */
  kind: ManifestKind;
  /** Schema 1 only: true for the signed `+prettyjws` variant. */
  signed?: boolean;
  /** Schema 1 only: architecture field. */
  schema1Architecture?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  /** Index children. */
  manifests?: Descriptor[];
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  /** Top-level JSON field names (to spot ambiguous manifests, e.g. both `layers` and `manifests`). */
  fields: string[];
  /** The config blob's platform, when it was fetched. */
  configPlatform?: PlatformSpec;
  /** The config blob could not be fetched or parsed. */
  configError?: string;
  /** The config's rootfs.diff_ids count, when it was fetched. */
  diffIdCount?: number;
}

export type ImageErrorKind =
  | "reference" // the reference does not parse
  | "not-found" // 404, NAME_UNKNOWN, MANIFEST_UNKNOWN
  | "auth" // 401/403 after trying the credentials we have
  | "rate-limit" // 429 after retries
  | "network" // connection refused, DNS, TLS
  | "timeout"
  | "too-large" // over the manifest size cap we read
  | "digest-mismatch"
  | "invalid" // malformed JSON, truncated body, unknown format
  | "server" // 5xx
  | "insecure"; // would need plain HTTP or credentials over HTTP

export interface ImageError {
  kind: ImageErrorKind;
  /** One line, credentials never included. */
  message: string;
  status?: number;
  /** Which manifest failed, when not the top-level one. */
  digest?: string;
  /**
   * too-large only: the body size in bytes, as announced (Content-Length) or read. When the body was
   * not announced and reading stopped at the read cap, this is a lower bound (more bytes followed).
   */
  size?: number;
}

export interface HttpEvidence {
  status: number;
  contentType?: string;
  dockerContentDigest?: string;
  /** Content-Length as announced, when announced. */
  contentLength?: number;
}

export interface ImageFacts {
  reference: ImageReference;
  /** The top-level manifest; undefined when it could not be fetched (see `error`). */
  root?: ManifestFacts;
  /** HTTP evidence of the top-level GET. */
  http?: HttpEvidence;
  /** Child manifests fetched for the asked platforms, keyed by digest. */
  children: Record<string, ManifestFacts>;
  /** Errors fetching children (keyed by digest); the root may still be fine. */
  childErrors: Record<string, ImageError>;
  /** Set when the top-level manifest could not be fetched. */
  error?: ImageError;
  /**
   * What the first bytes of each distinct layer blob are (keyed by layer digest), read with an HTTP
   * Range request when layer verification is on; a layer that could not be read is absent.
   */
  layerMagic?: Record<string, LayerMagic>;
  /** Foreign / non-distributable layer URLs probed when layer verification is on, keyed by URL. */
  layerUrls?: Record<string, LayerUrlStatus>;
}

/** The stream format the first bytes of a layer blob announce; `missing`: the registry answered 404. */
export type LayerMagic = "gzip" | "zstd" | "bzip2" | "xz" | "tar" | "other" | "missing";

/** A layer URL answered (2xx), answered 404, or could not be fetched (connection refused, 5xx...). */
export type LayerUrlStatus = { ok: true } | { ok: false; notFound: boolean; error: string };

/** Media types (OCI image-spec v1.1.1 and Docker registry v2). */
export const MediaTypes = {
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerZstd: "application/vnd.docker.image.rootfs.diff.tar.zstd",
  dockerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  dockerForeign: "application/vnd.docker.image.rootfs.foreign.diff.tar",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociEmpty: "application/vnd.oci.empty.v1+json",
  ociArtifactManifest: "application/vnd.oci.artifact.manifest.v1+json",
} as const;
