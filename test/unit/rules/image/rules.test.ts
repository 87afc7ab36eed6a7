/** Firing and non-firing cases for I002–I011, with per-runtime verdict tables. */
import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../src/core/image.js";
import { MediaTypes as MT } from "../../../../src/core/image.js";
import type { ImageVerdict } from "../../../../src/core/report.js";
import { makeTarget } from "../../../../src/core/target.js";
import {
  CIMAGE_MAX_MANIFEST,
  CONTAINERD_MAX_MANIFEST,
} from "../../../../src/rules/data/runtime-capabilities.js";
import { expectedPull, judgeImage } from "../../../../src/rules/image/index.js";
import {
  desc,
  dockerManifest,
  index,
  LINUX_AMD64,
  LINUX_ARM64_V8,
  ociManifest,
  ref,
  single,
  withChildren,
} from "./fixtures.js";

function cells(facts: ImageFacts, runtimes: string, platforms = "linux/amd64"): Record<string, ImageVerdict> {
  const report = judgeImage(facts, makeTarget({ runtimes, platforms }));
  return Object.fromEntries(report.verdicts.map((v) => [`${v.runtime} ${v.platform}`, v]));
}
function summary(facts: ImageFacts, runtimes: string, platforms = "linux/amd64"): Record<string, string> {
  return Object.fromEntries(
    Object.entries(cells(facts, runtimes, platforms)).map(([k, v]) => [
      k,
      `${v.verdict}/${expectedPull(v)}${v.findings.length ? ` ${[...new Set(v.findings.map((f) => f.ruleId))].join(",")}` : ""}`,
    ]),
  );
}

