/**
 * Test helper for the registry-client suites: pushes tiny crafted images to a real distribution
 * registry over plain HTTP, the way the distribution spec describes (monolithic blob upload: POST,
 * then PUT ?digest=; manifest PUT whose Content-Type equals the manifest's media type).
 * https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-blobs
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { MediaTypes } from "../../../src/core/image.js";

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export interface Pushed {
  digest: string;
  size: number;
}

export async function pushBlob(reg: string, repo: string, bytes: Uint8Array | string): Promise<Pushed> {
  const data = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes);
  const digest = sha256(data);
  const start = await fetch(`http://${reg}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  await start.arrayBuffer();
  const location = start.headers.get("location");
  if (start.status !== 202 || !location) throw new Error(`upload start ${repo}: ${start.status}`);
  const url = new URL(location, `http://${reg}`);
  url.searchParams.set("digest", digest);
  const put = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: data,
  });
  const text = await put.text();
  if (put.status !== 201) throw new Error(`blob PUT ${repo} ${digest}: ${put.status} ${text}`);
  return { digest, size: data.length };
}

export async function pushManifest(
  reg: string,
  repo: string,
  ref: string,
  mediaType: string,
  body: string | Uint8Array,
): Promise<Pushed> {
  const data = typeof body === "string" ? Buffer.from(body) : Buffer.from(body);
  const res = await fetch(`http://${reg}/v2/${repo}/manifests/${ref}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: data,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`manifest PUT ${repo}:${ref}: ${res.status} ${text}`);
  return { digest: res.headers.get("docker-content-digest") ?? sha256(data), size: data.length };
}

export interface TinyImage {
  manifest: Pushed & { mediaType: string; body: string };
  config: Pushed;
  layer: Pushed;
}

/**
 * A single-layer image whose config names `platform`. `format` picks Docker v2s2 or OCI media types.
 * `salt` makes configs distinct (identical configs would give identical image IDs).
 */
export async function pushTinyImage(
  reg: string,
  repo: string,
  opts: {
    format: "docker" | "oci";
    os?: string;
    architecture?: string;
    variant?: string;
    salt?: string;
    tag?: string;
  },
): Promise<TinyImage> {
  const layerBytes = Buffer.from(`layer ${repo} ${opts.salt ?? ""} ${opts.architecture ?? "amd64"}`);
  const layer = await pushBlob(reg, repo, layerBytes);
  const cfg: Record<string, unknown> = {
    architecture: opts.architecture ?? "amd64",
    os: opts.os ?? "linux",
    rootfs: { type: "layers", diff_ids: [sha256(`diff ${opts.salt ?? ""}`)] },
    config: { Labels: { salt: opts.salt ?? "" } },
  };
  if (opts.variant) cfg.variant = opts.variant;
  const docker = opts.format === "docker";
  const config = await pushBlob(reg, repo, JSON.stringify(cfg));
  const mediaType = docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? MediaTypes.dockerConfig : MediaTypes.ociConfig, ...config },
    layers: [{ mediaType: docker ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip, ...layer }],
  });
  const manifest = await pushManifest(reg, repo, opts.tag ?? sha256(body), mediaType, body);
  return { manifest: { ...manifest, mediaType, body }, config, layer };
}

export interface IndexEntry {
  image: TinyImage;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** An OCI index or Docker manifest list over already pushed manifests. */
export async function pushIndex(
  reg: string,
  repo: string,
  tag: string,
  format: "docker" | "oci",
  entries: IndexEntry[],
): Promise<Pushed & { body: string; mediaType: string }> {
  const mediaType = format === "docker" ? MediaTypes.dockerList : MediaTypes.ociIndex;
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({
      mediaType: e.image.manifest.mediaType,
      digest: e.image.manifest.digest,
      size: e.image.manifest.size,
      ...(e.platform ? { platform: e.platform } : {}),
      ...(e.annotations ? { annotations: e.annotations } : {}),
    })),
  });
  const pushed = await pushManifest(reg, repo, tag, mediaType, body);
  return { ...pushed, body, mediaType };
}

/**
 * A signed Docker schema 1 manifest (libtrust "pretty JWS", ES256, no kid), as
 * https://github.com/distribution/distribution/blob/v2.8.2/docs/spec/manifest-v2-1.md#signed-manifests
 * describes: the payload is the manifest indented by 3 spaces; the protected header carries
 * `formatLength` (bytes kept before the signatures) and `formatTail` (the closing bytes, base64url).
 * Returns the signed body and the payload (whose sha256 is the digest registries report).
 */
export function signSchema1(
  name: string,
  tag: string,
  blobSum: string,
  architecture = "amd64",
): { body: string; payload: string } {
  const b64u = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");
  const v1 = JSON.stringify({ id: "a".repeat(64), architecture, os: "linux", config: { Cmd: ["/bin/sh"] } });
  const payload = JSON.stringify(
    {
      schemaVersion: 1,
      name,
      tag,
      architecture,
      fsLayers: [{ blobSum }],
      history: [{ v1Compatibility: v1 }],
    },
    null,
    3,
  );
  const formatLength = payload.length - 2; // keep everything before the final "\n}"
  const formatTail = payload.slice(formatLength);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const protectedHeader = b64u(
    JSON.stringify({ formatLength, formatTail: b64u(formatTail), time: "2020-01-01T00:00:00Z" }),
  );
  const signature = sign("sha256", Buffer.from(`${protectedHeader}.${b64u(payload)}`), {
    key: privateKey,
    dsaEncoding: "ieee-p1363",
  });
  const sigs = [
    {
      header: { jwk: { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }, alg: "ES256" },
      signature: b64u(signature),
      protected: protectedHeader,
    },
  ];
  const sigJson = JSON.stringify(sigs, null, 3)
    .split("\n")
    .map((l, i) => (i === 0 ? l : `   ${l}`))
    .join("\n");
  return { body: `${payload.slice(0, formatLength)},\n   "signatures": ${sigJson}${formatTail}`, payload };
}
