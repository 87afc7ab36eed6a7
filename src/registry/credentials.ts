/**
 * Registry credentials from a Docker `config.json` and from Kubernetes pull secrets.
 *
 * Formats:
 * - config.json: `{"auths": {"<key>": {"auth": base64("user:pass"), "username", "password",
 *   "identitytoken", "registrytoken"}}, "credHelpers": {...}, "credsStore": "..."}`
 *   (https://github.com/docker/cli/blob/master/cli/config/configfile/file.go).
 * - Secret `kubernetes.io/dockerconfigjson`: data[".dockerconfigjson"] = base64(config.json);
 *   Secret `kubernetes.io/dockercfg` (legacy): data[".dockercfg"] = base64 of the bare `auths` map
 *   (https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets).
 *
 * Keys are matched the way the kubelet keyring does (pkg/credentialprovider/keyring.go): scheme and
 * a trailing "/v1/" or "/v2/" are ignored, a key may carry a path prefix (`reg.io/team` matches
 * `reg.io/team/app`), and `*` may stand for one host label (`*.example.com`). The Docker Hub forms
 * `https://index.docker.io/v1/`, `index.docker.io`, `registry-1.docker.io` and `docker.io` are one host.
 *
 * Credential helpers (`credHelpers`, `credsStore`) run external programs; they are out of scope. A host
 * that needs one gets an auth error saying so.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken`), exchanged at the token realm. */
  identityToken?: string;
  /** A ready bearer token for the registry (`registrytoken`). */
  registryToken?: string;
  /** Where it came from, for messages (never the secret): e.g. "docker config /root/.docker/config.json". */
  source: string;
}

interface Entry {
  hostPattern: string;
  path: string;
  credential: Credential;
}

interface HelperEntry {
  hostPattern: string;
  helper: string;
}

export class CredentialError extends Error {
  override readonly name = "CredentialError";
}

const DOCKER_HUB_ALIASES = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

/** Lowercase host, Docker Hub aliases folded to docker.io. */
export function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(h) ? "docker.io" : h;
}

/** "https://index.docker.io/v1/" -> {host:"docker.io", path:""}; "reg.io:5000/team/" -> {host, path:"team"}. */
export function parseCredentialKey(key: string): { host: string; path: string } {
  let k = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  k = k.replace(/\/+$/, "");
  const slash = k.indexOf("/");
  const host = slash === -1 ? k : k.slice(0, slash);
  let path = slash === -1 ? "" : k.slice(slash + 1);
  // The registry API version suffix is not part of a repository path.
  if (/^v[12]$/.test(path)) path = "";
  return { host: canonicalHost(host), path };
}

/** kubelet URLsMatch: same number of labels, each label glob-matched; ports must be equal. */
function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.includes("*")) return false;
  const [pHost = "", pPort] = splitPort(pattern);
  const [hHost = "", hPort] = splitPort(host);
  if (pPort !== hPort) return false;
  const pl = pHost.split(".");
  const hl = hHost.split(".");
  if (pl.length !== hl.length) return false;
  return pl.every((p, i) => globLabel(p, hl[i] ?? ""));
}

function splitPort(h: string): [string, string | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(h);
  return [m?.[1] ?? h, m?.[2]];
}