describe("I002 platform-missing", () => {
  const amdArm = () =>
    withChildren(index(MT.ociIndex, [{ platform: LINUX_AMD64 }, { platform: LINUX_ARM64_V8 }]), [
      ociManifest(),
      ociManifest(),
    ]);

  it("does not fire when the index has the platform", () => {
    expect(summary(amdArm(), "containerd@2.1,cri-o@1.34", "linux/amd64,linux/arm64")).toEqual({
      "containerd@2.1 linux/amd64": "compatible/succeeds",
      "containerd@2.1 linux/arm64": "compatible/succeeds",
      "cri-o@1.34 linux/amd64": "compatible/succeeds",
      "cri-o@1.34 linux/arm64": "compatible/succeeds",
    });
  });

  it("fires per platform when one is missing", () => {
    const facts = withChildren(index(MT.ociIndex, [{ platform: LINUX_AMD64 }]), [ociManifest()]);
    const s = summary(facts, "containerd@1.7,cri-o@1.34", "linux/amd64,linux/arm64");
    expect(s["containerd@1.7 linux/amd64"]).toBe("compatible/succeeds");
    expect(s["containerd@1.7 linux/arm64"]).toBe("incompatible/fails I002");
    expect(s["cri-o@1.34 linux/arm64"]).toBe("incompatible/fails I002");
    const v = cells(facts, "cri-o@1.34", "linux/arm64")["cri-o@1.34 linux/arm64"];
    expect(v?.findings[0]?.message).toMatch(/no image found in manifest list for architecture arm64/);
    expect(v?.findings[0]?.platform).toBe("linux/arm64");
  });

  it("arm/v7-only index on arm64: containerd 1.x warns (32-bit fallback), 2.1+ and CRI-O fail", () => {
    const facts = withChildren(
      index(MT.ociIndex, [{ platform: { os: "linux", architecture: "arm", variant: "v7" } }]),
      [ociManifest()],
    );
    expect(summary(facts, "containerd@1.7,containerd@2.1,cri-o@1.34", "linux/arm64")).toEqual({
      "containerd@1.7 linux/arm64": "warning/succeeds I002",
      "containerd@2.1 linux/arm64": "incompatible/fails I002",
      "cri-o@1.34 linux/arm64": "incompatible/fails I002",
    });
    const msg = cells(facts, "containerd@2.1", "linux/arm64")["containerd@2.1 linux/arm64"]?.findings[0]
      ?.message;
    expect(msg).toMatch(/transfer service/);
  });

  it("entry without a platform: containerd fails the pull when its config is for another platform", () => {
    // images.Manifest walks a platform-less entry only when its config matches Only(node): measured on
    // containerd 1.6.20 / 1.7.24 / 2.1.9 for linux/arm64 (crafted index-no-platform)
    const facts = withChildren(index(MT.ociIndex, [{}]), [ociManifest({ configPlatform: LINUX_AMD64 })]);
    const s = summary(facts, "containerd@1.6,containerd@2.1,cri-o@1.34", "linux/amd64,linux/arm64");
    expect(s).toEqual({
      "containerd@1.6 linux/amd64": "compatible/succeeds",
      "containerd@1.6 linux/arm64": "incompatible/fails I002",
      "containerd@2.1 linux/amd64": "compatible/succeeds",
      "containerd@2.1 linux/arm64": "incompatible/fails I002",
      "cri-o@1.34 linux/amd64": "compatible/succeeds",
      "cri-o@1.34 linux/arm64": "incompatible/succeeds I002",
    });
    const msg = cells(facts, "containerd@1.6", "linux/arm64")["containerd@1.6 linux/arm64"]?.findings[0]
      ?.message;
    expect(msg).toMatch(/config says linux\/amd64.*no match for platform in manifest/);
  });

  it("non-canonical spellings: CRI-O fails where containerd normalises", () => {
    const facts = withChildren(
      index(MT.dockerList, [{ platform: { os: "linux", architecture: "x86_64" } }]),
      [dockerManifest()],
    );
    const s = summary(facts, "containerd@2.1,cri-o@1.34");
    expect(s["containerd@2.1 linux/amd64"]).toBe("compatible/succeeds");
    expect(s["cri-o@1.34 linux/amd64"]).toBe("incompatible/fails I002");
    expect(cells(facts, "cri-o@1.34")["cri-o@1.34 linux/amd64"]?.findings[0]?.message).toMatch(
      /non-canonical/,
    );
  });

  it("single manifest built for arm64 on an amd64 node: pulls, fails at start", () => {
    const facts = single(ociManifest({ configPlatform: LINUX_ARM64_V8 }));
    expect(summary(facts, "containerd@2.1,cri-o@1.34", "linux/amd64,linux/arm64")).toEqual({
      "containerd@2.1 linux/amd64": "incompatible/succeeds I002",
      "containerd@2.1 linux/arm64": "compatible/succeeds",
      "cri-o@1.34 linux/amd64": "incompatible/succeeds I002",
      "cri-o@1.34 linux/arm64": "compatible/succeeds",
    });
    expect(cells(facts, "containerd@2.1")["containerd@2.1 linux/amd64"]?.findings[0]?.message).toMatch(
      /exec format error/,
    );
  });

  it("single manifest whose config was not fetched: compatible, and the reason says so", () => {
    const v = cells(single(ociManifest()), "containerd@2.1")["containerd@2.1 linux/amd64"];
    expect(v?.verdict).toBe("compatible");
    expect(v?.reason).toMatch(/config not fetched/);
  });

  it("CRI-O has no Windows", () => {
    const facts = withChildren(
      index(MT.dockerList, [{ platform: { os: "windows", architecture: "amd64" } }]),
      [dockerManifest()],
    );
    const s = summary(facts, "containerd@1.7,cri-o@1.34", "windows/amd64");
    expect(s["containerd@1.7 windows/amd64"]).toBe("compatible/succeeds");
    expect(s["cri-o@1.34 windows/amd64"]).toBe("incompatible/fails I002");
  });
});

