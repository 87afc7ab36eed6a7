/**
 * Crafted images for the real suite: one image per image-compatibility case, built from bytes made
 * here (reproducible tar + gzip/zstd), pushed to the real registry with plain HTTP PUTs. Each image has
 * its own config blob (a label carries the image name): the CRI image id is the config digest, so
 * shared configs would make different images look like one to containerd.
 *
 * The one exception to "real registry" is `size-over-crio-cap`: distribution 2.8 refuses manifest
 * PUTs over 4 MiB (checked in oracles.test.ts), so that image lives in the stub registry
 * (blob-server.ts). Foreign and non-distributable layers point their `urls` at a loopback blob server
 * and are NOT in the registry, so a puller that ignores `urls` fails.
 *
 * Media types: OCI image-spec v1.1.1 (https://github.com/opencontainers/image-spec/blob/v1.1.1/media-types.md)
 * and Docker image manifest v2.2 (https://github.com/distribution/distribution/blob/v2.8.2/docs/spec/manifest-v2-2.md).
 */
import type { BlobServer, StubRegistry } from "./blob-server.js";
import { jsonBytes, type Layer, makeLayer, sha256 } from "./layers.js";
import { pushBlob, pushManifest } from "./registry-push.js";
import { signedSchema1 } from "./schema1.js";

export const MT = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayerZstd: "application/vnd.docker.image.rootfs.diff.tar.zstd",
  dockerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerTar: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerGzipEncrypted: "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
  ociNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  ociEmpty: "application/vnd.oci.empty.v1+json",
  helmConfig: "application/vnd.cncf.helm.config.v1+json",
  helmChart: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
  inToto: "application/vnd.in-toto+json",
} as const;

/**
 * The image rule (src/rules/image/I0xx.ts) each image is meant to exercise, firing or not; `null` for
 * plain images every runtime pulls (the baseline the others are compared with).
 */
export type CraftedRule = `I0${number}` | null;

export interface CraftedImage {
  name: string;
  repo: string;
  tag: string;
  /** The image rule the image is meant to exercise (null: baseline). */
  rule: CraftedRule;
  description: string;
  /** Platforms the image offers as os/arch[/variant] (from the index, or the config of a single manifest). */
  offers: string[];
  /** "stub" only for the over-4-MiB manifest the real registry refuses. */
  registry: "real" | "stub";
}

