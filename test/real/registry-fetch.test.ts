/**
 * RegistryClient against the real registry (distribution 2.8, test/real/setup.ts): each manifest format
 * comes back as stored (the full Accept list defeats 2.8's negotiation), index children are fetched for
 * the asked platforms only, configs only when needed; caches and in-flight dedupe save requests;
 * concurrency stays under the per-registry limit.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaTypes } from "../../src/core/image.js";
import { RegistryClient } from "../../src/registry/index.js";
import { FaultProxy } from "./harness/fault-proxy.js";
import {
  pushBlob,
  pushIndex,
  pushManifest,
  pushTinyImage,
  sha256,
  signSchema1,
  type TinyImage,
} from "./harness/push.js";

const REG = process.env.REG_ADDR ?? "";
const AMD64 = { os: "linux", architecture: "amd64" };
const ARM64 = { os: "linux", architecture: "arm64" };

let client: RegistryClient;
let docker: TinyImage;
let oci: TinyImage;
const idx: Record<string, TinyImage> = {};
let ociIndexDigest = "";
let listDigest = "";

beforeAll(async () => {
  if (!REG) throw new Error("REG_ADDR is not set: run with the real project (test/real/setup.ts)");
  docker = await pushTinyImage(REG, "rc/docker", { format: "docker", tag: "v1", salt: "docker" });
  oci = await pushTinyImage(REG, "rc/oci", { format: "oci", tag: "v1", salt: "oci" });
  for (const [name, arch] of [
    ["amd64", "amd64"],
    ["arm64", "arm64"],
    ["s390x", "s390x"],
    ["att", "unknown"],
  ] as const) {
    idx[name] = await pushTinyImage(REG, "rc/index", {
      format: "oci",
      architecture: arch,
      salt: `idx-${name}`,
    });
    idx[`d-${name}`] = await pushTinyImage(REG, "rc/list", {
      format: "docker",
      architecture: arch,
      salt: `list-${name}`,
    });
  }
  const entries = (p: string) => [
    { image: idx[`${p}amd64`]!, platform: AMD64 },
    { image: idx[`${p}arm64`]!, platform: ARM64 },
    { image: idx[`${p}s390x`]!, platform: { os: "linux", architecture: "s390x" } },
    {
      image: idx[`${p}att`]!,
      platform: { os: "unknown", architecture: "unknown" },
      annotations: {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": idx[`${p}amd64`]!.manifest.digest,
      },
    },
  ];
  ociIndexDigest = (await pushIndex(REG, "rc/index", "v1", "oci", entries(""))).digest;
  listDigest = (await pushIndex(REG, "rc/list", "v1", "docker", entries("d-").slice(0, 3))).digest;
  client = new RegistryClient({ insecureRegistries: [REG] });
});

afterAll(async () => {
  await client?.close();
});

describe("manifest formats as stored", () => {
  it("Docker v2s2: kind, content type, digest, config platform", async () => {
    const f = await client.inspect(`${REG}/rc/docker:v1`, [AMD64]);
    expect(f.error).toBeUndefined();
    expect(f.root).toMatchObject({
      kind: "manifest",
      digest: docker.manifest.digest,
      size: docker.manifest.size,
      contentType: MediaTypes.dockerManifest,
      mediaType: MediaTypes.dockerManifest,
      configPlatform: AMD64,
      diffIdCount: 1,
    });
    expect(f.http).toEqual({
      status: 200,
      contentType: MediaTypes.dockerManifest,
      dockerContentDigest: docker.manifest.digest,
      contentLength: docker.manifest.size,
    });
    // What the client avoids: without the v2 Accept type, registry 2.8 does not return the stored manifest
    // (it converts to schema 1, or answers 400 MANIFEST_INVALID when the config cannot be converted, as
    // for this minimal config).
    const raw = await fetch(`http://${REG}/v2/rc/docker/manifests/v1`);
    if (raw.status === 200) {
      expect(raw.headers.get("content-type")).toMatch(/manifest\.v1\+prettyjws/);
      expect(raw.headers.get("docker-content-digest")).not.toBe(docker.manifest.digest);
    } else {
      expect(raw.status).toBe(400);
    }
    await raw.arrayBuffer();
  });

  it("OCI manifest (404 for a client that omits the OCI type)", async () => {
    const f = await client.inspect(`${REG}/rc/oci:v1`, [AMD64]);
    expect(f.root).toMatchObject({
      kind: "manifest",
      digest: oci.manifest.digest,
      contentType: MediaTypes.ociManifest,
    });
    const raw = await fetch(`http://${REG}/v2/rc/oci/manifests/v1`, {
      headers: { accept: MediaTypes.dockerManifest },
    });
    expect(raw.status).toBe(404);
    await raw.arrayBuffer();
  });

  it("OCI index: children for the asked platforms only, never the attestation", async () => {
    const f = await client.inspect(`${REG}/rc/index:v1`, [AMD64, ARM64]);
    expect(f.root).toMatchObject({ kind: "index", digest: ociIndexDigest, contentType: MediaTypes.ociIndex });
    expect(f.root?.manifests).toHaveLength(4);
    expect(Object.keys(f.children).sort()).toEqual(
      [idx.amd64!.manifest.digest, idx.arm64!.manifest.digest].sort(),
    );
    expect(f.childErrors).toEqual({});
    // Children with a platform in the index need no config.
    expect(f.children[idx.amd64!.manifest.digest]?.configPlatform).toBeUndefined();
    const s390 = await client.inspect(`${REG}/rc/index:v1`, [{ os: "linux", architecture: "s390x" }]);
    expect(Object.keys(s390.children)).toEqual([idx.s390x!.manifest.digest]);
  });

  it("Docker manifest list", async () => {
    const f = await client.inspect(`${REG}/rc/list:v1`, [ARM64]);
    expect(f.root).toMatchObject({ kind: "index", digest: listDigest, contentType: MediaTypes.dockerList });
    expect(Object.keys(f.children)).toEqual([idx["d-arm64"]!.manifest.digest]);
    expect(f.children[idx["d-arm64"]!.manifest.digest]?.contentType).toBe(MediaTypes.dockerManifest);
  });

  it("an index child without platform gets its config fetched", async () => {
    const noPlat = await pushTinyImage(REG, "rc/noplat", {
      format: "oci",
      architecture: "arm64",
      salt: "noplat",
    });
    const d = (await pushIndex(REG, "rc/noplat", "v1", "oci", [{ image: noPlat }])).digest;
    const f = await client.inspect(`${REG}/rc/noplat:v1`, [AMD64]);
    expect(f.root?.digest).toBe(d);
    expect(f.children[noPlat.manifest.digest]).toMatchObject({ configPlatform: ARM64, diffIdCount: 1 });
  });

  it("signed schema 1: recorded with the registry's payload digest, not failed", async () => {
    const layer = await pushBlob(REG, "rc/schema1", "schema1 layer");
    const { body, payload } = signSchema1("rc/schema1", "v1", layer.digest);
    const pushed = await pushManifest(REG, "rc/schema1", "v1", MediaTypes.dockerSchema1Signed, body);
    expect(pushed.digest).toBe(sha256(payload));
    const f = await client.inspect(`${REG}/rc/schema1:v1`, [AMD64]);
    expect(f.error).toBeUndefined();
    expect(f.root).toMatchObject({
      kind: "schema1",
      signed: true,
      digest: sha256(payload),
      contentType: MediaTypes.dockerSchema1Signed,
    });
    expect(f.http?.dockerContentDigest).toBe(sha256(payload));
    const byDigest = await client.inspect(`${REG}/rc/schema1@${sha256(payload)}`, [AMD64]);
    expect(byDigest.error).toBeUndefined();
    expect(byDigest.root?.digest).toBe(sha256(payload));
  });

  it("by digest, and name:tag@digest (the digest wins)", async () => {
    const a = await client.inspect(`${REG}/rc/oci@${oci.manifest.digest}`, [AMD64]);
    expect(a.root?.digest).toBe(oci.manifest.digest);
    const b = await client.inspect(`${REG}/rc/oci:does-not-exist@${oci.manifest.digest}`, [AMD64]);
    expect(b.error).toBeUndefined();
    expect(b.reference).toMatchObject({ tag: "does-not-exist", digest: oci.manifest.digest });
    expect(b.reference.normalized).toBe(`${REG}/rc/oci@${oci.manifest.digest}`);
  });

  it("not found: unknown tag, unknown repository, unknown digest", async () => {
    for (const r of [
      `${REG}/rc/oci:nope`,
      `${REG}/rc/never-pushed:v1`,
      `${REG}/rc/oci@sha256:${"0".repeat(64)}`,
    ]) {
      const f = await client.inspect(r, [AMD64]);
      expect(f.error?.kind, r).toBe("not-found");
      expect(f.error?.status, r).toBe(404);
    }
  });
});

describe("caching, dedupe, concurrency", () => {
  it("reuses by-digest content within a run and shares identical requests in flight", async () => {
    const c = new RegistryClient({ insecureRegistries: [REG] });
    const first = await Promise.all(
      Array.from({ length: 5 }, () => c.inspect(`${REG}/rc/index:v1`, [AMD64, ARM64])),
    );
    // One GET for the tag, one per child, shared by the five parallel calls.
    expect(c.stats().byKind).toEqual({ manifest: 3 });
    for (const f of first) expect(Object.keys(f.children)).toHaveLength(2);
    await c.inspect(`${REG}/rc/index:v1`, [AMD64, ARM64]);
    // The tag is fetched again (tags move); the children come from the cache.
    expect(c.stats().byKind).toEqual({ manifest: 4 });
    await c.inspect(`${REG}/rc/docker:v1`, [AMD64]);
    await c.inspect(`${REG}/rc/docker@${docker.manifest.digest}`, [AMD64]);
    expect(c.stats()).toEqual({ requests: 6, byKind: { manifest: 5, blob: 1 } });
    await c.close();
  });

  it("the on-disk cache serves by-digest manifests and configs to the next run", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "kra-regcache-"));
    const ref = `${REG}/rc/docker@${docker.manifest.digest}`;
    const a = new RegistryClient({ insecureRegistries: [REG], cacheDir });
    const fa = await a.inspect(ref, [AMD64]);
    expect(a.stats().requests).toBe(2);
    await a.close();
    const events: string[] = [];
    const b = new RegistryClient({
      insecureRegistries: [REG],
      cacheDir,
      onRequest: (e) => events.push(`${e.method} ${e.status}`),
    });
    const fb = await b.inspect(ref, [AMD64]);
    // Only a HEAD confirming the repository has the digest; the bytes (manifest and config) come from disk.
    expect(events).toEqual(["HEAD 200"]);
    expect(fb.root).toEqual(fa.root);
    await b.inspect(ref, [AMD64]);
    expect(events).toHaveLength(1);
    await b.close();
  });

  it("cached content for repository A is not reused for B@same-digest unless B has it", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "kra-regcache-"));
    const digest = docker.manifest.digest;
    const a = new RegistryClient({ insecureRegistries: [REG], cacheDir });
    expect((await a.inspect(`${REG}/rc/docker@${digest}`, [AMD64])).error).toBeUndefined();
    await a.close();
    // The same manifest pushed to another repository (blobs copied first): present there legitimately.
    for (const blob of [docker.layer.digest, docker.config.digest]) {
      const res = await fetch(`http://${REG}/v2/rc/docker/blobs/${blob}`);
      await pushBlob(REG, "rc/docker-copy", new Uint8Array(await res.arrayBuffer()));
    }
    const copy = await pushManifest(
      REG,
      "rc/docker-copy",
      "v1",
      MediaTypes.dockerManifest,
      docker.manifest.body,
    );
    expect(copy.digest).toBe(digest);
    const events: string[] = [];
    const b = new RegistryClient({
      insecureRegistries: [REG],
      cacheDir,
      onRequest: (e) => events.push(`${e.method} ${e.status} ${new URL(e.url).pathname}`),
    });
    const [missingRepo, otherRepo, copyRepo] = await Promise.all([
      b.inspect(`${REG}/rc/never-pushed@${digest}`, [AMD64]),
      b.inspect(`${REG}/rc/oci@${digest}`, [AMD64]),
      b.inspect(`${REG}/rc/docker-copy@${digest}`, [AMD64]),
    ]);
    await b.close();
    expect(missingRepo.root).toBeUndefined();
    expect(missingRepo.error?.kind).toBe("not-found");
    expect(missingRepo.error?.message).toContain("rc/never-pushed");
    expect(otherRepo.root).toBeUndefined();
    expect(otherRepo.error?.kind).toBe("not-found");
    expect(copyRepo.error).toBeUndefined();
    expect(copyRepo.root?.digest).toBe(digest);
    expect(events.sort()).toEqual([
      `HEAD 200 /v2/rc/docker-copy/manifests/${digest}`,
      `HEAD 404 /v2/rc/never-pushed/manifests/${digest}`,
      `HEAD 404 /v2/rc/oci/manifests/${digest}`,
    ]);
  });

  it("keeps at most concurrencyPerRegistry requests in flight", async () => {
    const proxy = await new FaultProxy({ upstream: REG }).start();
    const repos = Array.from({ length: 6 }, (_, i) => `rc/many${i}`);
    for (const r of repos) await pushTinyImage(REG, r, { format: "oci", tag: "v1", salt: r });
    const events: string[] = [];
    const c = new RegistryClient({
      insecureRegistries: [proxy.address],
      concurrencyPerRegistry: 2,
      onRequest: (e) => events.push(`${e.method} ${e.status} ${e.url}`),
    });
    const all = await Promise.all(repos.map((r) => c.inspect(`${proxy.address}/${r}:v1`, [AMD64])));
    await c.close();
    await proxy.close();
    for (const f of all) expect(f.error).toBeUndefined();
    expect(proxy.maxInFlight).toBe(2);
    expect(events).toHaveLength(12);
    expect(events.every((e) => e.startsWith("GET 200 http://127.0.0.1:"))).toBe(true);
  });
});