describe("I003 image-not-found", () => {
  const missing: ImageFacts = {
    reference: ref(),
    children: {},
    childErrors: {},
    error: { kind: "not-found", message: "MANIFEST_UNKNOWN: manifest unknown", status: 404 },
  };
  it("is incompatible on every runtime", () => {
    const s = summary(missing, "containerd@1.6,containerd@2.2,cri-o@1.26,cri-o@1.36,cri-dockerd@0.4");
    for (const v of Object.values(s)) expect(v).toBe("incompatible/fails I003");
  });
  it("fires for a missing child manifest", () => {
    const root = index(MT.ociIndex, [{ platform: LINUX_AMD64 }]);
    const d = root.manifests?.[0]?.digest ?? "";
    const facts: ImageFacts = {
      reference: ref(),
      root,
      children: {},
      childErrors: { [d]: { kind: "not-found", message: "404", status: 404, digest: d } },
    };
    expect(summary(facts, "cri-o@1.34")["cri-o@1.34 linux/amd64"]).toBe("incompatible/fails I003");
  });
  it("does not fire on other errors: those are unknown, with a reason", () => {
    for (const kind of ["auth", "network", "rate-limit", "timeout", "server"] as const) {
      const facts: ImageFacts = {
        reference: ref(),
        children: {},
        childErrors: {},
        error: { kind, message: "x" },
      };
      const v = cells(facts, "containerd@2.1")["containerd@2.1 linux/amd64"];
      expect(v?.verdict).toBe("unknown");
      expect(v?.reason).toBeTruthy();
      expect(v?.findings).toEqual([]);
    }
  });
});

describe("I004 unsupported-layer-media-type", () => {
  it("Docker-typed zstd in a v2s2 manifest", () => {
    const facts = single(dockerManifest({ layers: [desc(MT.dockerLayerZstd)], configPlatform: LINUX_AMD64 }));
    expect(summary(facts, "containerd@1.7,containerd@2.0,cri-o@1.34,cri-o@1.35")).toEqual({
      "containerd@1.7 linux/amd64": "incompatible/fails I004",
      "containerd@2.0 linux/amd64": "compatible/succeeds",
      "cri-o@1.34 linux/amd64": "incompatible/fails I004",
      "cri-o@1.35 linux/amd64": "compatible/succeeds",
    });
  });
  it("Docker-typed zstd in an OCI manifest: c/image does not check OCI layer types", () => {
    const facts = single(ociManifest({ layers: [desc(MT.dockerLayerZstd)], configPlatform: LINUX_AMD64 }));
    expect(summary(facts, "containerd@1.7,cri-o@1.34")).toEqual({
      "containerd@1.7 linux/amd64": "incompatible/fails I004",
      "cri-o@1.34 linux/amd64": "compatible/succeeds",
    });
  });
  it("OCI zstd and gzip pull everywhere", () => {
    const facts = single(
      ociManifest({ layers: [desc(MT.ociLayerZstd), desc(MT.ociLayerGzip)], configPlatform: LINUX_AMD64 }),
    );
    for (const v of Object.values(summary(facts, "containerd@1.6,containerd@2.1,cri-o@1.24,cri-o@1.36"))) {
      expect(v).toBe("compatible/succeeds");
    }
  });
  it("encrypted layers warn on every runtime", () => {
    const facts = single(
      ociManifest({
        layers: [desc("application/vnd.oci.image.layer.v1.tar+gzip+encrypted")],
        configPlatform: LINUX_AMD64,
      }),
    );
    const c = cells(facts, "containerd@1.7,containerd@2.0,cri-o@1.34");
    expect(c["containerd@1.7 linux/amd64"]?.findings[0]?.message).toMatch(/ctd-decoder/);
    expect(c["containerd@2.0 linux/amd64"]?.findings[0]?.message).toMatch(/no longer passes decryption/);
    expect(c["cri-o@1.34 linux/amd64"]?.findings[0]?.message).toMatch(/decryption_keys_path/);
    for (const v of Object.values(c)) expect(v.verdict).toBe("warning");
  });
  it("unknown non-layer type in an image: containerd 1.7 fails, 2.1 pulls without a rootfs, CRI-O rejects it only in v2s2", () => {
    const oci = single(ociManifest({ layers: [desc("application/x-custom")], configPlatform: LINUX_AMD64 }));
    expect(summary(oci, "containerd@1.7,containerd@2.1,cri-o@1.34")).toEqual({
      "containerd@1.7 linux/amd64": "incompatible/fails I004",
      "containerd@2.1 linux/amd64": "incompatible/succeeds I004",
      "cri-o@1.34 linux/amd64": "warning/succeeds I004",
    });
    const v2 = single(
      dockerManifest({ layers: [desc("application/x-custom")], configPlatform: LINUX_AMD64 }),
    );
    expect(summary(v2, "cri-o@1.34")["cri-o@1.34 linux/amd64"]).toBe("incompatible/fails I004");
  });
});