/** The catalogue: every crafted image with the rule it exercises. */
export const CATALOGUE: readonly CraftedImage[] = [
  img("a-docker-v2s2", "latest", null, "Docker v2 schema 2 manifest, gzip layer", ["linux/amd64"]),
  img("b-oci", "latest", null, "OCI image manifest, gzip layer", ["linux/amd64"]),
  img("c-oci-index", "latest", "I002", "OCI index: linux/amd64 + linux/arm64/v8", [
    "linux/amd64",
    "linux/arm64/v8",
  ]),
  img("d-docker-list", "latest", "I002", "Docker manifest list: linux/amd64 + linux/arm64/v8", [
    "linux/amd64",
    "linux/arm64/v8",
  ]),
  img("e-oci-zstd", "latest", "I004", "OCI manifest with a `tar+zstd` layer", ["linux/amd64"]),
  img(
    "e2-docker-zstd",
    "latest",
    "I004",
    "Docker v2s2 manifest with the Docker zstd layer type `rootfs.diff.tar.zstd`",
    ["linux/amd64"],
  ),
  img("f-helm", "0.1.0", "I006", "Helm chart OCI artifact (helm config + chart content layer)", []),
  img(
    "f2-oci11-artifact",
    "sbom",
    "I006",
    "OCI 1.1 artifact: `artifactType`, empty config `{}`, a `subject` pointing at b-oci",
    [],
  ),
  img("g-schema1", "latest", "I001", "signed Docker schema 1 manifest (ES256 libtrust JWS)", ["linux/amd64"]),
  img(
    "h-windows",
    "latest",
    "I002",
    "Docker manifest list with only windows/amd64 (10.0.17763); the child has a foreign layer with `urls`",
    ["windows/amd64"],
  ),
  img(
    "h-windows-single",
    "latest",
    "I005",
    "single windows/amd64 Docker v2s2 manifest with a foreign layer served from `urls` only",
    ["windows/amd64"],
  ),
  img(
    "mixed-oci-docker-config",
    "latest",
    "I007",
    "OCI manifest whose config has the Docker config media type",
    ["linux/amd64"],
  ),
  img("mixed-docker-oci-layer", "latest", "I007", "Docker v2s2 manifest with an OCI layer media type", [
    "linux/amd64",
  ]),
  img("mixed-list-oci-child", "latest", "I007", "Docker manifest list whose children are OCI manifests", [
    "linux/amd64",
    "linux/arm64/v8",
  ]),
  img("mixed-index-docker-child", "latest", "I007", "OCI index whose children are Docker v2s2 manifests", [
    "linux/amd64",
    "linux/arm64/v8",
  ]),
  img(
    "oci-no-mediatype",
    "latest",
    "I007",
    "OCI manifest without the top-level `mediaType` field (what `helm push` writes)",
    ["linux/amd64"],
  ),
  img(
    "index-amd64-variants",
    "latest",
    "I002",
    "OCI index with only linux/amd64/v2 and linux/amd64/v3 entries",
    ["linux/amd64/v2", "linux/amd64/v3"],
  ),
  img(
    "index-attestation",
    "latest",
    "I002",
    "OCI index: linux/amd64 + linux/arm64/v8 + BuildKit attestation manifests (unknown/unknown)",
    ["linux/amd64", "linux/arm64/v8"],
  ),
  img(
    "single-arm64",
    "latest",
    "I002",
    "single OCI manifest for linux/arm64/v8 (platform only in the config)",
    ["linux/arm64/v8"],
  ),
  img(
    "encrypted-layer",
    "latest",
    "I004",
    "OCI manifest with a `tar+gzip+encrypted` layer (ocicrypt annotations, no keys anywhere)",
    ["linux/amd64"],
  ),
  {
    ...img(
      "size-over-crio-cap",
      "latest",
      "I009",
      "OCI manifest of 4,195,304 bytes: over c/image's 4,194,304-byte cap, under containerd's 4,393,216",
      ["linux/amd64"],
    ),
    registry: "stub",
  },
  img(
    "unknown-layer-type",
    "latest",
    "I004",
    "OCI manifest whose only layer (a valid gzip tar) has a non-OCI media type",
    ["linux/amd64"],
  ),
  img(
    "nondistributable-layer",
    "latest",
    "I005",
    "OCI manifest with a non-distributable layer served from `urls` only",
    ["linux/amd64"],
  ),
  img(
    "nondistributable-dead-url",
    "latest",
    "I005",
    "OCI manifest with a non-distributable layer whose `urls` are dead; the blob is in the registry",
    ["linux/amd64"],
  ),
  img(
    "nondistributable-gone-url",
    "latest",
    "I005",
    "OCI manifest with a non-distributable layer whose only URL answers 404; the blob is in the registry",
    ["linux/amd64"],
  ),
  img(
    "layer-gzip-as-tar",
    "latest",
    "I013",
    "OCI manifest whose layer is declared uncompressed (`v1.tar`) but holds gzip bytes",
    ["linux/amd64"],
  ),
  img(
    "layer-zstd-as-gzip",
    "latest",
    "I013",
    "OCI manifest whose layer is declared `tar+gzip` but holds zstd bytes",
    ["linux/amd64"],
  ),
  img(
    "docker-zstd-as-gzip",
    "latest",
    "I013",
    "Docker v2s2 manifest whose layer is declared `rootfs.diff.tar.gzip` but holds zstd bytes",
    ["linux/amd64"],
  ),
  img(
    "layer-tar-as-gzip",
    "latest",
    "I013",
    "OCI manifest whose layer is declared `tar+gzip` but is an uncompressed tar",
    ["linux/amd64"],
  ),
  img(
    "zstd-chunked-annotations",
    "latest",
    "I004",
    "OCI manifest with a `tar+zstd` layer carrying zstd:chunked annotations (TOC position/checksum)",
    ["linux/amd64"],
  ),
  img(
    "image-with-artifacttype",
    "latest",
    "I006",
    "OCI image manifest (image config, gzip layer) that also sets `artifactType`",
    ["linux/amd64"],
  ),
  img(
    "nested-index",
    "latest",
    "I012",
    "OCI index whose linux/amd64 and linux/arm64 entries are themselves OCI indexes",
    ["linux/amd64", "linux/arm64/v8"],
  ),
  img(
    "index-no-platform",
    "latest",
    "I002",
    "OCI index with one entry that has no `platform` field (an amd64 image)",
    ["linux/amd64"],
  ),
  img("index-arm64-no-variant", "latest", "I002", "OCI index: linux/amd64 + linux/arm64 without a variant", [
    "linux/amd64",
    "linux/arm64",
  ]),
  img(
    "index-arm-v7-only",
    "latest",
    "I002",
    "OCI index with only a linux/arm/v7 entry (containerd 1.x falls back to it on arm64 nodes, 2.1 does not)",
    ["linux/arm/v7"],
  ),
];

