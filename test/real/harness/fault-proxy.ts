/**
 * A fault-injecting HTTP(S) proxy in front of a real registry, bound to 127.0.0.1 only. Requests for a
 * repository with a fault rule get the fault; all others are forwarded unchanged, so one test can inspect
 * faulty and healthy images in parallel. Every request is logged (method, path, headers) for assertions
 * such as "no Authorization header ever arrived here".
 *
 * Faults: fixed status (401/403/404/500...), 429/503 with Retry-After for the first N requests, hang
 * (never answer), truncate (announce the full length, send half, close), alter (flip one body byte but keep
 * Docker-Content-Digest), oversize (a large manifest body), malformed JSON, redirect loops, redirects to
 * another listener, and "require basic auth" (a Basic challenge in front of the registry).
 */
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export type Fault =
  | { type: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { type: "throttle"; status: 429 | 503; retryAfter?: string; times: number }
  | { type: "hang" }
  | { type: "truncate" }
  | { type: "alter"; match?: RegExp }
  | { type: "oversize"; bytes: number; announce?: boolean; contentType?: string }
  | { type: "malformed" }
  | { type: "redirect-loop" }
  | { type: "redirect"; to: string; only?: "manifests" | "blobs" }
  | { type: "basic-auth"; username: string; password: string }
  /** Manifest responses (GET and HEAD) with this Content-Type, or none when `value` is undefined. */
  | { type: "content-type"; value?: string };

export interface LoggedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface FaultProxyOptions {
  /** host:port of the real registry. */
  upstream: string;
  upstreamTls?: { ca: string };
  /** Pass the client's Authorization header on (for an upstream with token auth). Default: dropped. */
  passAuthorization?: boolean;
  /** Serve HTTPS with this key/cert instead of plain HTTP. */
  tls?: { key: string; cert: string };
}

/** /v2/<name>/(manifests|blobs|tags)/<ref> -> name. */
export function repositoryOf(path: string): string | undefined {
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path.split("?")[0] ?? "");
  return m?.[1];
}

export class FaultProxy {
  readonly log: LoggedRequest[] = [];
  readonly #faults = new Map<string, Fault[]>();
  readonly #counts = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  readonly #opts: FaultProxyOptions;
  #inFlight = 0;
  maxInFlight = 0;

  constructor(opts: FaultProxyOptions) {
    this.#opts = opts;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res);
    this.#server = opts.tls
      ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler)
      : createHttpServer(handler);
    this.#server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  get address(): string {
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /**
   * Rules are per repository name; `undefined` clears. A list applies in order: a passed "basic-auth"
   * gate goes on to the next fault (e.g. auth, then a redirect).
   */
  setFault(repository: string, fault: Fault | Fault[] | undefined): void {
    if (fault) this.#faults.set(repository, Array.isArray(fault) ? fault : [fault]);
    else this.#faults.delete(repository);
    this.#counts.delete(repository);
  }