describe("I005 foreign-or-nondistributable-layer", () => {
  const win = (urls: string[] | undefined) =>
    single(
      dockerManifest({
        layers: [desc(MT.dockerForeignGzip, 1000, urls ? { urls } : {}), desc(MT.dockerLayerGzip)],
        configPlatform: { os: "windows", architecture: "amd64" },
      }),
    );
  it("warns with each runtime's URL semantics", () => {
    const c = cells(
      win(["https://mcr.microsoft.com/v2/windows/blobs/sha256:1"]),
      "containerd@1.7",
      "windows/amd64",
    );
    const f = c["containerd@1.7 windows/amd64"]?.findings.find((x) => x.ruleId === "I005");
    expect(f?.message).toMatch(/falls back to the registry/);
    expect(f?.evidence?.urlHosts).toBe("mcr.microsoft.com");
    const o = cells(
      single(
        ociManifest({
          layers: [
            desc("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", 1, {
              urls: ["https://x.example/l"],
            }),
          ],
          configPlatform: LINUX_AMD64,
        }),
      ),
      "cri-o@1.34",
    );
    expect(o["cri-o@1.34 linux/amd64"]?.verdict).toBe("warning");
    expect(o["cri-o@1.34 linux/amd64"]?.findings[0]?.message).toMatch(/no registry fallback/);
  });
  it("does not fire without usable URLs or on plain layers", () => {
    expect(
      cells(win(undefined), "containerd@1.7", "windows/amd64")["containerd@1.7 windows/amd64"]?.verdict,
    ).toBe("compatible");
    expect(
      cells(single(dockerManifest({ configPlatform: LINUX_AMD64 })), "cri-o@1.34")["cri-o@1.34 linux/amd64"]
        ?.verdict,
    ).toBe("compatible");
  });
});