function img(
  name: string,
  tag: string,
  rule: CraftedRule,
  description: string,
  offers: string[],
): CraftedImage {
  return { name, repo: `crafted/${name}`, tag, rule, description, offers, registry: "real" };
}

export interface PushedImage extends CraftedImage {
  /** Full reference, e.g. 127.0.0.1:5055/crafted/b-oci:latest. */
  ref: string;
  /** host:port it lives on. */
  address: string;
  /** Media type the top-level manifest was pushed with. */
  mediaType: string;
  /** sha256 of the pushed bytes (for schema 1: of the payload without signatures, as registries report it). */
  digest: string;
  size: number;
}

/** Manifest size for size-over-crio-cap: c/image's cap + 1000 bytes. */
export const OVERSIZED_MANIFEST_BYTES = 4 * 1024 * 1024 + 1000;

interface Desc {
  mediaType?: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Record<string, string>;
}

interface Built {
  mediaType: string;
  bytes: Buffer;
  /** Digest registries report (schema 1 only differs). */
  digest?: string;
}

interface Plat {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
}

const AMD64: Plat = { os: "linux", architecture: "amd64" };
const ARM64: Plat = { os: "linux", architecture: "arm64", variant: "v8" };
const WINDOWS: Plat = { os: "windows", architecture: "amd64", "os.version": "10.0.17763.5458" };
const CREATED = "2020-01-01T00:00:00Z";

/**
 * Every image (and platform) gets its own layer: containerd skips unpacking a layer whose snapshot
 * already exists, and containers/storage reuses a blob it already has, so a shared layer would let a
 * later image "pull" without its layer media type ever being looked at.
 */
function baseLayer(name: string, plat: Plat): Layer {
  return makeLayer([
    { path: "etc/", mode: 0o755 },
    {
      path: "etc/crafted-release",
      content: `kube-runtime-audit crafted image ${name} (${platString(plat)})\n`,
    },
    { path: "hello.txt", content: "hello from a crafted layer\n" },
  ]);
}

function windowsBaseLayer(name: string): Layer {
  return makeLayer([
    { path: "Files/", mode: 0o755 },
    { path: "Files/windows-base.txt", content: `stands in for a Windows base layer (${name})\n` },
    { path: "Hives/", mode: 0o755 },
  ]);
}

function configBytes(
  name: string,
  plat: Plat,
  diffIds: string[],
  extra: Record<string, unknown> = {},
): Buffer {
  const { os, architecture, variant } = plat;
  return jsonBytes({
    created: CREATED,
    architecture,
    ...(variant ? { variant } : {}),
    os,
    ...(plat["os.version"] ? { "os.version": plat["os.version"] } : {}),
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["/bin/sh"],
      Labels: { "io.kube-runtime-audit.crafted": name, "io.kube-runtime-audit.platform": platString(plat) },
    },
    rootfs: { type: "layers", diff_ids: diffIds },
    history: diffIds.map(() => ({
      created: CREATED,
      created_by: "kube-runtime-audit test/real/harness/crafted.ts",
    })),
    ...extra,
  });
}

export function platString(p: Plat): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

