/**
 * Token authentication for the real-registry tests: a token server (the "realm" of
 * https://distribution.github.io/distribution/spec/auth/token/) that checks planted credentials and signs
 * JWTs the real registry 2.8 verifies, plus helpers to make certificates with the openssl CLI and to run
 * extra registry processes (token-auth and/or TLS) on 127.0.0.1.
 *
 * Registry 2.8 (registry/auth/token/token.go) accepts a JWT whose header `kid` is the libtrust key ID of a
 * public key in `rootcertbundle`, signed ES256 (raw r||s), with `iss` = issuer, `aud` = service, valid
 * `exp`/`nbf`, and an `access` claim listing the granted repository actions.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID, sign } from "node:crypto";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, connect, createServer as createNetServer } from "node:net";
import { join } from "node:path";

export interface CertPair {
  keyPem: string;
  certPem: string;
  keyPath: string;
  certPath: string;
}

/** A self-signed P-256 certificate for 127.0.0.1 (usable for TLS and as a JWT signing cert). */
export function makeCert(dir: string, name: string, cn = "127.0.0.1"): CertPair {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, `${name}-key.pem`);
  const certPath = join(dir, `${name}-cert.pem`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return {
    keyPem: readFileSync(keyPath, "utf8"),
    certPem: readFileSync(certPath, "utf8"),
    keyPath,
    certPath,
  };
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * libtrust KeyID: sha256 of the DER SubjectPublicKeyInfo, first 240 bits, base32 (no padding), in groups
 * of 4 joined by ":" (github.com/docker/libtrust util.go keyIDFromCryptoKey).
 */
export function libtrustKeyId(key: KeyObject): string {
  const der = key.export({ type: "spki", format: "der" });
  const bytes = createHash("sha256").update(der).digest().subarray(0, 30);
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return (out.match(/.{4}/g) ?? []).join(":");
}

export interface TokenRequestLog {
  listener: "https" | "http";
  method: string;
  path: string;
  service?: string;
  scopes: string[];
  account?: string;
  grantType?: string;
  /** Which planted identity authenticated, if any. */
  user?: string;
  authorization?: string;
  status: number;
}

export interface TokenServerOptions {
  service: string;
  issuer: string;
  signing: CertPair;
  tls: CertPair;
  /** user -> password (checked on Basic auth). */
  users: Record<string, string>;
  /** refresh token -> user (checked on POST grant_type=refresh_token). */
  refreshTokens?: Record<string, string>;
  /** Repositories anonymous users may pull. */
  publicRepositories?: string[];
  /** Repositories each user may pull ("*" = all). */
  grants?: Record<string, string[]>;
  ttlSeconds?: number;
}

export class TokenServer {
  readonly log: TokenRequestLog[] = [];
  /** Every token handed out, to prove none leaks. */
  readonly issued: string[] = [];
  readonly #https: Server;
  readonly #http: Server;
  readonly #key: KeyObject;
  readonly #kid: string;

  readonly opts: TokenServerOptions;

  // A plain field, not a parameter property: bench/images runs this file with Node's type stripping,
  // which does not support parameter properties.
  constructor(opts: TokenServerOptions) {
    this.opts = opts;
    this.#key = createPrivateKey(opts.signing.keyPem);
    this.#kid = libtrustKeyId(createPublicKey(opts.signing.certPem));
    this.#https = createHttpsServer({ key: opts.tls.keyPem, cert: opts.tls.certPem }, (q, s) =>
      this.#handle("https", q, s),
    );
    this.#http = createHttpServer((q, s) => this.#handle("http", q, s));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#https.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => this.#http.listen(0, "127.0.0.1", r));
    return this;
  }

  /** https://127.0.0.1:PORT/token */
  get realm(): string {
    return `https://127.0.0.1:${(this.#https.address() as AddressInfo).port}/token`;
  }

  /** The same server on plain HTTP (for "never send credentials to an http realm"). */
  get plainRealm(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}/token`;
  }

  async close(): Promise<void> {
    for (const s of [this.#https, this.#http]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  #handle(listener: "https" | "http", req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const form =
        req.method === "POST" ? new URLSearchParams(Buffer.concat(chunks).toString("utf8")) : undefined;
      const params = form ?? url.searchParams;
      const scopes = form
        ? (form.get("scope") ?? "").split(" ").filter(Boolean)
        : url.searchParams.getAll("scope");
      const entry: TokenRequestLog = {
        listener,
        method: req.method ?? "GET",
        path: url.pathname,
        scopes,
        status: 200,
      };
      const service = params.get("service");
      if (service) entry.service = service;
      const account = url.searchParams.get("account");
      if (account) entry.account = account;
      const grantType = form?.get("grant_type");
      if (grantType) entry.grantType = grantType;
      if (req.headers.authorization) entry.authorization = req.headers.authorization;
      this.log.push(entry);

      let user: string | undefined;
      const auth = req.headers.authorization;
      if (auth?.startsWith("Basic ")) {
        const [u = "", ...rest] = Buffer.from(auth.slice(6), "base64").toString("utf8").split(":");
        if (this.opts.users[u] === undefined || this.opts.users[u] !== rest.join(":"))
          return this.#deny(res, entry);
        user = u;
      } else if (grantType === "refresh_token") {
        user = this.opts.refreshTokens?.[form?.get("refresh_token") ?? ""];
        if (!user) return this.#deny(res, entry);
      }
      if (user) entry.user = user;
      const access = scopes.flatMap((s) => {
        const [type, name = "", actions = ""] = s.split(":");
        if (type !== "repository") return [];
        const allowed = user
          ? (this.opts.grants?.[user] ?? ["*"]).some((g) => g === "*" || g === name)
          : (this.opts.publicRepositories ?? []).includes(name);
        return allowed ? [{ type, name, actions: actions.split(",").filter((a) => a === "pull") }] : [];
      });
      const token = this.#sign({ sub: user ?? "", access });
      this.issued.push(token);
      const ttl = this.opts.ttlSeconds ?? 300;
      const body = form
        ? {
            access_token: token,
            expires_in: ttl,
            issued_at: new Date().toISOString(),
            refresh_token: form.get("refresh_token"),
          }
        : { token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  }

  #deny(res: ServerResponse, entry: TokenRequestLog): void {
    entry.status = 401;
    res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Basic realm="token"' });
    res.end(JSON.stringify({ details: "invalid credentials" }));
  }

  #sign(claims: { sub: string; access: unknown[] }): string {
    const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", kid: this.#kid };
    const payload = {
      iss: this.opts.issuer,
      aud: this.opts.service,
      sub: claims.sub,
      iat: now,
      nbf: now - 10,
      exp: now + (this.opts.ttlSeconds ?? 300),
      jti: randomUUID(),
      access: claims.access,
    };
    const input = `${b64u(header)}.${b64u(payload)}`;
    const sig = sign("sha256", Buffer.from(input), { key: this.#key, dsaEncoding: "ieee-p1363" });
    return `${input}.${sig.toString("base64url")}`;
  }
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface RegistryProcess {
  addr: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `docker-registry serve` (distribution 2.8) on 127.0.0.1 with an own config: optional TLS and
 * token auth; `storageDir` may be shared with another registry process (e.g. a plain one used for pushes).
 */
export async function startRegistry(opts: {
  dir: string;
  storageDir: string;
  tls?: CertPair;
  token?: { realm: string; service: string; issuer: string; rootCertPath: string };
}): Promise<RegistryProcess> {
  mkdirSync(opts.dir, { recursive: true });
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const lines = [
    "version: 0.1",
    "log: {level: warn}",
    "storage:",
    `  filesystem: {rootdirectory: ${opts.storageDir}}`,
    "  delete: {enabled: true}",
    "http:",
    `  addr: ${addr}`,
    "  secret: kra-registry-test-secret",
  ];
  if (opts.tls) lines.push("  tls:", `    certificate: ${opts.tls.certPath}`, `    key: ${opts.tls.keyPath}`);
  if (opts.token) {
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${opts.token.realm}`,
      `    service: ${opts.token.service}`,
      `    issuer: ${opts.token.issuer}`,
      `    rootcertbundle: ${opts.token.rootCertPath}`,
    );
  }
  lines.push("compatibility:", "  schema1: {enabled: true}");
  const config = join(opts.dir, "config.yml");
  writeFileSync(config, `${lines.join("\n")}\n`);
  const logPath = join(opts.dir, "registry.log");
  const out = openSync(logPath, "a");
  const child: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: ["ignore", out, out] });
  const pid = child.pid;
  if (pid === undefined) throw new Error("docker-registry did not start");
  const scheme = opts.tls ? "https" : "http";
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `registry (${scheme}) on ${addr} did not start: ${readFileSync(logPath, "utf8").slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  return {
    addr,
    pid,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
