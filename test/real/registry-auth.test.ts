/**
 * Registry authentication against real registry 2.8 processes with token auth and TLS, and a token
 * server that checks planted credentials (test/real/harness/token-server.ts). Checks: the token has the
 * right scope and is reused; identity tokens use the OAuth2 refresh flow; Basic auth over TLS; the
 * planted password and every issued token never show up in facts, errors or request events; credentials
 * are never sent to a plain-HTTP realm nor forwarded on a cross-host redirect.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageFacts } from "../../src/core/image.js";
import {
  CredentialStore,
  credentialsFromDockerConfig,
  RegistryClient,
  type RegistryOptions,
} from "../../src/registry/index.js";
import { FaultProxy } from "./harness/fault-proxy.js";
import { pushTinyImage, type TinyImage } from "./harness/push.js";
import {
  type CertPair,
  makeCert,
  type RegistryProcess,
  startRegistry,
  TokenServer,
} from "./harness/token-server.js";

const AMD64 = [{ os: "linux", architecture: "amd64" }];
const PASSWORD = "Planted-Pa55word-7f3c1e";
const REFRESH = "planted-refresh-token-91b2d4";
const SERVICE = "kra-test-registry";
const ISSUER = "kra-test-issuer";

let dir: string;
let tls: CertPair;
let tokens: TokenServer;
let plain: RegistryProcess; // no auth, plain HTTP: used to push (shares storage)
let secured: RegistryProcess; // TLS + token auth, realm https
let httpRealm: RegistryProcess; // TLS + token auth, realm plain http
let insecureTokenReg: RegistryProcess; // plain HTTP + token auth, realm plain http (listed as insecure)
const images: Record<string, TinyImage> = {};
/** Every string the client produced: facts, errors, request events. */
const outputs: string[] = [];

function newClient(extra: Partial<RegistryOptions> = {}): RegistryClient {
  return new RegistryClient({
    caCertificates: [tls.certPem],
    requestTimeoutMs: 5000,
    onRequest: (e) => outputs.push(JSON.stringify(e)),
    ...extra,
  });
}

async function inspect(c: RegistryClient, ref: string): Promise<ImageFacts> {
  const f = await c.inspect(ref, AMD64);
  outputs.push(JSON.stringify(f));
  return f;
}

function dockerConfig(host: string, entry: Record<string, string>) {
  return credentialsFromDockerConfig({ auths: { [host]: entry } }, "test docker config");
}
const basicEntry = (user: string, pass: string) => ({
  auth: Buffer.from(`${user}:${pass}`).toString("base64"),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kra-regauth-"));
  tls = makeCert(join(dir, "certs"), "tls");
  const signing = makeCert(join(dir, "certs"), "signing", "kra-token-signer");
  tokens = await new TokenServer({
    service: SERVICE,
    issuer: ISSUER,
    signing,
    tls,
    users: { alice: PASSWORD },
    refreshTokens: { [REFRESH]: "bob" },
    publicRepositories: ["auth/public"],
    grants: { alice: ["*"], bob: ["auth/private"] },
  }).start();
  const storageDir = join(dir, "storage");
  plain = await startRegistry({ dir: join(dir, "plain"), storageDir });
  const token = { service: SERVICE, issuer: ISSUER, rootCertPath: signing.certPath };
  secured = await startRegistry({
    dir: join(dir, "secured"),
    storageDir,
    tls,
    token: { ...token, realm: tokens.realm },
  });
  httpRealm = await startRegistry({
    dir: join(dir, "httprealm"),
    storageDir,
    tls,
    token: { ...token, realm: tokens.plainRealm },
  });
  insecureTokenReg = await startRegistry({
    dir: join(dir, "insecure"),
    storageDir,
    token: { ...token, realm: tokens.plainRealm },
  });
  for (const repo of ["auth/private", "auth/other", "auth/public"]) {
    images[repo] = await pushTinyImage(plain.addr, repo, { format: "docker", tag: "v1", salt: repo });
  }
});