describe("I006 not-a-container-image", () => {
  const helm = () =>
    single(
      ociManifest({
        config: desc("application/vnd.cncf.helm.config.v1+json"),
        layers: [desc("application/vnd.cncf.helm.chart.content.v1.tar+gzip")],
      }),
      ref("ghcr.io/org/chart:1.0.0"),
    );
  it("per-runtime pull vs run stage (CRI-O <1.25 / 1.25-1.31 / 1.32 / >=1.33)", () => {
    expect(
      summary(
        helm(),
        "containerd@1.6,containerd@1.7,containerd@2.2,cri-o@1.24,cri-o@1.26,cri-o@1.31,cri-o@1.32,cri-o@1.33,cri-o@1.36",
      ),
    ).toEqual({
      "containerd@1.6 linux/amd64": "incompatible/fails I006",
      "containerd@1.7 linux/amd64": "incompatible/succeeds I006",
      "containerd@2.2 linux/amd64": "incompatible/succeeds I006",
      "cri-o@1.24 linux/amd64": "incompatible/succeeds I006",
      "cri-o@1.26 linux/amd64": "incompatible/fails I006",
      "cri-o@1.31 linux/amd64": "incompatible/fails I006",
      "cri-o@1.32 linux/amd64": "incompatible/fails I006",
      "cri-o@1.33 linux/amd64": "incompatible/succeeds I006",
      "cri-o@1.36 linux/amd64": "incompatible/succeeds I006",
    });
    const c = cells(helm(), "cri-o@1.32,cri-o@1.36");
    expect(c["cri-o@1.32 linux/amd64"]?.findings[0]?.message).toMatch(/before downloading/);
    expect(c["cri-o@1.36 linux/amd64"]?.findings[0]?.message).toMatch(/retries it as an OCI artifact/);
  });
  it("an artifact whose diff_ids match its layer-typed layers pulls on containerd, fails at start", () => {
    const facts = single(
      ociManifest({
        config: desc("application/vnd.wasm.config.v0+json"),
        layers: [desc(MT.ociLayer)],
        diffIdCount: 1,
      }),
    );
    expect(summary(facts, "containerd@1.7")["containerd@1.7 linux/amd64"]).toBe("incompatible/succeeds I006");
  });
  it("artifactType on a manifest with an image config is not an artifact (every puller runs it)", () => {
    const facts = single(
      ociManifest({ artifactType: "application/vnd.example.thing.v1", configPlatform: LINUX_AMD64 }),
    );
    expect(summary(facts, "containerd@2.1,cri-o@1.32,cri-o@1.36")).toEqual({
      "containerd@2.1 linux/amd64": "compatible/succeeds",
      "cri-o@1.32 linux/amd64": "compatible/succeeds",
      "cri-o@1.36 linux/amd64": "compatible/succeeds",
    });
  });
  it("CRI-O 1.33+ cannot fall back for short names", () => {
    const facts = helm();
    facts.reference = ref("chart:1.0.0", true);
    expect(summary(facts, "cri-o@1.36")["cri-o@1.36 linux/amd64"]).toBe("incompatible/fails I006,I008");
  });
  it("does not fire for Docker or OCI image configs", () => {
    for (const m of [
      dockerManifest({ configPlatform: LINUX_AMD64 }),
      ociManifest({ configPlatform: LINUX_AMD64 }),
    ]) {
      expect(summary(single(m), "containerd@1.6,cri-o@1.26")).toEqual({
        "containerd@1.6 linux/amd64": "compatible/succeeds",
        "cri-o@1.26 linux/amd64": "compatible/succeeds",
      });
    }
  });
});

describe("I007 mixed-media-types", () => {
  it("OCI manifest + Docker config: CRI-O wording follows its c/image", () => {
    const facts = single(ociManifest({ config: desc(MT.dockerConfig), configPlatform: LINUX_AMD64 }));
    const c = cells(facts, "containerd@2.1,cri-o@1.24,cri-o@1.26,cri-o@1.27");
    expect(c["containerd@2.1 linux/amd64"]?.verdict).toBe("compatible");
    expect(c["cri-o@1.24 linux/amd64"]?.verdict).toBe("compatible");
    expect(c["cri-o@1.26 linux/amd64"]?.findings[0]?.message).toMatch(
      /unsupported image-specific operation on artifact/,
    );
    expect(c["cri-o@1.27 linux/amd64"]?.findings[0]?.message).toMatch(
      /invalid mixed OCI image with Docker v2s2 config/,
    );
  });
  it("Docker v2s2 without its mediaType field: CRI-O rejects, containerd pulls", () => {
    const facts = single(dockerManifest({ mediaType: undefined, configPlatform: LINUX_AMD64 }));
    facts.root && delete facts.root.mediaType;
    expect(summary(facts, "containerd@1.6,cri-o@1.34")).toEqual({
      "containerd@1.6 linux/amd64": "compatible/succeeds",
      "cri-o@1.34 linux/amd64": "incompatible/fails I007",
    });
  });
  it("ambiguous manifest with both layers and manifests: everyone rejects", () => {
    const facts = single(ociManifest({ extraFields: ["manifests"], configPlatform: LINUX_AMD64 }));
    expect(summary(facts, "containerd@1.6,cri-o@1.34")).toEqual({
      "containerd@1.6 linux/amd64": "incompatible/fails I007",
      "cri-o@1.34 linux/amd64": "incompatible/fails I007",
    });
  });
  it("CRI-O 1.33+ mentions the artifact retry", () => {
    const facts = single(dockerManifest({ layers: [desc(MT.ociLayerGzip)], configPlatform: LINUX_AMD64 }));
    expect(cells(facts, "cri-o@1.34")["cri-o@1.34 linux/amd64"]?.findings[0]?.message).toMatch(
      /retries the reference as an OCI artifact/,
    );
  });
});