  requestsFor(repository: string): LoggedRequest[] {
    return this.log.filter((r) => repositoryOf(r.path) === repository);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? "/";
    this.log.push({ method: req.method ?? "GET", path, headers: { ...req.headers }, at: Date.now() });
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    res.on("close", () => this.#inFlight--);
    const repo = repositoryOf(path);
    const faults = repo ? (this.#faults.get(repo) ?? []) : [];
    const n = (repo ? (this.#counts.get(repo) ?? 0) : 0) + 1;
    if (repo) this.#counts.set(repo, n);
    this.#apply(faults, 0, n, path, req, res);
  }

  #apply(
    faults: Fault[],
    index: number,
    n: number,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const fault = faults[index];
    if (!fault) {
      this.#forward(req, res);
      return;
    }
    switch (fault.type) {
      case "status": {
        res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
        res.end(
          fault.body ??
            JSON.stringify({
              errors: [{ code: fault.status === 404 ? "MANIFEST_UNKNOWN" : "UNKNOWN", message: "injected" }],
            }),
        );
        return;
      }
      case "throttle": {
        if (n > fault.times) {
          this.#forward(req, res);
          return;
        }
        res.writeHead(fault.status, {
          "content-type": "application/json",
          ...(fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {}),
        });
        res.end(JSON.stringify({ errors: [{ code: "TOOMANYREQUESTS", message: "injected" }] }));
        return;
      }
      case "hang":
        // Never answer; close() destroys the socket.
        return;
      case "truncate":
        this.#forward(req, res, (status, headers, body) => {
          res.writeHead(status, { ...headers, "content-length": String(body.length) });
          res.write(body.subarray(0, Math.floor(body.length / 2)));
          setTimeout(() => res.destroy(), 20);
        });
        return;
      case "alter":
        if (fault.match && !fault.match.test(path)) {
          this.#forward(req, res);
          return;
        }
        this.#forward(req, res, (status, headers, body) => {
          res.writeHead(status, headers);
          res.end(alterBody(body));
        });
        return;
      case "oversize": {
        const pad = Math.max(0, fault.bytes - 64);
        const body = Buffer.from(
          `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{"p":"${"x".repeat(pad)}"}}`,
        );
        const headers: Record<string, string> = {
          "content-type": fault.contentType ?? "application/vnd.oci.image.manifest.v1+json",
        };
        if (fault.announce !== false) headers["content-length"] = String(body.length);
        res.writeHead(200, headers);
        res.end(body);
        return;
      }
      case "content-type": {
        if (!/\/manifests\//.test(path)) {
          this.#forward(req, res);
          return;
        }
        this.#forward(req, res, (status, headers, body) => {
          const h = { ...headers };
          delete h["content-type"];
          if (fault.value !== undefined) h["content-type"] = fault.value;
          res.writeHead(status, h);
          res.end(req.method === "HEAD" ? undefined : body);
        });
        return;
      }
      case "malformed": {
        res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
        res.end('{"schemaVersion": 2, "layers": [ {"digest": ');
        return;
      }
      case "redirect-loop": {
        const next = path.includes("loop=1")
          ? path.replace(/[?&]loop=1/, "")
          : `${path}${path.includes("?") ? "&" : "?"}loop=1`;
        res.writeHead(307, { location: next });
        res.end();
        return;
      }
      case "redirect": {
        const kind = /\/(manifests|blobs)\//.exec(path)?.[1];
        if (fault.only && kind !== fault.only) {
          this.#forward(req, res);
          return;
        }
        res.writeHead(307, { location: `${fault.to}${path}` });
        res.end();
        return;
      }
      case "basic-auth": {
        const expected = `Basic ${Buffer.from(`${fault.username}:${fault.password}`).toString("base64")}`;
        if (req.headers.authorization === expected) {
          this.#apply(faults, index + 1, n, path, req, res);
          return;
        }
        res.writeHead(401, {
          "www-authenticate": 'Basic realm="fault-proxy"',
          "content-type": "application/json",
        });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
        return;
      }
    }
  }

  /** Forwards to the upstream registry; `transform` may rewrite the buffered response. */
  #forward(
    req: IncomingMessage,
    res: ServerResponse,
    transform?: (status: number, headers: Record<string, string | string[]>, body: Buffer) => void,
  ): void {
    const [host, port] = this.#opts.upstream.split(":");
    const headers = { ...req.headers, host: this.#opts.upstream };
    if (!this.#opts.passAuthorization) delete headers.authorization;
    const opts = { host, port: Number(port), method: req.method, path: req.url, headers };
    const onResponse = (up: IncomingMessage) => {
      const h: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined) h[k] = v;
      if (!transform) {
        res.writeHead(up.statusCode ?? 502, h);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on("data", (c: Buffer) => chunks.push(c));
      up.on("end", () => transform(up.statusCode ?? 502, h, Buffer.concat(chunks)));
    };
    const upReq = this.#opts.upstreamTls
      ? httpsRequest({ ...opts, ca: this.#opts.upstreamTls.ca }, onResponse)
      : httpRequest(opts, onResponse);
    upReq.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upReq);
  }
}

/** A listener that records every request and answers with a fixed status (default 404). */
export class RecordingServer {
  readonly log: LoggedRequest[] = [];
  readonly #server: Server;
  constructor(
    readonly answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
      res.writeHead(404);
      res.end();
    },
    tls?: { key: string; cert: string },
  ) {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.log.push({
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: { ...req.headers },
        at: Date.now(),
      });
      this.answer(req, res);
    };
    this.#server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return this;
  }
  get address(): string {
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * Same length, still valid JSON, different digest: flips one hex digit of the first "sha256:" digest
 * in the body (or the last byte when there is none).
 */
export function alterBody(body: Buffer): Buffer {
  const out = Buffer.from(body);
  const at = out.indexOf("sha256:");
  const i = at >= 0 ? at + 7 : out.length - 1;
  if (i < 0) return out;
  const c = out[i] ?? 0;
  out[i] = c === 0x30 ? 0x31 : 0x30; // "0" <-> "1" (any other hex digit becomes "0")
  return out;
}