afterAll(async () => {
  for (const r of [secured, httpRealm, insecureTokenReg, plain]) await r?.stop();
  await tokens?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("bearer tokens from the realm", () => {
  it("gets a token with the repository pull scope using the planted credentials, and reuses it", async () => {
    const c = newClient({ credentials: dockerConfig(secured.addr, basicEntry("alice", PASSWORD)) });
    const before = tokens.log.length;
    const f = await inspect(c, `${secured.addr}/auth/private:v1`);
    expect(f.error).toBeUndefined();
    expect(f.root?.digest).toBe(images["auth/private"]!.manifest.digest);
    expect(f.root?.configPlatform).toEqual({ os: "linux", architecture: "amd64" });
    // Again, plus a by-digest fetch of the same repository: no new token.
    await inspect(c, `${secured.addr}/auth/private:v1`);
    await inspect(c, `${secured.addr}/auth/private@${images["auth/private"]!.manifest.digest}`);
    const mine = tokens.log.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      listener: "https",
      method: "GET",
      service: SERVICE,
      scopes: ["repository:auth/private:pull"],
      account: "alice",
      user: "alice",
      status: 200,
    });
    // Another repository needs another scope, so one more token.
    const other = await inspect(c, `${secured.addr}/auth/other:v1`);
    expect(other.error).toBeUndefined();
    expect(tokens.log.slice(before).map((e) => e.scopes.join(" "))).toEqual([
      "repository:auth/private:pull",
      "repository:auth/other:pull",
    ]);
    expect(c.stats().byKind.token).toBe(2);
    await c.close();
  });

  it("parallel inspections of one repository share one token request", async () => {
    const c = newClient({ credentials: dockerConfig(secured.addr, basicEntry("alice", PASSWORD)) });
    // Learn the challenge first (one 401), then race.
    await inspect(c, `${secured.addr}/auth/other:v1`);
    const before = tokens.log.length;
    const all = await Promise.all(
      Array.from({ length: 6 }, () => inspect(c, `${secured.addr}/auth/private:v1`)),
    );
    for (const f of all) expect(f.error).toBeUndefined();
    expect(tokens.log.length - before).toBe(1);
    await c.close();
  });

  it("exchanges an identity token with the OAuth2 refresh flow (POST), no Basic header", async () => {
    const c = newClient({ credentials: dockerConfig(secured.addr, { identitytoken: REFRESH }) });
    const before = tokens.log.length;
    const f = await inspect(c, `${secured.addr}/auth/private:v1`);
    expect(f.error).toBeUndefined();
    const mine = tokens.log.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      method: "POST",
      grantType: "refresh_token",
      user: "bob",
      scopes: ["repository:auth/private:pull"],
    });
    expect(mine[0]?.authorization).toBeUndefined();
    await c.close();
  });

  it("anonymous: public repository works, private one is an auth error", async () => {
    const c = newClient();
    const pub = await inspect(c, `${secured.addr}/auth/public:v1`);
    expect(pub.error).toBeUndefined();
    const priv = await inspect(c, `${secured.addr}/auth/private:v1`);
    expect(priv.error).toMatchObject({ kind: "auth", status: 401 });
    expect(priv.error?.message).toMatch(/anonymously \(no credentials configured/);
    await c.close();
  });

  it("an untrusted certificate is a network error that says where the CA goes", async () => {
    const c = new RegistryClient({ requestTimeoutMs: 5000 });
    const f = await inspect(c, `${secured.addr}/auth/public:v1`);
    await c.close();
    expect(f.error?.kind).toBe("network");
    expect(f.error?.message).toMatch(/certificate.*caCertificates/);
  });

  it("a wrong password is an auth error naming the source, not the secret", async () => {
    const wrong = "Wrong-Planted-Secret-55aa";
    const c = newClient({ credentials: dockerConfig(secured.addr, basicEntry("alice", wrong)) });
    const f = await inspect(c, `${secured.addr}/auth/private:v1`);
    expect(f.error).toMatchObject({ kind: "auth", status: 401 });
    expect(f.error?.message).toMatch(/refused the credentials from test docker config/);
    expect(JSON.stringify(f)).not.toContain(wrong);
    await c.close();
  });

  it("never sends credentials to a plain-HTTP realm", async () => {
    const before = tokens.log.length;
    const c = newClient({ credentials: dockerConfig(httpRealm.addr, basicEntry("alice", PASSWORD)) });
    const f = await inspect(c, `${httpRealm.addr}/auth/private:v1`);
    expect(f.error?.kind).toBe("insecure");
    expect(f.error?.message).toMatch(
      /token realm 127\.0\.0\.1:\d+ is plain HTTP.*never sent over plain HTTP/,
    );
    // Not even an anonymous request: the registry is not listed as insecure.
    const anon = newClient();
    const g = await inspect(anon, `${httpRealm.addr}/auth/public:v1`);
    expect(g.error?.kind).toBe("insecure");
    expect(tokens.log.slice(before).filter((e) => e.listener === "http")).toEqual([]);
    await c.close();
    await anon.close();
  });

  it("a registry listed as insecure may use a plain-HTTP realm anonymously, but never with credentials", async () => {
    const before = tokens.log.length;
    const anon = newClient({ insecureRegistries: [insecureTokenReg.addr] });
    const pub = await inspect(anon, `${insecureTokenReg.addr}/auth/public:v1`);
    expect(pub.error).toBeUndefined();
    expect(pub.root?.digest).toBe(images["auth/public"]!.manifest.digest);
    const withCreds = newClient({
      insecureRegistries: [insecureTokenReg.addr],
      credentials: dockerConfig(insecureTokenReg.addr, basicEntry("alice", PASSWORD)),
    });
    // Public content still works with an anonymous token; private content needs the credentials.
    expect((await inspect(withCreds, `${insecureTokenReg.addr}/auth/public:v1`)).error).toBeUndefined();
    const priv = await inspect(withCreds, `${insecureTokenReg.addr}/auth/private:v1`);
    expect(priv.error?.kind).toBe("insecure");
    const mine = tokens.log.slice(before);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const e of mine) {
      expect(e.listener).toBe("http");
      expect(e.authorization).toBeUndefined();
      expect(e.account).toBeUndefined();
    }
    await anon.close();
    await withCreds.close();
  });
});