describe("I008 short-name", () => {
  it("warns on containerd and CRI-O, differently; silent on cri-dockerd", () => {
    const facts = single(dockerManifest({ configPlatform: LINUX_AMD64 }), ref("nginx:1.27", true));
    const c = cells(facts, "containerd@2.1,cri-o@1.33,cri-o@1.34,cri-dockerd@0.4");
    expect(c["containerd@2.1 linux/amd64"]?.findings[0]?.message).toMatch(/docker\.io\/library\/nginx:1\.27/);
    expect(c["cri-o@1.33 linux/amd64"]?.findings[0]?.message).toMatch(/unqualified-search-registries/);
    expect(c["cri-o@1.34 linux/amd64"]?.findings[0]?.message).toMatch(/short_name_mode "enforcing"/);
    expect(c["cri-dockerd@0.4 linux/amd64"]?.verdict).toBe("compatible");
    for (const k of ["containerd@2.1 linux/amd64", "cri-o@1.33 linux/amd64", "cri-o@1.34 linux/amd64"])
      expect(c[k]?.verdict).toBe("warning");
  });
  it("does not fire on qualified names", () => {
    const facts = single(
      dockerManifest({ configPlatform: LINUX_AMD64 }),
      ref("docker.io/library/nginx:1.27"),
    );
    expect(cells(facts, "cri-o@1.34")["cri-o@1.34 linux/amd64"]?.verdict).toBe("compatible");
  });
});

describe("I009 manifest-too-large", () => {
  it("between the two caps: CRI-O fails, containerd pulls", () => {
    const facts = single(ociManifest({ size: CIMAGE_MAX_MANIFEST + 1, configPlatform: LINUX_AMD64 }));
    expect(summary(facts, "containerd@2.1,cri-o@1.34")).toEqual({
      "containerd@2.1 linux/amd64": "compatible/succeeds",
      "cri-o@1.34 linux/amd64": "incompatible/fails I009",
    });
  });
  it("over containerd's 4,393,216-byte cap: both fail", () => {
    const facts = single(ociManifest({ size: CONTAINERD_MAX_MANIFEST + 1, configPlatform: LINUX_AMD64 }));
    expect(summary(facts, "containerd@1.6,cri-o@1.26")).toEqual({
      "containerd@1.6 linux/amd64": "incompatible/fails I009",
      "cri-o@1.26 linux/amd64": "incompatible/fails I009",
    });
  });
  it("children and configs are capped only by CRI-O", () => {
    const child = ociManifest({ size: CONTAINERD_MAX_MANIFEST + 10 });
    const facts = withChildren(index(MT.ociIndex, [{ platform: LINUX_AMD64 }]), [child]);
    expect(summary(facts, "containerd@1.6,cri-o@1.26")).toEqual({
      "containerd@1.6 linux/amd64": "compatible/succeeds",
      "cri-o@1.26 linux/amd64": "incompatible/fails I009",
    });
    const bigConfig = single(
      ociManifest({ config: desc(MT.ociConfig, CIMAGE_MAX_MANIFEST + 1), configPlatform: LINUX_AMD64 }),
    );
    expect(summary(bigConfig, "containerd@1.6,cri-o@1.26")["cri-o@1.26 linux/amd64"]).toBe(
      "incompatible/fails I009",
    );
  });
  it("exactly at the cap is fine", () => {
    const facts = single(ociManifest({ size: CIMAGE_MAX_MANIFEST, configPlatform: LINUX_AMD64 }));
    expect(summary(facts, "cri-o@1.34")["cri-o@1.34 linux/amd64"]).toBe("compatible/succeeds");
  });
});

