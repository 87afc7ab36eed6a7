/** judgeImage: table shape, verdict precedence, unknown reasons, suppression; the capability matrix. */
import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../src/core/image.js";
import { MediaTypes as MT } from "../../../../src/core/image.js";
import { platformMatchStyle } from "../../../../src/core/platform.js";
import { makeTarget, parseRuntimeTargets } from "../../../../src/core/target.js";
import { parseVersion } from "../../../../src/core/version.js";
import {
  capabilitiesFor,
  checkRuntimeSupported,
  RUNTIME_CAPABILITIES,
} from "../../../../src/rules/data/runtime-capabilities.js";
import { judgeImage } from "../../../../src/rules/image/index.js";
import {
  dockerManifest,
  index,
  LINUX_AMD64,
  ociManifest,
  ref,
  schema1,
  single,
  withChildren,
} from "./fixtures.js";

describe("judgeImage", () => {
  it("returns one verdict per runtime × platform, in order", () => {
    const report = judgeImage(
      single(ociManifest({ configPlatform: LINUX_AMD64 })),
      makeTarget({ runtimes: "containerd@2.1,cri-o@1.34", platforms: "linux/amd64,linux/arm64" }),
    );
    expect(report.verdicts.map((v) => `${v.runtime} ${v.platform}`)).toEqual([
      "containerd@2.1 linux/amd64",
      "containerd@2.1 linux/arm64",
      "cri-o@1.34 linux/amd64",
      "cri-o@1.34 linux/arm64",
    ]);
    expect(report.reference).toBe("127.0.0.1:5000/test/image:latest");
    expect(report.mediaType).toBe(MT.ociManifest);
    expect(report.digest).toMatch(/^sha256:/);
  });

  it("incompatible beats unknown beats warning", () => {
    // short name (warning) + a child that was not fetched (unknown) -> unknown
    const root = index(MT.ociIndex, [{ platform: LINUX_AMD64 }]);
    const facts: ImageFacts = { reference: ref("nginx:1", true), root, children: {}, childErrors: {} };
    const v = judgeImage(
      facts,
      makeTarget({ runtimes: "cri-o@1.34", platforms: "linux/amd64,linux/s390x" }),
    ).verdicts;
    expect(v[0]?.verdict).toBe("unknown");
    expect(v[0]?.reason).toMatch(/not fetched/);
    expect(v[0]?.findings.map((f) => f.ruleId)).toEqual(["I008"]);
    // s390x: no entry -> incompatible despite the unknown child for amd64
    expect(v[1]?.verdict).toBe("incompatible");
  });

  it("unknown carries the registry reason and no invented findings", () => {
    const facts: ImageFacts = {
      reference: ref(),
      children: {},
      childErrors: {},
      error: { kind: "rate-limit", message: "429 Too Many Requests after 5 attempts", status: 429 },
    };
    const v = judgeImage(facts, makeTarget({ runtimes: "containerd@2.1", platforms: "linux/amd64" }))
      .verdicts[0];
    expect(v).toMatchObject({ verdict: "unknown", findings: [] });
    expect(v?.reason).toMatch(/rate limit: 429/);
  });

  it("a child fetch error is unknown for the platforms that need it only", () => {
    const root = index(MT.dockerList, [
      { platform: LINUX_AMD64 },
      { platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    ]);
    const facts = withChildren(root, [dockerManifest()]);
    const arm = root.manifests?.[1]?.digest ?? "";
    facts.childErrors[arm] = { kind: "auth", message: "401 unauthorized", status: 401 };
    const v = judgeImage(
      facts,
      makeTarget({ runtimes: "containerd@2.1", platforms: "linux/amd64,linux/arm64" }),
    ).verdicts;
    expect(v.map((x) => x.verdict)).toEqual(["compatible", "unknown"]);
    expect(v[1]?.reason).toMatch(/authentication/);
  });

  it("suppressed findings are kept but do not decide the verdict", () => {
    const v = judgeImage(
      single(schema1(true)),
      makeTarget({ runtimes: "containerd@2.1", platforms: "linux/amd64" }),
      {
        ignore: new Set(["schema1-manifest"]),
      },
    ).verdicts[0];
    expect(v?.verdict).toBe("compatible");
    expect(v?.findings[0]).toMatchObject({ ruleId: "I001", suppressed: true });
  });

  it("findings carry runtime, platform, stage evidence and docs", () => {
    const f = judgeImage(
      single(schema1(true)),
      makeTarget({ runtimes: "containerd@2.0", platforms: "linux/amd64" }),
    ).verdicts[0]?.findings[0];
    expect(f).toMatchObject({
      runtime: "containerd@2.0",
      platform: "linux/amd64",
      origin: {},
      evidence: { stage: "pull" },
    });
  });

  it("a runtime outside the matrix is unknown with the matrix error", () => {
    const v = judgeImage(
      single(dockerManifest()),
      makeTarget({ runtimes: "containerd@1.5", platforms: "linux/amd64" }),
    ).verdicts[0];
    expect(v?.verdict).toBe("unknown");
    expect(v?.reason).toMatch(/not covered/);
  });
});

describe("runtime capability matrix", () => {
  it.each([
    ["containerd@1.6", "containerd 1.6"],
    ["containerd@1.7.28", "containerd 1.7"],
    ["containerd@2.0", "containerd 2.0"],
    ["containerd@2.1", "containerd 2.1"],
    ["containerd@2.3", "containerd 2.2+"],
    ["cri-o@1.24", "CRI-O 1.24 (containers/image 5.17.0)"],
    ["cri-o@1.26.4", "CRI-O 1.26 (containers/image 5.24.2)"],
    ["cri-o@1.37", "CRI-O 1.36+ (containers/image 5.38.0)"],
    ["cri-dockerd@0.3", "cri-dockerd (Docker Engine version not given: judged as a current engine, 28.2+)"],
    ["docker@27.3.1", "Docker Engine 26.0–28.1"],
  ])("%s -> %s", (label, row) => {
    const rt = parseRuntimeTargets(label)[0]!;
    expect(capabilitiesFor(rt)?.label).toBe(row);
    expect(checkRuntimeSupported(rt)).toBeUndefined();
  });

  it.each([
    ["containerd@1.5"],
    ["containerd@3.0"],
    ["cri-o@1.23"],
    ["cri-o@2.0"],
    ["cri-dockerd@0.1"],
    ["docker@19.03"],
  ])("%s is rejected with a clear error", (label) => {
    const rt = parseRuntimeTargets(label)[0]!;
    const msg = checkRuntimeSupported(rt);
    expect(msg?.startsWith(`${rt.label}: `)).toBe(true);
    expect(msg).toMatch(/is not covered by the image compatibility matrix; covered versions: \d/);
  });

  it("rows do not overlap and every row has a source URL", () => {
    for (const row of RUNTIME_CAPABILITIES) {
      expect(row.source).toMatch(/^https:\/\//);
      const others = RUNTIME_CAPABILITIES.filter((r) => r !== row && r.runtime === row.runtime);
      const from = parseVersion(row.from)!;
      for (const o of others) expect(capabilitiesFor({ name: o.runtime, version: from })).toBe(row);
    }
  });

  it("every CRI-O minor 1.24-1.36 has its containers/image version", () => {
    for (let m = 24; m <= 36; m++) {
      const row = capabilitiesFor({ name: "cri-o", version: { major: 1, minor: m } });
      expect(row?.imageLibrary).toMatch(/image\/v5 v5\.\d+/);
    }
  });

  it("the platform style column agrees with core/platform", () => {
    for (const row of RUNTIME_CAPABILITIES) {
      expect(row.platformMatch).toBe(platformMatchStyle(row.runtime, parseVersion(row.from)!));
    }
  });

  it("manifest caps are the two different constants", () => {
    expect(capabilitiesFor({ name: "containerd", version: { major: 1, minor: 6 } })?.manifestLimit).toEqual({
      bytes: 4_393_216,
      scope: "top-level",
    });
    expect(capabilitiesFor({ name: "cri-o", version: { major: 1, minor: 30 } })?.manifestLimit).toEqual({
      bytes: 4_194_304,
      scope: "every-manifest-and-config",
    });
  });
});