describe("Basic auth over TLS and redirects", () => {
  let front: FaultProxy; // TLS, Basic gate, in front of the plain registry
  let storage: FaultProxy; // a second host (HTTPS) that records what reaches it
  let plainStorage: FaultProxy; // a second host on plain HTTP (a downgrade)

  beforeAll(async () => {
    storage = await new FaultProxy({
      upstream: plain.addr,
      tls: { key: tls.keyPem, cert: tls.certPem },
    }).start();
    plainStorage = await new FaultProxy({ upstream: plain.addr }).start();
    front = await new FaultProxy({
      upstream: plain.addr,
      tls: { key: tls.keyPem, cert: tls.certPem },
    }).start();
  });
  afterAll(async () => {
    await front?.close();
    await storage?.close();
    await plainStorage?.close();
  });

  it("sends Basic credentials over TLS, and drops them on a cross-host redirect (blob storage)", async () => {
    front.setFault("auth/private", [
      { type: "basic-auth", username: "alice", password: PASSWORD },
      { type: "redirect", to: `https://${storage.address}`, only: "blobs" },
    ]);
    const c = newClient({
      credentials: new CredentialStore().add(front.address, {
        username: "alice",
        password: PASSWORD,
        source: "test store",
      }),
    });
    const f = await inspect(c, `${front.address}/auth/private:v1`);
    expect(f.error).toBeUndefined();
    expect(f.root?.configPlatform).toEqual({ os: "linux", architecture: "amd64" });
    const expected = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`;
    expect(front.requestsFor("auth/private").some((r) => r.headers.authorization === expected)).toBe(true);
    const atStorage = storage.requestsFor("auth/private");
    expect(atStorage.length).toBe(1);
    expect(atStorage[0]?.path).toContain("/blobs/sha256:");
    expect(atStorage[0]?.headers.authorization).toBeUndefined();
    await c.close();
  });

  it("refuses to follow a request carrying a bearer token from https to plain HTTP", async () => {
    const tokenFront = await new FaultProxy({
      upstream: secured.addr,
      upstreamTls: { ca: tls.certPem },
      passAuthorization: true,
      tls: { key: tls.keyPem, cert: tls.certPem },
    }).start();
    tokenFront.setFault("auth/other", {
      type: "redirect",
      to: `http://${plainStorage.address}`,
      only: "blobs",
    });
    const c = newClient({ credentials: dockerConfig(tokenFront.address, basicEntry("alice", PASSWORD)) });
    const f = await inspect(c, `${tokenFront.address}/auth/other:v1`);
    await c.close();
    await tokenFront.close();
    // The manifest is fine; the config blob (redirected to http://) is not fetched at all.
    expect(f.error).toBeUndefined();
    expect(f.root?.digest).toBe(images["auth/other"]!.manifest.digest);
    expect(f.root?.configPlatform).toBeUndefined();
    expect(f.root?.configError).toMatch(/redirected from https to plain http/);
    expect(
      tokenFront.requestsFor("auth/other").some((r) => String(r.headers.authorization).startsWith("Bearer ")),
    ).toBe(true);
    expect(plainStorage.requestsFor("auth/other")).toEqual([]);
  });
});

