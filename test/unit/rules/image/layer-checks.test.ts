/** I012 nested-index, I013 layer-compression-mismatch and I005's URL probes, per runtime. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../src/core/image.js";
import { makeTarget } from "../../../../src/core/target.js";
import { sniffLayer } from "../../../../src/registry/manifest.js";
import { expectedPull, judgeImage } from "../../../../src/rules/image/index.js";
import { desc, index, LINUX_AMD64, ociManifest, single, withChildren } from "./fixtures.js";

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const TAR = "application/vnd.oci.image.layer.v1.tar";
const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const NONDIST = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

function summary(facts: ImageFacts, runtimes: string): Record<string, string> {
  const t = makeTarget({ runtimes, platforms: "linux/amd64", k8s: "1.33" });
  const out: Record<string, string> = {};
  for (const v of judgeImage(facts, t).verdicts) {
    const rules = [...new Set(v.findings.map((f) => f.ruleId))].sort().join(",");
    out[v.runtime] = `${v.verdict}/${expectedPull(v)}${rules ? ` ${rules}` : ""}`;
  }
  return out;
}

describe("sniffLayer", () => {
  it("tells gzip, zstd, xz, bzip2 and a ustar header apart", () => {
    const tar = Buffer.alloc(512);
    tar.write("ustar\0", 257, "latin1");
    expect(sniffLayer(gzipSync(Buffer.from("x")))).toBe("gzip");
    expect(sniffLayer(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe("zstd");
    expect(sniffLayer(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]))).toBe("xz");
    expect(sniffLayer(Buffer.from("BZh91AY"))).toBe("bzip2");
    expect(sniffLayer(tar)).toBe("tar");
    expect(sniffLayer(Buffer.from("hello"))).toBe("other");
  });
});

describe("I013 layer-compression-mismatch", () => {
  const withBytes = (type: string, magic: "gzip" | "zstd" | "tar") => {
    const layer = desc(type);
    const f = single(ociManifest({ layers: [layer], configPlatform: LINUX_AMD64 }));
    f.layerMagic = { [layer.digest]: magic };
    return f;
  };
  it("gzip bytes declared uncompressed fail containerd's unpack; containers/image sniffs them", () => {
    expect(summary(withBytes(TAR, "gzip"), "containerd@1.7,containerd@2.1,cri-o@1.32")).toEqual({
      "containerd@1.7": "incompatible/fails I013",
      "containerd@2.1": "incompatible/fails I013",
      "cri-o@1.32": "compatible/succeeds",
    });
  });
  it("zstd or plain-tar bytes declared gzip pull everywhere (both decompressors sniff)", () => {
    for (const magic of ["zstd", "tar"] as const)
      expect(summary(withBytes(GZIP, magic), "containerd@1.6,containerd@2.1,cri-o@1.36")).toEqual({
        "containerd@1.6": "compatible/succeeds",
        "containerd@2.1": "compatible/succeeds",
        "cri-o@1.36": "compatible/succeeds",
      });
  });
  it("says nothing when the bytes were not read", () => {
    const f = single(ociManifest({ layers: [desc(TAR)], configPlatform: LINUX_AMD64 }));
    expect(summary(f, "containerd@2.1")).toEqual({ "containerd@2.1": "compatible/succeeds" });
  });
});

describe("I012 nested-index", () => {
  it("containerd judges the inner manifest; containers/image refuses the nested index", () => {
    const inner = index(OCI_INDEX, [{ platform: LINUX_AMD64 }]);
    const root = index(OCI_INDEX, [{ platform: LINUX_AMD64, mediaType: OCI_INDEX }]);
    const facts = withChildren(root, [inner]);
    const leaf = ociManifest({ layers: [desc(GZIP)] });
    const innerDigest = facts.children[root.manifests?.[0]?.digest ?? ""]?.manifests?.[0]?.digest ?? "";
    facts.children[innerDigest] = { ...leaf, digest: innerDigest };
    expect(summary(facts, "containerd@2.1,cri-o@1.26,cri-o@1.36")).toEqual({
      "containerd@2.1": "compatible/succeeds",
      "cri-o@1.26": "incompatible/fails I012",
      "cri-o@1.36": "incompatible/fails I012",
    });
  });
});

describe("I005 with probed layer URLs", () => {
  const foreign = (status: NonNullable<ImageFacts["layerUrls"]>[string]) => {
    const url = "https://cdn.example.com/blob";
    const f = single(
      ociManifest({ layers: [desc(NONDIST, 100, { urls: [url] }), desc(GZIP)], configPlatform: LINUX_AMD64 }),
    );
    f.layerUrls = { [url]: status };
    return f;
  };
  it("every URL answering 404 fails containers/image; containerd goes to the registry", () => {
    expect(
      summary(
        foreign({ ok: false, notFound: true, error: "HTTP 404" }),
        "containerd@2.1,cri-o@1.26,cri-o@1.36",
      ),
    ).toEqual({
      "containerd@2.1": "compatible/succeeds",
      "cri-o@1.26": "incompatible/fails I005",
      "cri-o@1.36": "incompatible/fails I005",
    });
  });
  it("an unreachable URL is a node-network warning, except on containers/image < 5.30, which falls back", () => {
    const f = foreign({ ok: false, notFound: false, error: "connection failed (ECONNREFUSED)" });
    const t = makeTarget({ runtimes: "containerd@1.7,cri-o@1.26,cri-o@1.32", platforms: "linux/amd64" });
    const byRt = Object.fromEntries(judgeImage(f, t).verdicts.map((v) => [v.runtime, v]));
    expect(byRt["containerd@1.7"]?.findings[0]?.message).toMatch(/network access to those hosts/);
    expect(byRt["cri-o@1.32"]?.findings[0]?.message).toMatch(/network access to those hosts/);
    expect(byRt["cri-o@1.26"]?.findings[0]?.message).toMatch(/fetches the blob from the registry instead/);
    for (const v of Object.values(byRt)) expect(v.verdict).toBe("warning");
  });
});

describe("Docker Engine 28.2+ (measured on 28.5.2)", () => {
  const DOCKER = "cri-dockerd@28.2";
  it("encrypted layers and non-OCI/Docker layer types fail the pull", () => {
    const enc = single(ociManifest({ layers: [desc(`${GZIP}+encrypted`)], configPlatform: LINUX_AMD64 }));
    const custom = single(
      ociManifest({
        layers: [desc("application/vnd.example.custom.layer.v1.tar+gzip")],
        configPlatform: LINUX_AMD64,
      }),
    );
    expect(summary(enc, DOCKER)).toEqual({ [DOCKER]: "incompatible/fails I004" });
    expect(summary(custom, DOCKER)).toEqual({ [DOCKER]: "incompatible/fails I004" });
  });
  it("a single windows manifest fails the pull on linux (the config OS is checked)", () => {
    const win = single(
      ociManifest({ layers: [desc(GZIP)], configPlatform: { os: "windows", architecture: "amd64" } }),
    );
    expect(summary(win, DOCKER)).toEqual({ [DOCKER]: "incompatible/fails I002" });
  });
  it("foreign-layer URLs are ignored: the blob must be in the registry", () => {
    const url = "https://cdn.example.com/blob";
    const layer = desc(NONDIST, 100, { urls: [url] });
    const f = single(ociManifest({ layers: [layer, desc(GZIP)], configPlatform: LINUX_AMD64 }));
    f.layerUrls = { [url]: { ok: false, notFound: false, error: "connection failed" } };
    f.layerMagic = { [layer.digest]: "gzip" };
    expect(summary(f, DOCKER)).toEqual({ [DOCKER]: "compatible/succeeds" });
    f.layerMagic = { [layer.digest]: "missing" };
    expect(summary(f, DOCKER)).toEqual({ [DOCKER]: "incompatible/fails I005" });
  });
});
