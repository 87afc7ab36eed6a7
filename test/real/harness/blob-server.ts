/**
 * Loopback HTTP servers used next to the real registry:
 * - a blob server for foreign / non-distributable layer `urls` (containerd, skopeo and podman really
 *   download from those URLs, so the server must be up while they pull);
 * - a stub registry for the one crafted image the real registry cannot hold: a manifest just over
 *   4 MiB (distribution 2.8 refuses manifest PUTs over `maxManifestBodySize = 4 << 20` with
 *   400 MANIFEST_INVALID "http: request body too large",
 *   https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/manifests.go).
 *   It answers like distribution 2.8 does for what the pullers ask: /v2/ with the API version
 *   header, manifests by tag or digest with Content-Type / Docker-Content-Digest / Content-Length,
 *   404 MANIFEST_UNKNOWN for an OCI manifest when the OCI type is not in Accept, blobs with 404
 *   BLOB_UNKNOWN. https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-manifests
 * Both log every request path, readable over HTTP at /_requests (tests run in other processes).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { sha256 } from "./layers.js";

export interface LoggedRequest {
  method: string;
  path: string;
  accept?: string;
}

abstract class LoopbackServer {
  protected server: Server;
  protected log: LoggedRequest[] = [];
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (path === "/_requests") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(this.log));
        return;
      }
      const entry: LoggedRequest = { method: req.method ?? "GET", path };
      if (req.headers.accept) entry.accept = req.headers.accept;
      this.log.push(entry);
      this.handle(req, res, path);
    });
    // pullers keep connections alive; do not let them hold close() up
    this.server.keepAliveTimeout = 1000;
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse, path: string): void;

  /** host:port */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  listen(port = 0): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        const a = this.server.address();
        this.port = typeof a === "object" && a ? a.port : 0;
        resolve(this);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

function sendBytes(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
) {
  res.writeHead(status, { ...headers, "content-length": String(body.length) });
  res.end(req.method === "HEAD" ? undefined : body);
}

function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string) {
  const body = Buffer.from(`${JSON.stringify({ errors: [{ code, message, detail: null }] })}\n`);
  sendBytes(req, res, status, { "content-type": "application/json; charset=utf-8" }, body);
}

/** Serves blobs at /blobs/<digest>. */
export class BlobServer extends LoopbackServer {
  private blobs = new Map<string, Buffer>();

  add(data: Buffer): string {
    const digest = sha256(data);
    this.blobs.set(digest, data);
    return digest;
  }

  url(digest: string): string {
    return `http://${this.address}/blobs/${digest}`;
  }

  protected handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    const m = /^\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
    const blob = m?.[1] ? this.blobs.get(m[1]) : undefined;
    if (!blob) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
      return;
    }
    sendBytes(req, res, 200, { "content-type": "application/octet-stream" }, blob);
  }
}

interface StoredManifest {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

const OCI_TYPES = new Set([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
]);

/** A read-only registry over in-memory content (see the file comment for what it reproduces). */
export class StubRegistry extends LoopbackServer {
  private manifests = new Map<string, StoredManifest>();
  private blobs = new Map<string, Buffer>();

  addBlob(repo: string, data: Buffer): { digest: string; size: number } {
    const digest = sha256(data);
    this.blobs.set(`${repo}@${digest}`, data);
    return { digest, size: data.length };
  }

  addManifest(
    repo: string,
    tag: string | undefined,
    mediaType: string,
    bytes: Buffer,
  ): { digest: string; size: number } {
    const digest = sha256(bytes);
    const m = { mediaType, bytes, digest };
    this.manifests.set(`${repo}@${digest}`, m);
    if (tag) this.manifests.set(`${repo}:${tag}`, m);
    return { digest, size: bytes.length };
  }

  protected handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    const common = { "docker-distribution-api-version": "registry/2.0" };
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendError(req, res, 405, "UNSUPPORTED", "the operation is unsupported");
      return;
    }
    if (path === "/v2/" || path === "/v2") {
      sendBytes(
        req,
        res,
        200,
        { ...common, "content-type": "application/json; charset=utf-8" },
        Buffer.from("{}"),
      );
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (!m?.[1] || !m[3]) {
      sendError(req, res, 404, "NAME_UNKNOWN", "repository name not known to registry");
      return;
    }
    const [, repo, kind, ref] = m;
    if (kind === "blobs") {
      const blob = this.blobs.get(`${repo}@${ref}`);
      if (!blob) {
        sendError(req, res, 404, "BLOB_UNKNOWN", "blob unknown to registry");
        return;
      }
      sendBytes(
        req,
        res,
        200,
        { ...common, "content-type": "application/octet-stream", "docker-content-digest": ref },
        blob,
      );
      return;
    }
    const sep = ref.startsWith("sha256:") ? "@" : ":";
    const stored = this.manifests.get(`${repo}${sep}${ref}`);
    const accept = (req.headers.accept ?? "")
      .split(",")
      .map((s) => s.split(";")[0]?.trim() ?? "")
      .filter(Boolean);
    // distribution 2.8 hides OCI content from clients that did not ask for it (even by digest)
    if (!stored || (OCI_TYPES.has(stored.mediaType) && !accept.includes(stored.mediaType))) {
      sendError(req, res, 404, "MANIFEST_UNKNOWN", "manifest unknown");
      return;
    }
    sendBytes(
      req,
      res,
      200,
      {
        ...common,
        "content-type": stored.mediaType,
        "docker-content-digest": stored.digest,
        etag: `"${stored.digest}"`,
      },
      stored.bytes,
    );
  }
}

/** Reads a server's request log over HTTP (works from any process). */
export async function fetchRequestLog(address: string): Promise<LoggedRequest[]> {
  const res = await fetch(`http://${address}/_requests`);
  return (await res.json()) as LoggedRequest[];
}