describe("the identity-token POST never follows a redirect off its origin", () => {
  /** A listener that records every request with its body, and would hand out a token. */
  async function recorder(tlsOn: boolean) {
    const seen: { method: string; path: string; body: string; authorization?: string }[] = [];
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      req.on("end", () => {
        seen.push({
          method: req.method ?? "",
          path: req.url ?? "",
          body,
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ token: "stolen-token", expires_in: 300 }));
      });
    };
    const server = tlsOn
      ? createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, handler)
      : createHttpServer(handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, seen, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  /** An HTTPS registry whose own realm answers the token request with `status` to `location`. */
  async function registryWithRedirectingRealm(status: number, location: () => string) {
    const server = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      req.resume();
      const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      if ((req.url ?? "").startsWith("/token")) {
        res.writeHead(status, { location: location() });
        res.end();
        return;
      }
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="https://${addr}/token",service="${SERVICE}"`,
        "content-type": "application/json",
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it.each([
    [307, "http", "insecure"],
    [308, "http", "insecure"],
    [307, "https", "auth"],
    [308, "https", "auth"],
  ] as const)(
    "realm answers %i to another %s host: refused (%s), the refresh token never arrives",
    async (status, scheme, kind) => {
      const rec = await recorder(scheme === "https");
      const reg = await registryWithRedirectingRealm(status, () => `${scheme}://${rec.address}/token`);
      const c = newClient({ credentials: dockerConfig(reg.address, { identitytoken: REFRESH }) });
      const f = await inspect(c, `${reg.address}/auth/private:v1`);
      await c.close();
      reg.server.closeAllConnections();
      rec.server.closeAllConnections();
      await new Promise((r) => reg.server.close(r));
      await new Promise((r) => rec.server.close(r));
      expect(rec.seen).toEqual([]);
      expect(f.root).toBeUndefined();
      expect(f.error?.kind).toBe(kind);
      expect(f.error?.message).toMatch(kind === "insecure" ? /plain http/ : /another origin/);
      expect(JSON.stringify(f)).not.toContain(REFRESH);
    },
  );
});

describe("secrets never leak", () => {
  it("no planted password, refresh token or issued token appears in any fact, error or request event", () => {
    expect(outputs.length).toBeGreaterThan(10);
    expect(tokens.issued.length).toBeGreaterThan(3);
    const all = outputs.join("\n");
    const secrets = [
      PASSWORD,
      REFRESH,
      Buffer.from(`alice:${PASSWORD}`).toString("base64"),
      ...tokens.issued,
      ...tokens.issued.map((t) => t.split(".")[2] ?? t),
    ];
    for (const s of secrets) expect(all.includes(s), `leaked ${s.slice(0, 12)}…`).toBe(false);
  });

  it("the client's redact() removes tokens it received", async () => {
    const c = newClient({ credentials: dockerConfig(secured.addr, basicEntry("alice", PASSWORD)) });
    const before = tokens.issued.length;
    await inspect(c, `${secured.addr}/auth/private:v1`);
    const token = tokens.issued[before]!;
    expect(token).toBeDefined();
    const text = c.redact(`token ${token} pw ${PASSWORD}`);
    expect(text).not.toContain(token);
    expect(text).not.toContain(PASSWORD);
    await c.close();
  });
});