function platformField(p: Plat): Record<string, string> {
  const out: Record<string, string> = { architecture: p.architecture, os: p.os };
  if (p.variant) out.variant = p.variant;
  if (p["os.version"]) out["os.version"] = p["os.version"];
  return out;
}

/** Where blobs and manifests go: the real registry, or the stub for the oversized manifest. */
interface Sink {
  blob(repo: string, data: Buffer): Promise<Desc>;
  manifest(repo: string, ref: string, m: Built): Promise<Desc>;
}

function realSink(registry: string): Sink {
  return {
    async blob(repo, data) {
      return pushBlob(registry, repo, data);
    },
    async manifest(repo, ref, m) {
      const r = await pushManifest(registry, repo, ref, m.mediaType, m.bytes);
      return { mediaType: m.mediaType, digest: r.digest, size: r.size };
    },
  };
}

function stubSink(stub: StubRegistry): Sink {
  return {
    async blob(repo, data) {
      return stub.addBlob(repo, data);
    },
    async manifest(repo, ref, m) {
      const r = stub.addManifest(repo, ref.startsWith("sha256:") ? undefined : ref, m.mediaType, m.bytes);
      return { mediaType: m.mediaType, ...r };
    },
  };
}

interface LayerSpec {
  mediaType: string;
  data: Buffer;
  diffId: string;
  /** Serve from the blob server's URL only (not pushed to the registry). */
  external?: boolean;
  annotations?: Record<string, string>;
}

interface ManifestSpec {
  format: "oci" | "docker";
  name: string;
  plat: Plat;
  layers: LayerSpec[];
  configType?: string;
  /** Replaces the generated image config. */
  configData?: Buffer;
  omitMediaType?: boolean;
  annotations?: Record<string, string>;
  artifactType?: string;
  subject?: Desc;
}

const gzipLayer = (l: Layer, mediaType: string = MT.ociLayerGzip): LayerSpec => ({
  mediaType,
  data: l.gzip,
  diffId: l.diffId,
});

class Crafter {
  private readonly sink: Sink;
  private readonly blobs: BlobServer;

  constructor(sink: Sink, blobs: BlobServer) {
    this.sink = sink;
    this.blobs = blobs;
  }

  async manifest(repo: string, s: ManifestSpec): Promise<Built> {
    const configType = s.configType ?? (s.format === "oci" ? MT.ociConfig : MT.dockerConfig);
    const cfg = await this.sink.blob(
      repo,
      s.configData ??
        configBytes(
          s.name,
          s.plat,
          s.layers.map((l) => l.diffId),
        ),
    );
    const layers: Desc[] = [];
    for (const l of s.layers) {
      let d: Desc;
      if (l.external) {
        const digest = this.blobs.add(l.data);
        d = { mediaType: l.mediaType, digest, size: l.data.length, urls: [this.blobs.url(digest)] };
      } else {
        d = { mediaType: l.mediaType, ...(await this.sink.blob(repo, l.data)) };
      }
      if (l.annotations) d.annotations = l.annotations;
      layers.push(d);
    }
    const mediaType = s.format === "oci" ? MT.ociManifest : MT.dockerManifest;
    const body: Record<string, unknown> = { schemaVersion: 2 };
    if (!s.omitMediaType) body.mediaType = mediaType;
    if (s.artifactType) body.artifactType = s.artifactType;
    body.config = { mediaType: configType, digest: cfg.digest, size: cfg.size };
    body.layers = layers;
    if (s.subject) body.subject = s.subject;
    if (s.annotations) body.annotations = s.annotations;
    return { mediaType, bytes: jsonBytes(body) };
  }

  /** The blob server's URL for a digest (404 unless the blob was added there). */
  blobUrl(digest: string): string {
    return this.blobs.url(digest);
  }

  /** Pushes a manifest by digest (index children must exist before the index). */
  async child(repo: string, m: Built, plat?: Plat, annotations?: Record<string, string>): Promise<Desc> {
    const d = await this.sink.manifest(repo, sha256(m.bytes), m);
    const out: Desc = { mediaType: m.mediaType, digest: d.digest, size: d.size };
    if (plat) out.platform = platformField(plat);
    if (annotations) out.annotations = annotations;
    return out;
  }