describe("I010 bad-content-type", () => {
  function served(ct: string | undefined) {
    const m = dockerManifest({ configPlatform: LINUX_AMD64 });
    if (ct === undefined) delete m.contentType;
    else m.contentType = ct;
    const facts = single(m);
    if (facts.http) {
      if (ct === undefined) delete facts.http.contentType;
      else facts.http.contentType = ct;
    }
    return facts;
  }
  it.each([["application/json"], ["application/octet-stream"], [undefined]])(
    "v2 body served as %s fails everywhere",
    (ct) => {
      const s = summary(served(ct), "containerd@1.7,containerd@2.1,cri-o@1.34");
      for (const v of Object.values(s)) expect(v).toBe("incompatible/fails I010");
      const c = cells(served(ct), "containerd@1.7,cri-o@1.34");
      expect(c["containerd@1.7 linux/amd64"]?.findings[0]?.message).toMatch(/unexpected media type/);
      expect(c["cri-o@1.34 linux/amd64"]?.findings[0]?.message).toMatch(/unsupported schema version 2/);
    },
  );
  it("text/plain v2 body: containerd's schema 1 special case, c/image's schema 1 fallback", () => {
    const c = cells(served("text/plain"), "containerd@1.7,cri-o@1.34");
    expect(c["containerd@1.7 linux/amd64"]?.findings[0]?.message).toMatch(/reads text\/plain as a schema 1/);
    expect(c["cri-o@1.34 linux/amd64"]?.verdict).toBe("incompatible");
  });
  it("content type parameters are ignored; correct types do not fire", () => {
    expect(summary(served(`${MT.dockerManifest}; charset=utf-8`), "containerd@1.7,cri-o@1.34")).toEqual({
      "containerd@1.7 linux/amd64": "compatible/succeeds",
      "cri-o@1.34 linux/amd64": "compatible/succeeds",
    });
  });
  it("an index entry without mediaType breaks containerd only", () => {
    const root = index(MT.ociIndex, [{ platform: LINUX_AMD64 }]);
    const entry = root.manifests?.[0];
    if (entry) delete entry.mediaType;
    const facts = withChildren(root, [ociManifest()]);
    expect(summary(facts, "containerd@1.7,cri-o@1.34")).toEqual({
      "containerd@1.7 linux/amd64": "incompatible/fails I010",
      "cri-o@1.34 linux/amd64": "compatible/succeeds",
    });
  });
});

describe("I011 frozen-registry", () => {
  it("k8s.gcr.io warns on every runtime and names registry.k8s.io", () => {
    const facts = single(dockerManifest({ configPlatform: LINUX_AMD64 }), ref("k8s.gcr.io/pause:3.9"));
    const c = cells(facts, "containerd@2.1,cri-o@1.34,cri-dockerd@0.4");
    for (const v of Object.values(c)) {
      expect(v.verdict).toBe("warning");
      expect(v.findings[0]?.remediation).toMatch(/registry\.k8s\.io\/pause:3\.9/);
    }
  });
  it("registry.k8s.io does not fire", () => {
    const facts = single(dockerManifest({ configPlatform: LINUX_AMD64 }), ref("registry.k8s.io/pause:3.9"));
    expect(cells(facts, "containerd@2.1")["containerd@2.1 linux/amd64"]?.verdict).toBe("compatible");
  });
});
