/**
 * RegistryClient against the real registry (distribution 2.8, test/real/setup.ts) behind a
 * fault-injecting proxy: each fault must give the right ImageError kind, in bounded time, without
 * hiding the healthy images inspected in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageFacts } from "../../src/core/image.js";
import { makeTarget } from "../../src/core/target.js";
import { CredentialStore, RegistryClient } from "../../src/registry/index.js";
import { expectedPull, judgeImage } from "../../src/rules/image/index.js";
import { FaultProxy } from "./harness/fault-proxy.js";
import { pushIndex, pushTinyImage, type TinyImage } from "./harness/push.js";

const REG = process.env.REG_ADDR ?? "";
const AMD64 = [{ os: "linux", architecture: "amd64" }];

let proxy: FaultProxy;
let client: RegistryClient;
const images: Record<string, TinyImage> = {};
const REPOS = [
  "f/ok",
  "f/ok2",
  "f/unauth",
  "f/forbidden",
  "f/missing",
  "f/throttled",
  "f/throttled-then-ok",
  "f/unavailable",
  "f/boom",
  "f/hang",
  "f/truncated",
  "f/altered",
  "f/huge",
  "f/huge-chunked",
  "f/between-caps",
  "f/loop",
  "f/malformed",
  "f/basic",
];

beforeAll(async () => {
  if (!REG) throw new Error("REG_ADDR is not set: run with the real project (test/real/setup.ts)");
  for (const repo of REPOS)
    images[repo] = await pushTinyImage(REG, repo, { format: "oci", tag: "v1", salt: repo });
  proxy = await new FaultProxy({ upstream: REG }).start();
  client = new RegistryClient({
    insecureRegistries: [proxy.address],
    requestTimeoutMs: 1500,
    maxRetries: 3,
    maxRetryWaitMs: 1000,
  });
});

afterAll(async () => {
  await client?.close();
  await proxy?.close();
});

const ref = (repo: string) => `${proxy.address}/${repo}:v1`;

async function timed(repo: string, c = client): Promise<{ facts: ImageFacts; ms: number }> {
  const t0 = Date.now();
  const facts = await c.inspect(ref(repo), AMD64);
  return { facts, ms: Date.now() - t0 };
}

describe("faults give the right error kind in bounded time", () => {
  it("status faults, throttling, hangs, bad bodies and loops, all in parallel with healthy images", async () => {
    proxy.setFault("f/unauth", { type: "status", status: 401 });
    proxy.setFault("f/forbidden", { type: "status", status: 403 });
    proxy.setFault("f/missing", { type: "status", status: 404 });
    proxy.setFault("f/throttled", { type: "throttle", status: 429, retryAfter: "1", times: 100 });
    proxy.setFault("f/throttled-then-ok", {
      type: "throttle",
      status: 429,
      retryAfter: new Date(Date.now() + 500).toUTCString(),
      times: 2,
    });
    proxy.setFault("f/unavailable", { type: "throttle", status: 503, times: 100 });
    proxy.setFault("f/boom", { type: "status", status: 500 });
    proxy.setFault("f/hang", { type: "hang" });
    proxy.setFault("f/truncated", { type: "truncate" });
    proxy.setFault("f/altered", { type: "alter" });
    proxy.setFault("f/huge", { type: "oversize", bytes: 5 * 1024 * 1024 });
    proxy.setFault("f/huge-chunked", { type: "oversize", bytes: 9 * 1024 * 1024, announce: false });
    proxy.setFault("f/loop", { type: "redirect-loop" });
    proxy.setFault("f/malformed", { type: "malformed" });

    const expected: Record<string, { kind?: string; status?: number; message?: RegExp; maxMs: number }> = {
      "f/ok": { maxMs: 3000 },
      "f/ok2": { maxMs: 3000 },
      "f/unauth": { kind: "auth", status: 401, message: /401 unauthorized/, maxMs: 3000 },
      "f/forbidden": { kind: "auth", status: 403, message: /403 forbidden/, maxMs: 3000 },
      "f/missing": {
        kind: "not-found",
        status: 404,
        message: /not found \(404 MANIFEST_UNKNOWN\)/,
        maxMs: 3000,
      },
      "f/throttled": { kind: "rate-limit", status: 429, message: /429/, maxMs: 8000 },
      "f/throttled-then-ok": { maxMs: 6000 },
      "f/unavailable": { kind: "server", status: 503, maxMs: 8000 },
      "f/boom": { kind: "server", status: 500, message: /registry error 500/, maxMs: 3000 },
      "f/hang": { kind: "timeout", message: /within 1500 ms/, maxMs: 5000 },
      "f/truncated": { kind: "invalid", message: /truncated/, maxMs: 3000 },
      "f/altered": { kind: "digest-mismatch", message: /expected sha256:/, maxMs: 3000 },
      "f/huge": { kind: "too-large", message: /\d+ bytes, over the 4393216-byte limit/, maxMs: 3000 },
      "f/huge-chunked": { kind: "too-large", message: /more than 8388608 bytes/, maxMs: 5000 },
      "f/loop": { kind: "server", message: /redirect loop/, maxMs: 3000 },
      "f/malformed": { kind: "invalid", message: /not valid JSON/, maxMs: 3000 },
    };
    const t0 = Date.now();
    const results = await Promise.all(
      Object.keys(expected).map(async (repo) => [repo, await timed(repo)] as const),
    );
    expect(Date.now() - t0).toBeLessThan(15_000);
    for (const [repo, { facts, ms }] of results) {
      const want = expected[repo]!;
      expect(ms, repo).toBeLessThan(want.maxMs);
      if (!want.kind) {
        expect(facts.error, repo).toBeUndefined();
        expect(facts.root?.digest, repo).toBe(images[repo]!.manifest.digest);
        expect(facts.root?.configPlatform, repo).toEqual({ os: "linux", architecture: "amd64" });
        continue;
      }
      expect(facts.root, repo).toBeUndefined();
      expect(facts.error?.kind, `${repo}: ${facts.error?.message}`).toBe(want.kind);
      if (want.status !== undefined) expect(facts.error?.status, repo).toBe(want.status);
      if (want.message) expect(facts.error?.message, repo).toMatch(want.message);
      expect(facts.error?.message, repo).toContain(repo);
      expect(facts.error?.message, repo).not.toMatch(/[\r\n]/);
    }
    // 429 and 503: one try + 3 retries; the 429 waits honour Retry-After: 1 s (3 waits).
    expect(proxy.requestsFor("f/throttled")).toHaveLength(4);
    expect(proxy.requestsFor("f/unavailable")).toHaveLength(4);
    expect(results.find(([r]) => r === "f/throttled")![1].ms).toBeGreaterThanOrEqual(2900);
    // Succeeds on the third try after two 429s with an HTTP-date Retry-After.
    expect(
      proxy.requestsFor("f/throttled-then-ok").filter((r) => r.path.includes("/manifests/")),
    ).toHaveLength(3);
    // 500 is not retried; a redirect loop is cut short.
    expect(proxy.requestsFor("f/boom")).toHaveLength(1);
    expect(proxy.requestsFor("f/loop").length).toBeLessThanOrEqual(6);
  });

  it("a manifest over containerd's cap keeps its size and is judged incompatible on containerd and CRI-O", async () => {
    proxy.setFault("f/huge", { type: "oversize", bytes: 5 * 1024 * 1024 });
    proxy.setFault("f/huge-chunked", { type: "oversize", bytes: 9 * 1024 * 1024, announce: false });
    const target = makeTarget({
      runtimes: "containerd@1.7,containerd@2.1,cri-o@1.34",
      platforms: "linux/amd64",
    });
    for (const [repo, announced] of [
      ["f/huge", true],
      ["f/huge-chunked", false],
    ] as const) {
      const { facts } = await timed(repo);
      expect(facts.error?.kind, repo).toBe("too-large");
      if (announced) {
        // The announced Content-Length: the fault's 5 MiB of padding plus a short JSON frame.
        expect(facts.error?.size, repo).toBeGreaterThanOrEqual(5 * 1024 * 1024);
        expect(facts.error?.size, repo).toBeLessThan(5 * 1024 * 1024 + 200);
        expect(facts.error?.message, repo).toContain(`${facts.error?.size} bytes`);
      } else {
        // Not announced: reading stopped past the 8 MiB read cap, so the size is a lower bound above it.
        expect(facts.error?.size, repo).toBeGreaterThan(8 * 1024 * 1024);
      }
      const report = judgeImage(facts, target);
      expect(
        report.verdicts.map((v) => `${v.runtime} ${v.verdict}`),
        repo,
      ).toEqual(["containerd@1.7 incompatible", "containerd@2.1 incompatible", "cri-o@1.34 incompatible"]);
      for (const v of report.verdicts) {
        expect(expectedPull(v), `${repo} ${v.runtime}`).toBe("fails");
        expect(
          v.findings.map((f) => f.ruleId),
          `${repo} ${v.runtime}`,
        ).toContain("I009");
      }
    }
  });

  it("a manifest between CRI-O's 4 MiB and containerd's 4,393,216-byte cap is read and sized", async () => {
    proxy.setFault("f/between-caps", { type: "oversize", bytes: 4 * 1024 * 1024 + 100_000 });
    const { facts } = await timed("f/between-caps");
    expect(facts.error).toBeUndefined();
    expect(facts.root?.size).toBeGreaterThan(4 * 1024 * 1024);
    expect(facts.root?.size).toBeLessThanOrEqual(4 * 1048 * 1048);
    expect(facts.http?.contentLength).toBe(facts.root?.size);
  });

  it("a corrupted index child is a child error; the root and the other child stay", async () => {
    const amd = await pushTinyImage(REG, "f/idx", { format: "oci", salt: "idx-amd" });
    const arm = await pushTinyImage(REG, "f/idx", { format: "oci", architecture: "arm64", salt: "idx-arm" });
    const index = await pushIndex(REG, "f/idx", "v1", "oci", [
      { image: amd, platform: { os: "linux", architecture: "amd64" } },
      { image: arm, platform: { os: "linux", architecture: "arm64" } },
    ]);
    // Only the arm64 child's by-digest GET is altered.
    proxy.setFault("f/idx", { type: "alter", match: new RegExp(`/manifests/${arm.manifest.digest}$`) });
    const facts = await client.inspect(`${proxy.address}/f/idx:v1`, [
      ...AMD64,
      { os: "linux", architecture: "arm64" },
    ]);
    proxy.setFault("f/idx", undefined);
    expect(facts.error).toBeUndefined();
    expect(facts.root?.digest).toBe(index.digest);
    expect(Object.keys(facts.children)).toEqual([amd.manifest.digest]);
    expect(facts.childErrors[arm.manifest.digest]).toMatchObject({
      kind: "digest-mismatch",
      digest: arm.manifest.digest,
    });
    expect(facts.childErrors[arm.manifest.digest]?.message).toContain(`expected ${arm.manifest.digest}`);
  });

  it("never sends credentials over plain HTTP, even to a listed insecure registry that asks for Basic auth", async () => {
    const password = "pl4in-http-never-sees-this";
    proxy.setFault("f/basic", { type: "basic-auth", username: "alice", password });
    const creds = new CredentialStore().add(proxy.address, {
      username: "alice",
      password,
      source: "test store",
    });
    const c = new RegistryClient({
      insecureRegistries: [proxy.address],
      credentials: creds,
      requestTimeoutMs: 1500,
    });
    const { facts } = await timed("f/basic", c);
    await c.close();
    expect(facts.error?.kind).toBe("insecure");
    expect(facts.error?.message).toMatch(/never sent over plain HTTP/);
    expect(JSON.stringify(facts)).not.toContain(password);
    const seen = proxy.requestsFor("f/basic");
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) expect(r.headers.authorization).toBeUndefined();
  });

  it("a registry not listed as insecure is contacted over HTTPS only (a plain-HTTP one fails as network)", async () => {
    const c = new RegistryClient({ requestTimeoutMs: 1500 });
    const facts = await c.inspect(`${REG}/f/ok:v1`, AMD64);
    await c.close();
    expect(facts.error?.kind).toBe("network");
    expect(facts.error?.message).toMatch(/insecureRegistries/);
  });
});
