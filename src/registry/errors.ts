/**
 * Typed registry failures. Every failure inside src/registry is a RegistryError carrying the
 * ImageErrorKind the rules understand (src/core/image.ts); `inspect` turns them into ImageError values
 * and never throws. Messages are one line and pass through the redactor before they leave the module.
 */
import type { ImageError, ImageErrorKind } from "../core/image.js";

export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    readonly kind: ImageErrorKind,
    message: string,
    readonly status?: number,
    /** too-large: the manifest size in bytes, as announced or read (a lower bound when not announced). */
    readonly size?: number,
  ) {
    super(oneLine(message));
  }
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** Node/undici error codes mapped to our kinds. TLS failures are "network" (the peer is unusable). */
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
  "ABORT_ERR",
]);
const TRUNCATION_CODES = new Set([
  "UND_ERR_SOCKET",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ECONNRESET",
  "UND_ERR_CLOSED",
]);

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === "object"; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === "string") return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorName(e: unknown): string | undefined {
  return e && typeof e === "object" && typeof (e as { name?: unknown }).name === "string"
    ? (e as { name: string }).name
    : undefined;
}

/**
 * Classifies a low-level failure (connection, TLS, abort) into a RegistryError. `what` names the
 * registry and repository; the low-level message is reduced to its error code so no URL (which could
 * carry a signed query) or header ever leaks.
 */
export function classifyTransportError(
  e: unknown,
  what: string,
  opts: { timedOut: boolean; timeoutMs: number; bodyStarted: boolean },
): RegistryError {
  if (e instanceof RegistryError) return e;
  const code = errorCode(e);
  const name = errorName(e);
  if (opts.timedOut || (code && TIMEOUT_CODES.has(code)) || name === "TimeoutError") {
    return new RegistryError(
      "timeout",
      `${what}: no complete answer within ${opts.timeoutMs} ms${code ? ` (${code})` : ""}`,
    );
  }
  if (opts.bodyStarted && code && TRUNCATION_CODES.has(code)) {
    return new RegistryError(
      "invalid",
      `${what}: response body truncated (connection closed early, ${code})`,
    );
  }
  const detail = code ?? name ?? "unknown error";
  let hint = "";
  if (code && (code.includes("CERT") || code === "ERR_TLS_CERT_ALTNAME_INVALID")) {
    hint = " (TLS certificate not trusted or not for this host; a private CA goes in caCertificates)";
  } else if (code && (code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL") || code === "EPROTO")) {
    hint = " (TLS handshake failed; if this registry speaks plain HTTP, list it in insecureRegistries)";
  }
  return new RegistryError("network", `${what}: connection failed (${detail})${hint}`);
}

export function toImageError(e: unknown, redact: (s: string) => string, digest?: string): ImageError {
  const err =
    e instanceof RegistryError
      ? e
      : new RegistryError("network", `unexpected failure (${errorCode(e) ?? errorName(e) ?? "error"})`);
  const out: ImageError = { kind: err.kind, message: oneLine(redact(err.message)) };
  if (err.status !== undefined) out.status = err.status;
  if (err.size !== undefined) out.size = err.size;
  if (digest !== undefined) out.digest = digest;
  return out;
}
