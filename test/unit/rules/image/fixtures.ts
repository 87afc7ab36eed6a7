/**
 * Hand-written ImageFacts fixtures. Shapes follow the images crafted for the real-component tests
 * (a–h, mixed, nomt: same media types, platforms and layer layouts) and containers/image's
 * manifest/fixtures (v2s2.manifest.json, ociv1.manifest.json, v2list.manifest.json...), written here in
 * our own words. Digests are fake but well-formed.
 */
import type { Descriptor, ImageFacts, ManifestFacts, PlatformSpec } from "../../../../src/core/image.js";
import { MediaTypes as MT } from "../../../../src/core/image.js";
import { parseRuntimeTargets, type RuntimeTarget } from "../../../../src/core/target.js";

let n = 0;
export function dg(seed?: string): string {
  const s = seed ?? `d${++n}`;
  let hex = "";
  for (let i = 0; hex.length < 64; i++)
    hex += ((s.charCodeAt(i % s.length) * 31 + i * 7) % 256).toString(16).padStart(2, "0");
  return `sha256:${hex.slice(0, 64)}`;
}

export function desc(
  mediaType: string | undefined,
  size = 1000,
  extra: Partial<Descriptor> = {},
): Descriptor {
  const d: Descriptor = { digest: dg(), size, ...extra };
  if (mediaType) d.mediaType = mediaType;
  return d;
}

export const LINUX_AMD64: PlatformSpec = { os: "linux", architecture: "amd64" };
export const LINUX_ARM64_V8: PlatformSpec = { os: "linux", architecture: "arm64", variant: "v8" };

export function manifest(opts: {
  contentType?: string | undefined;
  mediaType?: string | undefined;
  config?: Descriptor;
  layers?: Descriptor[];
  configPlatform?: PlatformSpec;
  artifactType?: string;
  size?: number;
  extraFields?: string[];
  diffIdCount?: number;
}): ManifestFacts {
  const m: ManifestFacts = {
    digest: dg(),
    size: opts.size ?? 500,
    schemaVersion: 2,
    kind: "manifest",
    config: opts.config ?? desc(MT.ociConfig),
    layers: opts.layers ?? [desc(MT.ociLayerGzip)],
    fields: ["schemaVersion", "config", "layers"],
  };
  if (opts.contentType !== undefined) m.contentType = opts.contentType;
  if (opts.mediaType !== undefined) {
    m.mediaType = opts.mediaType;
    m.fields.push("mediaType");
  }
  if (opts.configPlatform) m.configPlatform = opts.configPlatform;
  if (opts.artifactType) {
    m.artifactType = opts.artifactType;
    m.fields.push("artifactType");
  }
  if (opts.extraFields) m.fields.push(...opts.extraFields);
  if (opts.diffIdCount !== undefined) m.diffIdCount = opts.diffIdCount;
  return m;
}

export function ociManifest(extra: Parameters<typeof manifest>[0] = {}): ManifestFacts {
  return manifest({ contentType: MT.ociManifest, mediaType: MT.ociManifest, ...extra });
}

export function dockerManifest(extra: Parameters<typeof manifest>[0] = {}): ManifestFacts {
  return manifest({
    contentType: MT.dockerManifest,
    mediaType: MT.dockerManifest,
    config: desc(MT.dockerConfig),
    layers: [desc(MT.dockerLayerGzip)],
    ...extra,
  });
}

export function index(
  type: string,
  entries: {
    platform?: PlatformSpec;
    mediaType?: string;
    annotations?: Record<string, string>;
    digest?: string;
  }[],
): ManifestFacts {
  return {
    digest: dg(),
    size: 700,
    contentType: type,
    mediaType: type,
    schemaVersion: 2,
    kind: "index",
    manifests: entries.map((e) => {
      const d: Descriptor = {
        digest: e.digest ?? dg(),
        size: 500,
        mediaType: e.mediaType ?? (type === MT.dockerList ? MT.dockerManifest : MT.ociManifest),
      };
      if (e.platform) d.platform = e.platform;
      if (e.annotations) d.annotations = e.annotations;
      return d;
    }),
    fields: ["schemaVersion", "mediaType", "manifests"],
  };
}

export function schema1(signed: boolean, architecture = "amd64"): ManifestFacts {
  return {
    digest: dg(),
    size: 2000,
    contentType: signed ? MT.dockerSchema1Signed : MT.dockerSchema1,
    schemaVersion: 1,
    kind: "schema1",
    signed,
    schema1Architecture: architecture,
    fields: signed
      ? ["schemaVersion", "name", "tag", "architecture", "fsLayers", "history", "signatures"]
      : ["schemaVersion", "name", "tag", "architecture", "fsLayers", "history"],
  };
}

export function ref(
  original = "127.0.0.1:5000/test/image:latest",
  shortName = false,
): ImageFacts["reference"] {
  const registry = shortName ? "docker.io" : (original.split("/")[0] ?? "");
  const rest = shortName ? `library/${original}` : original.slice(registry.length + 1);
  const [repository = "", tag = "latest"] = rest.split(":");
  return {
    original,
    registry,
    repository,
    tag,
    normalized: `${registry}/${repository}:${tag}`,
    shortName,
  };
}

/** Facts for a single manifest (no index). */
export function single(m: ManifestFacts, reference = ref()): ImageFacts {
  return {
    reference,
    root: m,
    children: {},
    childErrors: {},
    http: { status: 200, contentType: m.contentType },
  };
}

/** Facts for an index with its children (every child fetched). */
export function withChildren(root: ManifestFacts, children: ManifestFacts[], reference = ref()): ImageFacts {
  const byDigest: Record<string, ManifestFacts> = {};
  (root.manifests ?? []).forEach((d, i) => {
    const c = children[i];
    if (c) byDigest[d.digest] = { ...c, digest: d.digest };
  });
  return {
    reference,
    root,
    children: byDigest,
    childErrors: {},
    http: { status: 200, contentType: root.contentType },
  };
}

export function rt(label: string): RuntimeTarget {
  const r = parseRuntimeTargets(label)[0];
  if (!r) throw new Error(label);
  return r;
}
