/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1 and §2.1): one header may hold several challenges, each a
 * scheme followed by comma-separated `name=value` parameters whose values may be quoted strings holding
 * commas and backslash escapes. Registries send e.g.
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull"
 * (https://distribution.github.io/distribution/spec/auth/token/).
 */

export interface Challenge {
  /** Lowercased: "bearer", "basic". */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  params: Record<string, string>;
  /** RFC 7235 token68 form (rare for registries). */
  token68?: string;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

export function parseWwwAuthenticate(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  if (Array.isArray(header)) return header.flatMap((h) => parseWwwAuthenticate(h));
  const s = header;
  let i = 0;
  const out: Challenge[] = [];
  const skipWs = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i] ?? "")) i++;
    return s.slice(start, i);
  };
  const readBare = (): string => {
    const start = i;
    while (i < s.length && s[i] !== "," && s[i] !== " " && s[i] !== "\t") i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    // at opening quote
    i++;
    let v = "";
    while (i < s.length && s[i] !== '"') {
      if (s[i] === "\\" && i + 1 < s.length) i++;
      v += s[i];
      i++;
    }
    i++; // closing quote (or end)
    return v;
  };

  let current: Challenge | undefined;
  while (i < s.length) {
    skipWs();
    if (s[i] === ",") {
      i++;
      continue;
    }
    const start = i;
    const tok = readToken();
    if (!tok) {
      // Unparseable character: skip it rather than loop forever.
      i++;
      continue;
    }
    skipWs();
    if (s[i] === "=" && current) {
      // Parameter or token68 ("abc==" has "=" right after the token with nothing param-like after).
      let j = i;
      while (s[j] === "=") j++;
      const afterEq = s.slice(j).trimStart();
      const isToken68 = j - i > 1 || afterEq === "" || afterEq.startsWith(",");
      if (isToken68 && Object.keys(current.params).length === 0 && current.token68 === undefined) {
        current.token68 = s.slice(start, j);
        i = j;
        continue;
      }
      i++; // "="
      skipWs();
      // Unquoted values are tokens in the RFC; registries sometimes send bare URLs, so read to the next
      // comma or space.
      const value = s[i] === '"' ? readQuoted() : readBare();
      current.params[tok.toLowerCase()] = value;
      continue;
    }
    // A new challenge: scheme, optionally followed by a token68 or params.
    current = { scheme: tok.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** The first challenge with the given scheme. */
export function findChallenge(challenges: Challenge[], scheme: "bearer" | "basic"): Challenge | undefined {
  return challenges.find((c) => c.scheme === scheme);
}
