/**
 * Keeps credentials and tokens out of every string that leaves src/registry (errors, onRequest
 * events, logs written by callers). Two layers: exact known secrets (credentials we loaded and tokens we
 * received, plus their base64 forms as they appear in Basic headers and config files), and patterns
 * for secret-looking material we never saw (Authorization values, JWTs, token query parameters,
 * URL user-info).
 */

export const REDACTED = "[REDACTED]";

const PATTERNS: [RegExp, string][] = [
  // "Authorization: Basic xxx" / "Bearer xxx" in any header dump.
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/._~=-]{4,}/gi, `$1 ${REDACTED}`],
  // JWT-shaped strings (header.payload.signature, base64url).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Secret-bearing query or form parameters (token endpoints, signed blob URLs).
  [
    /([?&;](?:access_token|refresh_token|token|password|passwd|secret|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)=)[^&\s"']*/gi,
    `$1${REDACTED}`,
  ],
  // JSON fields holding secrets.
  [
    /("(?:token|access_token|refresh_token|password|auth|identitytoken|registrytoken)"\s*:\s*")[^"]*"/gi,
    `$1${REDACTED}"`,
  ],
  // user:password@ in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`],
];

/** Pattern-based redaction only. */
export function redactPatterns(text: string): string {
  let out = text;
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Registry of secrets seen during a run; `redact` removes them (and their encoded forms) from text. */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Secrets shorter than 4 characters are ignored: replacing them would shred ordinary text. */
  add(...secrets: (string | undefined)[]): void {
    for (const s of secrets) {
      if (!s || s.length < 4) continue;
      this.#secrets.add(s);
      this.#secrets.add(Buffer.from(s, "utf8").toString("base64"));
      this.#secrets.add(Buffer.from(s, "utf8").toString("base64url"));
      this.#secrets.add(encodeURIComponent(s));
    }
  }

  /** A user:password pair: also registers the base64 of "user:password" as sent in a Basic header. */
  addBasic(username: string | undefined, password: string | undefined): void {
    this.add(password);
    if (username !== undefined && password) this.add(`${username}:${password}`);
  }

  redact = (text: string): string => {
    let out = text;
    // Longest first, so a secret containing another is removed whole.
    const list = [...this.#secrets].sort((a, b) => b.length - a.length);
    for (const s of list) out = out.split(s).join(REDACTED);
    return redactPatterns(out);
  };
}

const SAFE_QUERY_KEYS = new Set(["service", "scope", "n", "last"]);

/**
 * A URL fit for logs and stats: no user-info, and only harmless query parameters (service, scope,
 * pagination); signed blob-storage URLs carry credentials in their query.
 */
export function safeUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return redactPatterns(String(url));
  }
  u.username = "";
  u.password = "";
  const kept = new URLSearchParams();
  for (const [k, v] of u.searchParams) if (SAFE_QUERY_KEYS.has(k)) kept.append(k, v);
  u.search = kept.toString();
  u.hash = "";
  return u.toString();
}
