/**
 * Registry authentication: anonymous, Basic, and Bearer tokens from the challenge's realm
 * (https://distribution.github.io/distribution/spec/auth/token/ and .../auth/oauth/).
 *
 * - The first request to a registry goes without credentials; its 401 challenge is remembered per
 *   registry, so later requests are authorised up front.
 * - Tokens are cached per registry + realm + service + scope set + credential, reused until
 *   `expires_in` (60 s when absent, as the token spec says), and concurrent requests for the same
 *   token share one fetch.
 * - Token requests: GET realm?service=&scope= (Basic auth when we have user/password, as c/image does);
 *   an identity token is exchanged by POST grant_type=refresh_token (the OAuth2 flow docker and c/image use).
 * - Credentials (user/password, identity and registry tokens) only travel over HTTPS: never to a plain
 *   HTTP registry or realm. An anonymous token may be fetched from a plain HTTP realm and sent to a plain
 *   HTTP registry only when the user listed that registry as insecure.
 */
import { type Challenge, findChallenge, parseWwwAuthenticate } from "./challenge.js";
import type { Credential, CredentialStore } from "./credentials.js";
import { RegistryError } from "./errors.js";
import type { Redactor } from "./redact.js";
import { type Headers, header, type Transport } from "./transport.js";

export interface Endpoint {
  /** Registry name as in references: "docker.io", "127.0.0.1:5055". */
  name: string;
  /** Base URL of the API host, e.g. https://registry-1.docker.io. */
  base: URL;
  /** The user listed this registry as insecure (plain HTTP). */
  insecure: boolean;
}

interface CachedToken {
  token: string;
  expiresAt: number;
  /** Obtained with credentials: never sent over plain HTTP. */
  withCredentials: boolean;
}

const DEFAULT_TOKEN_TTL_S = 60;
/** Renew a little early so a token does not expire in flight. */
const EXPIRY_MARGIN_MS = 5_000;
const TOKEN_BODY_LIMIT = 1024 * 1024;

export class Authenticator {
  readonly #challenges = new Map<string, Challenge[]>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  readonly #credIds = new WeakMap<Credential, number>();
  #nextCredId = 1;

  constructor(
    private readonly transport: Transport,
    private readonly credentials: CredentialStore,
    private readonly redactor: Redactor,
    private readonly now: () => number = Date.now,
  ) {}

