/**
 * Pushes blobs and manifests to a distribution registry with plain HTTP requests (fetch), the way
 * the distribution spec describes: monolithic blob upload (POST, then PUT with ?digest=), manifest PUT
 * with Content-Type equal to the manifest's media type.
 * https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-blobs
 * https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-manifests
 */
import { sha256 } from "./layers.js";

export interface PushedDescriptor {
  digest: string;
  size: number;
}

export class PushError extends Error {
  readonly status: number;
  readonly body: string;

  constructor(message: string, status: number, body: string) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Uploads a blob unless the registry already has it. `registry` is host:port (plain HTTP). */
export async function pushBlob(registry: string, repo: string, data: Uint8Array): Promise<PushedDescriptor> {
  const digest = sha256(data);
  const base = `http://${registry}`;
  const head = await fetch(`${base}/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
  if (head.status === 200) return { digest, size: data.length };
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  await start.arrayBuffer();
  const location = start.headers.get("location");
  if (start.status !== 202 || !location) {
    throw new PushError(`blob upload start for ${repo} answered ${start.status}`, start.status, "");
  }
  const url = new URL(location, base);
  url.searchParams.set("digest", digest);
  const put = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: data,
  });
  const body = await put.text();
  if (put.status !== 201) {
    throw new PushError(`blob PUT ${digest} to ${repo} answered ${put.status}: ${body}`, put.status, body);
  }
  return { digest, size: data.length };
}

export interface ManifestPushResult {
  status: number;
  /** Docker-Content-Digest of the response, when the push succeeded. */
  digest?: string;
  body: string;
}

/** PUTs a manifest under a tag or digest; returns the answer without throwing. */
export async function putManifest(
  registry: string,
  repo: string,
  ref: string,
  mediaType: string,
  bytes: Uint8Array,
): Promise<ManifestPushResult> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${ref}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: bytes,
  });
  const body = await res.text();
  const digest = res.headers.get("docker-content-digest") ?? undefined;
  return digest ? { status: res.status, digest, body } : { status: res.status, body };
}

/** Like putManifest, but throws unless the registry answered 201. */
export async function pushManifest(
  registry: string,
  repo: string,
  ref: string,
  mediaType: string,
  bytes: Uint8Array,
): Promise<PushedDescriptor & { registryDigest: string }> {
  const r = await putManifest(registry, repo, ref, mediaType, bytes);
  if (r.status !== 201) {
    throw new PushError(
      `manifest PUT ${repo}:${ref} (${mediaType}) answered ${r.status}: ${r.body}`,
      r.status,
      r.body,
    );
  }
  return { digest: sha256(bytes), size: bytes.length, registryDigest: r.digest ?? sha256(bytes) };
}
