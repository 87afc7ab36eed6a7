/**
 * The one HTTP exchange primitive of the registry client, on undici (the only undici import of the
 * project). It owns the cross-cutting rules every request obeys:
 * - redirects followed by hand (at most 5, loops detected); the Authorization header goes only to the
 *   origin it was meant for: dropped on any change of scheme, host or port (as Go's net/http does on a
 *   cross-host redirect), so blob-storage redirects are fetched without credentials;
 * - never an Authorization header over plain HTTP unless the caller says the header is harmless
 *   (an anonymous token for a registry the user listed as insecure);
 * - a request body is never forwarded to another origin: a 307/308 to another origin for a request with a
 *   body (the identity-token POST carries the refresh token in it) is refused, not followed; and a request
 *   that carries credentials or a body is never redirected from https to http (RFC 9110 §15.4 lets 307/308
 *   resend the body, which is exactly what must not reach a host the realm names);
 * - a total time budget per attempt (connect + headers + body);
 * - bounded retries on 429/503 honouring Retry-After (seconds or HTTP-date), each wait capped;
 * - body reads capped: reading stops past `maxBytes`;
 * - concurrency bounded per host and globally.
 */
import { Agent } from "undici";
import { classifyTransportError, RegistryError } from "./errors.js";
import { KeyedSemaphores, Semaphore } from "./limiter.js";
import { safeUrl } from "./redact.js";

export type Headers = Record<string, string | string[] | undefined>;

export interface SendRequest {
  method: "GET" | "POST" | "HEAD";
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  /** Sent only to `url`'s origin. */
  authorization?: string;
  /** True when `authorization` may travel over plain HTTP (anonymous token for an insecure registry). */
  authorizationPlainOk?: boolean;
  /** Stats bucket: "manifest", "blob", "token". */
  kind: string;
  /** Stop reading the body past this many bytes. */
  maxBytes: number;
  /** "registry R repository P" for messages. */
  what: string;
}

export interface SendResult {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The body was longer than maxBytes (announced or read); `body` holds what was read, maybe nothing. */
  exceeded: boolean;
  /** Content-Length as announced. */
  announcedLength?: number;
  /** Bytes seen (read, or announced when we did not read). */
  size: number;
  finalUrl: URL;
}