  #credential(ep: Endpoint, repository: string): Credential | undefined {
    return this.credentials.lookup(ep.name, repository);
  }

  #credId(c: Credential | undefined): string {
    if (!c) return "anonymous";
    let id = this.#credIds.get(c);
    if (id === undefined) {
      id = this.#nextCredId++;
      this.#credIds.set(c, id);
    }
    return `cred${id}`;
  }

  /** The Authorization header for a request, from the challenge seen earlier (none before the first 401). */
  async authorization(
    ep: Endpoint,
    repository: string,
    extraScopes: string[] = [],
  ): Promise<string | undefined> {
    const challenges = this.#challenges.get(ep.name);
    if (!challenges) return undefined;
    const what = `registry ${ep.name} repository ${repository}`;
    const plain = ep.base.protocol !== "https:";
    const cred = this.#credential(ep, repository);
    const bearer = findChallenge(challenges, "bearer");
    if (bearer) {
      if (cred?.registryToken) {
        if (plain) throw insecure(what, cred);
        return `Bearer ${cred.registryToken}`;
      }
      // Over plain HTTP we never use credentials, only an anonymous token.
      const useCred = plain ? undefined : cred;
      const scopes = [`repository:${repository}:pull`, ...extraScopes];
      const t = await this.#token(ep, bearer, scopes, useCred, what);
      return `Bearer ${t.token}`;
    }
    if (findChallenge(challenges, "basic")) {
      if (!cred?.password || cred.username === undefined) return undefined;
      if (plain) throw insecure(what, cred);
      return `Basic ${Buffer.from(`${cred.username}:${cred.password}`, "utf8").toString("base64")}`;
    }
    return undefined;
  }

  /**
   * After a 401: records the challenge and returns the header to retry with, or throws an auth error
   * when retrying cannot help (no challenge we speak, nothing new to send).
   */
  async onUnauthorized(
    ep: Endpoint,
    repository: string,
    headers: Headers,
    sent: string | undefined,
  ): Promise<string> {
    const what = `registry ${ep.name} repository ${repository}`;
    const challenges = parseWwwAuthenticate(headers["www-authenticate"]);
    if (challenges.length === 0)
      throw this.denied(ep, repository, 401, sent, "no WWW-Authenticate challenge");
    this.#challenges.set(ep.name, challenges);
    const bearer = findChallenge(challenges, "bearer");
    if (!bearer && !findChallenge(challenges, "basic")) {
      throw new RegistryError(
        "auth",
        `${what}: 401 with unsupported auth scheme(s) ${challenges.map((c) => c.scheme).join(", ")}`,
        401,
      );
    }
    if (bearer && sent?.startsWith("Bearer ")) {
      // Our token was refused: drop it so the next attempt gets a fresh one (once).
      for (const [k, v] of this.#tokens) if (`Bearer ${v.token}` === sent) this.#tokens.delete(k);
    }
    const extra = bearer?.params.scope ? bearer.params.scope.split(" ").filter(Boolean) : [];
    const next = await this.authorization(ep, repository, extra);
    if (next === undefined || next === sent) throw this.denied(ep, repository, 401, sent);
    return next;
  }

  /** The auth error for a final 401/403, naming what was tried (never the secret). */
  denied(
    ep: Endpoint,
    repository: string,
    status: number,
    sent: string | undefined,
    detail?: string,
  ): RegistryError {
    const what = `registry ${ep.name} repository ${repository}`;
    const cred = this.#credential(ep, repository);
    const verb = status === 403 ? "403 forbidden" : "401 unauthorized";
    const plain = ep.base.protocol !== "https:";
    let how: string;
    if (cred && plain) {
      return insecure(what, cred);
    } else if (cred) {
      how = `with credentials from ${cred.source}`;
    } else {
      const helper = this.credentials.helperFor(ep.name);
      how = helper
        ? `anonymously: the docker config names credential helper "${helper}" for ${ep.name}, and credential helpers are not supported; put the credentials in "auths" or use an imagePullSecret`
        : `anonymously (no credentials configured for ${ep.name})`;
    }
    const tried = sent === undefined && cred ? " (registry sent no usable challenge)" : "";
    return new RegistryError("auth", `${what}: ${verb} ${how}${tried}${detail ? `; ${detail}` : ""}`, status);
  }

  async #token(
    ep: Endpoint,
    challenge: Challenge,
    scopes: string[],
    cred: Credential | undefined,
    what: string,
  ): Promise<CachedToken> {
    const realmText = challenge.params.realm;
    if (!realmText) throw new RegistryError("auth", `${what}: bearer challenge without realm`, 401);
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new RegistryError("auth", `${what}: bearer realm is not a URL`, 401);
    }
    if (realm.protocol !== "https:") {
      if (realm.protocol !== "http:")
        throw new RegistryError("auth", `${what}: bearer realm scheme ${realm.protocol} unsupported`, 401);
      if (cred) throw insecure(what, cred, `token realm ${realm.host} is plain HTTP`);
      if (!ep.insecure) {
        throw new RegistryError(
          "insecure",
          `${what}: token realm ${realm.host} is plain HTTP and the registry is not listed as insecure`,
          401,
        );
      }
    }
    const service = challenge.params.service;
    const uniqueScopes = [...new Set(scopes)].sort();
    const key = [ep.name, realm.href, service ?? "", uniqueScopes.join(" "), this.#credId(cred)].join("|");
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached;
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const p = this.#fetchToken(realm, service, uniqueScopes, cred, what)
      .then((t) => {
        this.#tokens.set(key, t);
        return t;
      })
      .finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  async #fetchToken(
    realm: URL,
    service: string | undefined,
    scopes: string[],
    cred: Credential | undefined,
    what: string,
  ): Promise<CachedToken> {
    const url = new URL(realm.href);
    let res: Awaited<ReturnType<Transport["send"]>>;
    const tokenWhat = `${what}: token server ${realm.host}`;
    if (cred?.identityToken) {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: cred.identityToken,
        client_id: "kube-runtime-audit",
      });
      if (service) form.set("service", service);
      form.set("scope", scopes.join(" "));
      res = await this.transport.send({
        method: "POST",
        url,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        kind: "token",
        maxBytes: TOKEN_BODY_LIMIT,
        what: tokenWhat,
      });
    } else {
      if (service) url.searchParams.set("service", service);
      for (const s of scopes) url.searchParams.append("scope", s);
      let authorization: string | undefined;
      if (cred?.password && cred.username !== undefined) {
        url.searchParams.set("account", cred.username);
        authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`, "utf8").toString("base64")}`;
      }
      res = await this.transport.send({
        method: "GET",
        url,
        headers: { accept: "application/json" },
        ...(authorization ? { authorization } : {}),
        // Anonymous token requests carry no secret.
        authorizationPlainOk: false,
        kind: "token",
        maxBytes: TOKEN_BODY_LIMIT,
        what: tokenWhat,
      });
    }
    if (res.status === 401 || res.status === 403) {
      const how = cred ? `refused the credentials from ${cred.source}` : "refused anonymous access";
      throw new RegistryError(
        "auth",
        `${tokenWhat} ${how} (${res.status}) for scope ${scopes.join(" ")}`,
        res.status,
      );
    }
    if (res.status === 429) throw new RegistryError("rate-limit", `${tokenWhat}: 429 too many requests`, 429);
    if (res.status >= 500) throw new RegistryError("server", `${tokenWhat}: ${res.status}`, res.status);
    if (res.status !== 200)
      throw new RegistryError("auth", `${tokenWhat}: unexpected status ${res.status}`, res.status);
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString("utf8"));
    } catch {
      throw new RegistryError("auth", `${tokenWhat}: token response is not JSON`, res.status);
    }
    const j = (json ?? {}) as {
      token?: unknown;
      access_token?: unknown;
      expires_in?: unknown;
      issued_at?: unknown;
    };
    const token =
      typeof j.token === "string" && j.token
        ? j.token
        : typeof j.access_token === "string"
          ? j.access_token
          : "";
    if (!token) throw new RegistryError("auth", `${tokenWhat}: token response has no token`, res.status);
    this.redactor.add(token);
    const ttl = typeof j.expires_in === "number" && j.expires_in > 0 ? j.expires_in : DEFAULT_TOKEN_TTL_S;
    return { token, expiresAt: this.now() + ttl * 1000, withCredentials: cred !== undefined };
  }

  /** Token fetches are visible in Transport stats as kind "token"; this exposes the cache size for tests. */
  get cachedTokens(): number {
    return this.#tokens.size;
  }
}

function insecure(
  what: string,
  cred: Credential,
  detail = "the registry is reached over plain HTTP",
): RegistryError {
  return new RegistryError(
    "insecure",
    `${what}: needs authentication and credentials from ${cred.source} exist, but ${detail}; credentials are never sent over plain HTTP`,
    401,
  );
}

export { header };