function globLabel(pattern: string, label: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map(escapeRe).join("[^.]*")}$`);
  return re.test(label);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function pathMatches(prefix: string, repository: string): boolean {
  return prefix === "" || repository === prefix || repository.startsWith(`${prefix}/`);
}

export class CredentialStore {
  readonly #entries: Entry[] = [];
  readonly #helpers: HelperEntry[] = [];
  #defaultHelper: string | undefined;

  static empty(): CredentialStore {
    return new CredentialStore();
  }

  /** Adds one credential under a config-style key ("docker.io", "https://reg.io/v2/", "*.corp.io/team"). */
  add(key: string, credential: Credential): this {
    const { host, path } = parseCredentialKey(key);
    if (host) this.#entries.push({ hostPattern: host, path, credential });
    return this;
  }

  addHelper(key: string, helper: string): this {
    const { host } = parseCredentialKey(key);
    if (host) this.#helpers.push({ hostPattern: host, helper });
    return this;
  }

  setDefaultHelper(helper: string | undefined): this {
    this.#defaultHelper = helper;
    return this;
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * The best credential for a registry host and repository: exact host before glob, longer path prefix
   * first, then insertion order (earlier stores win after `merge`, as the kubelet tries pod secrets in order).
   */
  lookup(registry: string, repository = ""): Credential | undefined {
    return this.lookupAll(registry, repository)[0];
  }

  lookupAll(registry: string, repository = ""): Credential[] {
    const host = canonicalHost(registry);
    return this.#entries
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => hostMatches(e.hostPattern, host) && pathMatches(e.path, repository))
      .sort(
        (a, b) =>
          Number(a.e.hostPattern.includes("*")) - Number(b.e.hostPattern.includes("*")) ||
          b.e.path.length - a.e.path.length ||
          a.i - b.i,
      )
      .map(({ e }) => e.credential);
  }

  /** The credential helper a host would need (credHelpers entry, else credsStore), for error messages. */
  helperFor(registry: string): string | undefined {
    const host = canonicalHost(registry);
    return this.#helpers.find((h) => hostMatches(h.hostPattern, host))?.helper ?? this.#defaultHelper;
  }

  /** Every secret value held, for the redactor. */
  secrets(): string[] {
    const out: string[] = [];
    for (const { credential: c } of this.#entries) {
      for (const s of [c.password, c.identityToken, c.registryToken]) if (s) out.push(s);
      if (c.username !== undefined && c.password) out.push(`${c.username}:${c.password}`);
    }
    return out;
  }

  /** A new store: this store's entries first, then the others' (lookup prefers earlier on ties). */
  merge(...others: CredentialStore[]): CredentialStore {
    const out = new CredentialStore();
    for (const s of [this, ...others]) {
      out.#entries.push(...s.#entries);
      out.#helpers.push(...s.#helpers);
      out.#defaultHelper ??= s.#defaultHelper;
    }
    return out;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** One `auths` entry -> Credential, or undefined when it holds nothing usable (e.g. `{}` with credsStore). */
function entryCredential(v: unknown, source: string, key: string): Credential | undefined {
  if (!isRecord(v)) return undefined;
  const c: Credential = { source };
  const auth = str(v.auth);
  if (auth) {
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) {
      // The value itself is secret: name only the key.
      throw new CredentialError(`${source}: "auth" for ${key} is not base64 of "user:password"`);
    }
    c.username = decoded.slice(0, colon);
    c.password = decoded.slice(colon + 1);
  }
  c.username = str(v.username) ?? c.username;
  c.password = str(v.password) ?? c.password;
  const identityToken = str(v.identitytoken) ?? str(v.identityToken);
  if (identityToken) c.identityToken = identityToken;
  const registryToken = str(v.registrytoken) ?? str(v.registryToken);
  if (registryToken) c.registryToken = registryToken;
  if (!c.password && !c.identityToken && !c.registryToken) return undefined;
  return c;
}

function addAuths(store: CredentialStore, auths: Record<string, unknown>, source: string): void {
  for (const [key, value] of Object.entries(auths)) {
    const c = entryCredential(value, source, key);
    if (c) store.add(key, c);
  }
}

/** A parsed Docker config.json (modern `auths` form, or the legacy bare map of ~/.dockercfg). */
export function credentialsFromDockerConfig(json: unknown, source = "docker config"): CredentialStore {
  if (!isRecord(json)) throw new CredentialError(`${source}: expected a JSON object`);
  const store = new CredentialStore();
  if ("auths" in json || "credHelpers" in json || "credsStore" in json) {
    if (json.auths !== undefined) {
      if (!isRecord(json.auths)) throw new CredentialError(`${source}: "auths" must be an object`);
      addAuths(store, json.auths, source);
    }
    if (isRecord(json.credHelpers)) {
      for (const [k, v] of Object.entries(json.credHelpers)) if (typeof v === "string") store.addHelper(k, v);
    }
    store.setDefaultHelper(str(json.credsStore));
  } else {
    // Legacy .dockercfg: the auths map itself.
    addAuths(store, json, source);
  }
  return store;
}

function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Never echo the text: it is a credentials file.
    throw new CredentialError(`${source}: not valid JSON`);
  }
}

/**
 * Credentials from a Kubernetes pull secret's `data` (values base64-encoded, as in Secret.data).
 * Other secret types hold no registry credentials and give an empty store.
 */
export function credentialsFromSecret(
  type: string,
  data: Record<string, string>,
  source = `secret (${type})`,
): CredentialStore {
  const decode = (key: string): unknown => {
    const v = data[key];
    if (v === undefined) throw new CredentialError(`${source}: missing data key "${key}"`);
    return parseJsonText(Buffer.from(v, "base64").toString("utf8"), source);
  };
  if (type === "kubernetes.io/dockerconfigjson") {
    const json = decode(".dockerconfigjson");
    if (!isRecord(json) || !isRecord(json.auths))
      throw new CredentialError(`${source}: ".dockerconfigjson" has no "auths" object`);
    return credentialsFromDockerConfig(json, source);
  }
  if (type === "kubernetes.io/dockercfg") {
    const json = decode(".dockercfg");
    if (!isRecord(json)) throw new CredentialError(`${source}: ".dockercfg" is not an object`);
    const store = new CredentialStore();
    addAuths(store, json, source);
    return store;
  }
  return new CredentialStore();
}

/**
 * Reads a Docker config file: `path` (e.g. --registry-config), else `$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`. A missing default file gives an empty store; a missing explicit file is an error.
 */
export async function loadDockerConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CredentialStore> {
  const explicit = path !== undefined;
  const file = path ?? join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
  const source = `docker config ${file}`;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (!explicit && code === "ENOENT") return new CredentialStore();
    throw new CredentialError(`${source}: cannot read (${code ?? "error"})`);
  }
  return credentialsFromDockerConfig(parseJsonText(text, source), source);
}