export interface TransportOptions {
  timeoutMs: number;
  maxRetries: number;
  maxRetryWaitMs: number;
  concurrencyPerHost: number;
  concurrencyGlobal: number;
  userAgent: string;
  caCertificates?: string[];
  onRequest?: (e: { method: string; url: string; status?: number }) => void;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUSES = new Set([429, 503]);

export function header(h: Headers, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

export class Transport {
  readonly #agent: Agent;
  readonly #perHost: KeyedSemaphores;
  readonly #global: Semaphore;
  readonly #opts: TransportOptions;
  readonly #byKind: Record<string, number> = {};
  #requests = 0;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#perHost = new KeyedSemaphores(opts.concurrencyPerHost);
    this.#global = new Semaphore(opts.concurrencyGlobal);
    this.#agent = new Agent({
      connect: {
        timeout: opts.timeoutMs,
        ...(opts.caCertificates && opts.caCertificates.length > 0 ? { ca: opts.caCertificates } : {}),
      },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 4_000,
      // At most as many sockets per origin as requests the per-host semaphore lets through. Without a
      // cap undici opens a new socket whenever the next request is dispatched before the previous
      // response has handed its socket back (same tick): bench/images saw 32-34 connections for 16 in
      // flight, each paying a TCP (and with TLS, a handshake) round trip.
      connections: opts.concurrencyPerHost,
      // HTTP/1.1 with a pool of connections per registry: undici 8 negotiates HTTP/2 by default, which
      // puts every request to a registry on one connection; bench/images --auth (TLS registry) measured
      // 2.4 s over one h2 connection against 1.7 s over 16 HTTP/1.1 connections for 200 images.
      allowH2: false,
    });
  }

  stats(): { requests: number; byKind: Record<string, number> } {
    return { requests: this.#requests, byKind: { ...this.#byKind } };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** One logical request: redirects and 429/503 retries included. */
  async send(req: SendRequest): Promise<SendResult> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.#followRedirects(req);
      if (!RETRY_STATUSES.has(res.status) || attempt >= this.#opts.maxRetries) return res;
      const announced = parseRetryAfter(header(res.headers, "retry-after"));
      const backoff = 250 * 2 ** attempt;
      const wait = Math.min(announced ?? backoff, this.#opts.maxRetryWaitMs);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async #followRedirects(req: SendRequest): Promise<SendResult> {
    const origin = req.url.origin;
    const seen = new Set<string>();
    let url = req.url;
    let method = req.method;
    let body = req.body;
    for (let hop = 0; ; hop++) {
      seen.add(url.href);
      const sameOrigin = url.origin === origin;
      let authorization = sameOrigin ? req.authorization : undefined;
      if (authorization && url.protocol !== "https:" && !req.authorizationPlainOk) {
        // Defence in depth: callers already refuse this; never put credentials on the wire in clear.
        authorization = undefined;
      }
      const res = await this.#exchange({ ...req, url, method, body, authorization });
      if (!REDIRECT_STATUSES.has(res.status)) return res;
      const location = header(res.headers, "location");
      if (!location)
        throw new RegistryError("server", `${req.what}: redirect ${res.status} without Location`, res.status);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new RegistryError("server", `${req.what}: redirect to an invalid Location`, res.status);
      }
      if (next.protocol !== "https:" && next.protocol !== "http:") {
        throw new RegistryError(
          "server",
          `${req.what}: redirect to unsupported scheme ${next.protocol}`,
          res.status,
        );
      }
      const carriesSecret = req.authorization !== undefined || req.body !== undefined;
      if (carriesSecret && url.protocol === "https:" && next.protocol === "http:") {
        // A downgrade would put the credential (header or body) in clear, or hand it to whoever answers.
        throw new RegistryError(
          "insecure",
          `${req.what}: redirected from https to plain http (${next.host}); a request carrying credentials is never sent over plain HTTP`,
          res.status,
        );
      }
      // 303 (and 301/302 after POST, as browsers and Go do) turn into GET without a body.
      const dropsBody =
        res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST");
      if (body !== undefined && !dropsBody && next.origin !== origin) {
        // 307/308 would resend the body (for the identity-token POST: the refresh token) to another origin.
        throw new RegistryError(
          "auth",
          `${req.what}: ${res.status} redirect of a ${method} with a body to another origin (${next.host}) refused; the body may carry credentials`,
          res.status,
        );
      }
      if (seen.has(next.href)) throw new RegistryError("server", `${req.what}: redirect loop`, res.status);
      if (hop + 1 > MAX_REDIRECTS) {
        throw new RegistryError("server", `${req.what}: more than ${MAX_REDIRECTS} redirects`, res.status);
      }
      if (dropsBody) {
        method = "GET";
        body = undefined;
      }
      url = next;
    }
  }

  async #exchange(req: SendRequest & { authorization: string | undefined }): Promise<SendResult> {
    const hostKey = req.url.host;
    const releaseHost = await this.#perHost.get(hostKey).acquire();
    const releaseGlobal = await this.#global.acquire();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#opts.timeoutMs);
    let bodyStarted = false;
    let status: number | undefined;
    this.#requests++;
    this.#byKind[req.kind] = (this.#byKind[req.kind] ?? 0) + 1;
    try {
      const headers: Record<string, string> = { "user-agent": this.#opts.userAgent, ...req.headers };
      if (req.authorization) headers.authorization = req.authorization;
      const res = await this.#agent.request({
        origin: req.url.origin,
        path: `${req.url.pathname}${req.url.search}`,
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: controller.signal,
      });
      status = res.statusCode;
      const resHeaders = res.headers as Headers;
      const cl = header(resHeaders, "content-length");
      const announcedLength = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
      // Redirect and error bodies are small and only read for the error code.
      const limit = status >= 200 && status < 300 ? req.maxBytes : Math.min(req.maxBytes, 64 * 1024);
      if (req.method === "HEAD" || (announcedLength !== undefined && announcedLength > limit)) {
        // A HEAD answer has no body: dump() settles it and keeps the connection. Destroying a body we will
        // not read makes undici emit an abort error on it, which nobody else would listen to.
        res.body.on("error", () => {});
        if (req.method === "HEAD") await res.body.dump();
        else res.body.destroy();
        const exceeded = req.method !== "HEAD" && announcedLength !== undefined && announcedLength > limit;
        const out: SendResult = {
          status,
          headers: resHeaders,
          body: Buffer.alloc(0),
          exceeded,
          size: announcedLength ?? 0,
          finalUrl: req.url,
        };
        if (announcedLength !== undefined) out.announcedLength = announcedLength;
        return out;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      let exceeded = false;
      bodyStarted = true;
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        total += b.length;
        if (total > limit) {
          exceeded = true;
          chunks.push(b.subarray(0, Math.max(0, b.length - (total - limit))));
          res.body.destroy();
          break;
        }
        chunks.push(b);
      }
      const body = Buffer.concat(chunks);
      if (!exceeded && announcedLength !== undefined && body.length < announcedLength) {
        throw new RegistryError(
          "invalid",
          `${req.what}: response body truncated (${body.length} of ${announcedLength} bytes)`,
          status,
        );
      }
      const out: SendResult = { status, headers: resHeaders, body, exceeded, size: total, finalUrl: req.url };
      if (announcedLength !== undefined) out.announcedLength = announcedLength;
      return out;
    } catch (e) {
      throw classifyTransportError(e, req.what, { timedOut, timeoutMs: this.#opts.timeoutMs, bodyStarted });
    } finally {
      clearTimeout(timer);
      releaseGlobal();
      releaseHost();
      this.#opts.onRequest?.({
        method: req.method,
        url: safeUrl(req.url),
        ...(status !== undefined ? { status } : {}),
      });
    }
  }
}