  index(format: "oci" | "docker", children: Desc[]): Built {
    const mediaType = format === "oci" ? MT.ociIndex : MT.dockerList;
    return { mediaType, bytes: jsonBytes({ schemaVersion: 2, mediaType, manifests: children }) };
  }

  /** Image + index for each platform; `childFormat` defaults to the index's family. */
  async multiArch(repo: string, name: string, format: "oci" | "docker", plats: Plat[], childFormat = format) {
    const children: Desc[] = [];
    for (const p of plats) {
      const layerType = childFormat === "oci" ? MT.ociLayerGzip : MT.dockerLayerGzip;
      const m = await this.manifest(repo, {
        format: childFormat,
        name,
        plat: p,
        layers: [gzipLayer(baseLayer(name, p), layerType)],
      });
      children.push(await this.child(repo, m, p));
    }
    return this.index(format, children);
  }
}

type Recipe = (
  c: Crafter,
  repo: string,
  name: string,
  ctx: { registry: string; bOci?: Desc },
) => Promise<Built>;

/** How each catalogue entry is built. */
const RECIPES: Record<string, Recipe> = {
  "a-docker-v2s2": (c, repo, name) =>
    c.manifest(repo, {
      format: "docker",
      name,
      plat: AMD64,
      layers: [gzipLayer(baseLayer(name, AMD64), MT.dockerLayerGzip)],
    }),
  "b-oci": (c, repo, name) =>
    c.manifest(repo, { format: "oci", name, plat: AMD64, layers: [gzipLayer(baseLayer(name, AMD64))] }),
  "c-oci-index": (c, repo, name) => c.multiArch(repo, name, "oci", [AMD64, ARM64]),
  "d-docker-list": (c, repo, name) => c.multiArch(repo, name, "docker", [AMD64, ARM64]),
  "e-oci-zstd": (c, repo, name) =>
    c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [
        {
          mediaType: MT.ociLayerZstd,
          data: baseLayer(name, AMD64).zstd,
          diffId: baseLayer(name, AMD64).diffId,
        },
      ],
    }),
  "e2-docker-zstd": (c, repo, name) =>
    c.manifest(repo, {
      format: "docker",
      name,
      plat: AMD64,
      layers: [
        {
          mediaType: MT.dockerLayerZstd,
          data: baseLayer(name, AMD64).zstd,
          diffId: baseLayer(name, AMD64).diffId,
        },
      ],
    }),
  "f-helm": (c, repo, name) => {
    const chart = makeLayer([
      { path: "crafted/", mode: 0o755 },
      { path: "crafted/Chart.yaml", content: `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n` },
      { path: "crafted/templates/", mode: 0o755 },
    ]);
    return c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      configType: MT.helmConfig,
      configData: jsonBytes({ apiVersion: "v2", name, version: "0.1.0" }),
      layers: [{ mediaType: MT.helmChart, data: chart.gzip, diffId: chart.diffId }],
    });
  },
  "f2-oci11-artifact": (c, repo, name, ctx) => {
    const sbom = jsonBytes({ spdxVersion: "SPDX-2.3", name, packages: [] });
    const s: ManifestSpec = {
      format: "oci",
      name,
      plat: AMD64,
      artifactType: "application/vnd.example.sbom.v1+json",
      configType: MT.ociEmpty,
      configData: Buffer.from("{}"),
      layers: [{ mediaType: "application/vnd.example.sbom.v1+json", data: sbom, diffId: sha256(sbom) }],
    };
    if (ctx.bOci) s.subject = ctx.bOci;
    return c.manifest(repo, s);
  },
  "g-schema1": async (c, repo, name, ctx) => {
    const layer = await realSink(ctx.registry).blob(repo, baseLayer(name, AMD64).gzip);
    const signed = signedSchema1(repo, "latest", "amd64", [
      {
        blobSum: layer.digest,
        v1Compatibility: {
          id: sha256(`crafted-${name}`).slice(7),
          created: CREATED,
          architecture: "amd64",
          os: "linux",
          config: {
            Env: ["PATH=/usr/bin:/bin"],
            Cmd: ["/bin/sh"],
            Labels: { "io.kube-runtime-audit.crafted": name },
          },
          container_config: { Cmd: ["/bin/sh"] },
        },
      },
    ]);
    void c;
    return { mediaType: MT.dockerSchema1Signed, bytes: signed.bytes, digest: sha256(signed.payload) };
  },
  "h-windows": async (c, repo, name) => {
    const m = await windowsManifest(c, repo, name);
    return c.index("docker", [await c.child(repo, m, WINDOWS)]);
  },
  "h-windows-single": (c, repo, name) => windowsManifest(c, repo, name),
  "mixed-oci-docker-config": (c, repo, name) =>
    c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      configType: MT.dockerConfig,
      layers: [gzipLayer(baseLayer(name, AMD64))],
    }),
  "mixed-docker-oci-layer": (c, repo, name) =>
    c.manifest(repo, {
      format: "docker",
      name,
      plat: AMD64,
      layers: [gzipLayer(baseLayer(name, AMD64), MT.ociLayerGzip)],
    }),
  "mixed-list-oci-child": (c, repo, name) => c.multiArch(repo, name, "docker", [AMD64, ARM64], "oci"),
  "mixed-index-docker-child": (c, repo, name) => c.multiArch(repo, name, "oci", [AMD64, ARM64], "docker"),
  "oci-no-mediatype": (c, repo, name) =>
    c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [gzipLayer(baseLayer(name, AMD64))],
      omitMediaType: true,
    }),
  "index-amd64-variants": (c, repo, name) =>
    c.multiArch(repo, name, "oci", [
      { os: "linux", architecture: "amd64", variant: "v2" },
      { os: "linux", architecture: "amd64", variant: "v3" },
    ]),
  "index-attestation": async (c, repo, name) => {
    const children: Desc[] = [];
    const attestations: Desc[] = [];
    for (const p of [AMD64, ARM64]) {
      const m = await c.manifest(repo, {
        format: "oci",
        name,
        plat: p,
        layers: [gzipLayer(baseLayer(name, p))],
      });
      const child = await c.child(repo, m, p);
      children.push(child);
      // BuildKit's attestation manifest: unknown/unknown, in-toto layers, pointing back at the image
      // https://github.com/moby/buildkit/blob/v0.12.0/docs/attestations/attestation-storage.md
      const statement = jsonBytes({
        _type: "https://in-toto.io/Statement/v0.1",
        predicateType: "https://spdx.dev/Document",
        subject: [{ name: `${repo}`, digest: { sha256: child.digest.slice(7) } }],
        predicate: { spdxVersion: "SPDX-2.3", name: `${name}-${platString(p)}` },
      });
      const unknown: Plat = { os: "unknown", architecture: "unknown" };
      const att = await c.manifest(repo, {
        format: "oci",
        name: `${name}-attestation-${platString(p)}`,
        plat: unknown,
        layers: [
          {
            mediaType: MT.inToto,
            data: statement,
            diffId: sha256(statement),
            annotations: { "in-toto.io/predicate-type": "https://spdx.dev/Document" },
          },
        ],
      });
      attestations.push(
        await c.child(repo, att, unknown, {
          "vnd.docker.reference.digest": child.digest,
          "vnd.docker.reference.type": "attestation-manifest",
        }),
      );
    }
    return c.index("oci", [...children, ...attestations]);
  },
  "single-arm64": (c, repo, name) =>
    c.manifest(repo, { format: "oci", name, plat: ARM64, layers: [gzipLayer(baseLayer(name, ARM64))] }),
  "encrypted-layer": (c, repo, name) => {
    // Stand-in ciphertext: the gzip layer XORed with a fixed keystream, so it is not a valid gzip or
    // tar stream. Annotations as ocicrypt writes them (values are placeholders; nobody holds a key).
    // https://github.com/containers/ocicrypt/blob/v1.1.10/docs/spec.md
    const cipher = Buffer.from(baseLayer(name, AMD64).gzip.map((b, i) => b ^ ((i * 131 + 7) & 0xff)));
    return c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [
        {
          mediaType: MT.ociLayerGzipEncrypted,
          data: cipher,
          diffId: baseLayer(name, AMD64).diffId,
          annotations: {
            "org.opencontainers.image.enc.keys.jwe": Buffer.from('{"protected":"placeholder"}').toString(
              "base64",
            ),
            "org.opencontainers.image.enc.pubopts": Buffer.from(
              '{"cipher":"AES_256_CTR_HMAC_SHA256"}',
            ).toString("base64"),
          },
        },
      ],
    });
  },
  "size-over-crio-cap": async (c, repo, name) => {
    const m = await c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [gzipLayer(baseLayer(name, AMD64))],
      annotations: { "io.kube-runtime-audit.padding": "" },
    });
    // grow the padding annotation until the body has exactly OVERSIZED_MANIFEST_BYTES bytes
    const body = JSON.parse(m.bytes.toString("utf8")) as { annotations: Record<string, string> };
    body.annotations["io.kube-runtime-audit.padding"] = "x".repeat(OVERSIZED_MANIFEST_BYTES - m.bytes.length);
    const bytes = jsonBytes(body);
    if (bytes.length !== OVERSIZED_MANIFEST_BYTES)
      throw new Error(`oversized manifest is ${bytes.length} bytes`);
    return { mediaType: m.mediaType, bytes };
  },
  "unknown-layer-type": (c, repo, name) =>
    c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [gzipLayer(baseLayer(name, AMD64), "application/vnd.example.custom.layer.v1.tar+gzip")],
    }),
  "nondistributable-layer": (c, repo, name) => {
    const extra = makeLayer([
      { path: "licensed-base.txt", content: `non-distributable content for ${name}\n` },
    ]);
    return c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [
        { mediaType: MT.ociNondistributableGzip, data: extra.gzip, diffId: extra.diffId, external: true },
        gzipLayer(baseLayer(name, AMD64)),
      ],
    });
  },
  "nondistributable-dead-url": async (c, repo, name, ctx) => {
    const extra = makeLayer([
      { path: "licensed-base.txt", content: `non-distributable content for ${name}\n` },
    ]);
    const m = await c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [
        { mediaType: MT.ociNondistributableGzip, data: extra.gzip, diffId: extra.diffId },
        gzipLayer(baseLayer(name, AMD64)),
      ],
    });
    // The blob is pushed to the registry; its only URL points at a port nothing listens on.
    const body = JSON.parse(m.bytes.toString("utf8")) as { layers: Desc[] };
    const first = body.layers[0];
    if (first) first.urls = [`http://${ctx.registry.split(":")[0]}:9/blobs/${first.digest}`];
    return { mediaType: m.mediaType, bytes: jsonBytes(body) };
  },
  "nondistributable-gone-url": async (c, repo, name) => {
    const extra = makeLayer([
      { path: "licensed-base.txt", content: `non-distributable content for ${name}\n` },
    ]);
    const m = await c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [
        { mediaType: MT.ociNondistributableGzip, data: extra.gzip, diffId: extra.diffId },
        gzipLayer(baseLayer(name, AMD64)),
      ],
    });
    // The blob is pushed to the registry; its only URL is on the blob server, which does not hold it (404).
    const body = JSON.parse(m.bytes.toString("utf8")) as { layers: Desc[] };
    const first = body.layers[0];
    if (first) first.urls = [c.blobUrl(first.digest)];
    return { mediaType: m.mediaType, bytes: jsonBytes(body) };
  },
  "layer-gzip-as-tar": (c, repo, name) => {
    const l = baseLayer(name, AMD64);
    return c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [{ mediaType: MT.ociLayerTar, data: l.gzip, diffId: l.diffId }],
    });
  },
  "layer-zstd-as-gzip": (c, repo, name) => {
    const l = baseLayer(name, AMD64);
    return c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [{ mediaType: MT.ociLayerGzip, data: l.zstd, diffId: l.diffId }],
    });
  },
  "docker-zstd-as-gzip": (c, repo, name) => {
    const l = baseLayer(name, AMD64);
    return c.manifest(repo, {
      format: "docker",
      name,
      plat: AMD64,
      layers: [{ mediaType: MT.dockerLayerGzip, data: l.zstd, diffId: l.diffId }],
    });
  },
  "layer-tar-as-gzip": (c, repo, name) => {
    const l = baseLayer(name, AMD64);
    return c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [{ mediaType: MT.ociLayerGzip, data: l.tar, diffId: l.diffId }],
    });
  },
  "zstd-chunked-annotations": (c, repo, name) => {
    const l = baseLayer(name, AMD64);
    return c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [
        {
          mediaType: MT.ociLayerZstd,
          data: l.zstd,
          diffId: l.diffId,
          // what `podman push --compression-format zstd:chunked` writes; the TOC is absent here, so a
          // partial pull would have to fall back to the whole blob
          annotations: {
            "io.github.containers.zstd-chunked.manifest-checksum": sha256(`toc-${name}`),
            "io.github.containers.zstd-chunked.manifest-position": `${l.zstd.length}:0:0:1`,
          },
        },
      ],
    });
  },
  "image-with-artifacttype": (c, repo, name) =>
    c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      artifactType: "application/vnd.example.thing.v1",
      layers: [gzipLayer(baseLayer(name, AMD64))],
    }),
  "nested-index": async (c, repo, name) => {
    const outer: Desc[] = [];
    for (const p of [AMD64, ARM64]) {
      const inner = await c.multiArch(repo, `${name}-${p.architecture}`, "oci", [p]);
      outer.push(await c.child(repo, inner, p));
    }
    return c.index("oci", outer);
  },
  "index-no-platform": async (c, repo, name) => {
    const m = await c.manifest(repo, {
      format: "oci",
      name,
      plat: AMD64,
      layers: [gzipLayer(baseLayer(name, AMD64))],
    });
    return c.index("oci", [await c.child(repo, m)]);
  },
  "index-arm64-no-variant": (c, repo, name) =>
    c.multiArch(repo, name, "oci", [AMD64, { os: "linux", architecture: "arm64" }]),
  "index-arm-v7-only": (c, repo, name) =>
    c.multiArch(repo, name, "oci", [{ os: "linux", architecture: "arm", variant: "v7" }]),
};

async function windowsManifest(c: Crafter, repo: string, name: string): Promise<Built> {
  return c.manifest(repo, {
    format: "docker",
    name,
    plat: WINDOWS,
    layers: [
      {
        mediaType: MT.dockerForeignGzip,
        data: windowsBaseLayer(name).gzip,
        diffId: windowsBaseLayer(name).diffId,
        external: true,
      },
      gzipLayer(baseLayer(name, AMD64), MT.dockerLayerGzip),
    ],
  });
}

export interface CraftTargets {
  /** host:port of the real registry. */
  registry: string;
  /** Serves foreign / non-distributable layers. */
  blobs: BlobServer;
  /** Holds the over-4-MiB manifest. */
  stub: StubRegistry;
}

/** Builds and pushes every catalogue image. Throws on the first refused push. */
export async function pushCrafted(t: CraftTargets): Promise<PushedImage[]> {
  const out: PushedImage[] = [];
  const ctx: { registry: string; bOci?: Desc } = { registry: t.registry };
  for (const spec of CATALOGUE) {
    const recipe = RECIPES[spec.name];
    if (!recipe) throw new Error(`no recipe for crafted image ${spec.name}`);
    const sink = spec.registry === "stub" ? stubSink(t.stub) : realSink(t.registry);
    const crafter = new Crafter(sink, t.blobs);
    const built = await recipe(crafter, spec.repo, spec.name, ctx);
    await sink.manifest(spec.repo, spec.tag, built);
    const digest = built.digest ?? sha256(built.bytes);
    if (spec.name === "b-oci") ctx.bOci = { mediaType: built.mediaType, digest, size: built.bytes.length };
    const address = spec.registry === "stub" ? t.stub.address : t.registry;
    out.push({
      ...spec,
      ref: `${address}/${spec.repo}:${spec.tag}`,
      address,
      mediaType: built.mediaType,
      digest,
      size: built.bytes.length,
    });
  }
  return out;
}
