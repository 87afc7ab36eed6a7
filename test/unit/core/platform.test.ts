import { describe, expect, it } from "vitest";
import type { Descriptor, ManifestFacts, PlatformSpec } from "../../../src/core/image.js";
import { MediaTypes as MT } from "../../../src/core/image.js";
import {
  candidateChildren,
  crioWantedPlatforms,
  normalizePlatform,
  platformMatchStyle,
  platformString,
  selectManifest,
} from "../../../src/core/platform.js";
import type { Platform, RuntimeName } from "../../../src/core/target.js";
import { parseVersion } from "../../../src/core/version.js";

function idx(type: string, entries: (PlatformSpec | undefined | { attestation: true })[]): ManifestFacts {
  return {
    digest: "sha256:root",
    size: 1,
    contentType: type,
    kind: "index",
    fields: ["schemaVersion", "manifests"],
    manifests: entries.map((p, i) => {
      const d: Descriptor = { digest: `sha256:${i}`, size: 1, mediaType: MT.ociManifest };
      if (p && "attestation" in p) {
        d.platform = { os: "unknown", architecture: "unknown" };
        d.annotations = { "vnd.docker.reference.type": "attestation-manifest" };
      } else if (p) d.platform = p;
      return d;
    }),
  };
}

const P = (s: string): PlatformSpec => {
  const [os = "", architecture = "", variant] = s.split("/");
  return variant ? { os, architecture, variant } : { os, architecture };
};
const W = (s: string): Platform => P(s);

function pick(index: ManifestFacts, wanted: string, runtime: string): string {
  const [family, version] = runtime.split("@") as [RuntimeName, string];
  const sel = selectManifest(index, W(wanted), family, parseVersion(version)!);
  if (!sel.descriptor) return "none";
  const d = sel.descriptor;
  return `${d.platform ? platformString(d.platform) : "(no platform)"} ${sel.match}`;
}

describe("normalizePlatform (containerd)", () => {
  it.each([
    ["linux/x86_64", "linux/amd64"],
    ["linux/x86-64", "linux/amd64"],
    ["linux/amd64/v1", "linux/amd64"],
    ["linux/amd64/v3", "linux/amd64/v3"],
    ["linux/aarch64", "linux/arm64"],
    ["linux/arm64/v8", "linux/arm64"],
    ["linux/arm64/8", "linux/arm64"],
    ["linux/arm64/v9.0", "linux/arm64/v9"],
    ["linux/armhf", "linux/arm/v7"],
    ["linux/armel", "linux/arm/v6"],
    ["linux/arm", "linux/arm/v7"],
    ["linux/arm/6", "linux/arm/v6"],
    ["linux/i386", "linux/386"],
    ["Linux/AMD64", "linux/amd64"],
    ["macos/arm64", "darwin/arm64"],
  ])("%s -> %s", (input, out) => {
    expect(platformString(normalizePlatform(P(input)))).toBe(out);
  });
});

describe("platformMatchStyle", () => {
  it.each([
    ["containerd", "1.6", "containerd-only"],
    ["containerd", "1.7", "containerd-only"],
    ["containerd", "2.0", "containerd-only-v2"],
    ["containerd", "2.1", "containerd-strict"],
    ["containerd", "2.3", "containerd-strict"],
    ["cri-o", "1.26", "cri-o-exact"],
    ["cri-dockerd", "0.4", "docker-only"],
  ])("%s@%s -> %s", (family, version, style) => {
    expect(platformMatchStyle(family as RuntimeName, parseVersion(version)!)).toBe(style);
  });
});

describe("crioWantedPlatforms (containers/image variant order)", () => {
  it.each([
    ["linux/amd64", ["linux/amd64"]],
    ["linux/arm64", ["linux/arm64/v8", "linux/arm64"]],
    ["linux/arm/v7", ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm"]],
    ["linux/arm/v6", ["linux/arm/v6", "linux/arm/v5", "linux/arm"]],
  ])("%s", (w, list) => {
    expect(crioWantedPlatforms(W(w)).map(platformString)).toEqual(list);
  });
});

describe("selectManifest: which entry each runtime picks", () => {
  const table: [
    string,
    (PlatformSpec | undefined | { attestation: true })[],
    string,
    Record<string, string>,
  ][] = [
    [
      "exact amd64 among amd64+arm64/v8",
      [P("linux/amd64"), P("linux/arm64/v8")],
      "linux/amd64",
      {
        "containerd@1.6": "linux/amd64 exact",
        "containerd@2.1": "linux/amd64 exact",
        "cri-o@1.34": "linux/amd64 exact",
      },
    ],
    [
      "arm64 node, arm64/v8 entry",
      [P("linux/amd64"), P("linux/arm64/v8")],
      "linux/arm64",
      {
        "containerd@1.6": "linux/arm64/v8 exact",
        "containerd@2.1": "linux/arm64/v8 exact",
        "cri-o@1.34": "linux/arm64/v8 exact",
      },
    ],
    [
      "arm64 node, arm64 entry without variant",
      [P("linux/arm64")],
      "linux/arm64",
      { "containerd@1.6": "linux/arm64 exact", "cri-o@1.34": "linux/arm64 fallback" },
    ],
    [
      "amd64 node, only 386: containerd 1.x/2.0 ladder, not 2.1+, not CRI-O",
      [P("linux/386")],
      "linux/amd64",
      {
        "containerd@1.6": "linux/386 fallback",
        "containerd@2.0": "linux/386 fallback",
        "containerd@2.1": "none",
        "cri-o@1.26": "none",
        "cri-dockerd@0.4": "linux/386 fallback",
      },
    ],
    [
      "arm64 node, only arm/v7: containerd 1.x/2.0 ladder, not 2.1+, not CRI-O",
      [P("linux/arm/v7")],
      "linux/arm64",
      {
        "containerd@1.7": "linux/arm/v7 fallback",
        "containerd@2.0": "linux/arm/v7 fallback",
        "containerd@2.2": "none",
        "cri-o@1.36": "none",
      },
    ],
    [
      "amd64/v2 and v3 entries never match a default amd64 node",
      [P("linux/amd64/v2"), P("linux/amd64/v3")],
      "linux/amd64",
      { "containerd@1.6": "none", "containerd@2.1": "none", "cri-o@1.34": "none" },
    ],
    [
      "aarch64 / x86_64 spellings: containerd normalises, CRI-O does not",
      [P("linux/x86_64"), P("linux/aarch64")],
      "linux/arm64",
      {
        "containerd@1.6": "linux/aarch64 exact",
        "containerd@2.1": "linux/aarch64 exact",
        "cri-o@1.34": "none",
      },
    ],
    [
      "arm/v7 node, arm/v6 entry: both ladders go down",
      [P("linux/arm/v6")],
      "linux/arm/v7",
      {
        "containerd@1.6": "linux/arm/v6 fallback",
        "cri-o@1.30": "linux/arm/v6 fallback",
        "containerd@2.1": "none",
      },
    ],
    [
      "attestation entries are never chosen",
      [{ attestation: true }, P("linux/amd64")],
      "linux/amd64",
      { "containerd@1.6": "linux/amd64 exact", "cri-o@1.26": "linux/amd64 exact" },
    ],
    [
      "only attestations: nothing",
      [{ attestation: true }],
      "linux/amd64",
      { "containerd@1.6": "none", "containerd@2.1": "none", "cri-o@1.26": "none" },
    ],
    [
      "platform-less entry is the last resort",
      [undefined, P("linux/arm64/v8")],
      "linux/amd64",
      { "containerd@1.6": "(no platform) no-platform", "cri-o@1.34": "(no platform) no-platform" },
    ],
    [
      "platform-less entry loses to a real match",
      [undefined, P("linux/amd64")],
      "linux/amd64",
      { "containerd@1.6": "linux/amd64 exact", "cri-o@1.34": "linux/amd64 exact" },
    ],
    [
      "windows node picks the windows entry",
      [P("linux/amd64"), { os: "windows", architecture: "amd64", "os.version": "10.0.20348.1" }],
      "windows/amd64",
      { "containerd@1.7": "windows/amd64 exact" },
    ],
  ];
  for (const [name, entries, wanted, expected] of table) {
    it(name, () => {
      const index = idx(MT.ociIndex, entries);
      for (const [runtime, want] of Object.entries(expected)) {
        expect({ runtime, got: pick(index, wanted, runtime) }).toEqual({ runtime, got: want });
      }
    });
  }

  it("CRI-O ignores platform-less entries in a Docker manifest list", () => {
    const list = idx(MT.dockerList, [undefined]);
    expect(pick(list, "linux/amd64", "cri-o@1.34")).toBe("none");
    expect(pick(list, "linux/amd64", "containerd@1.6")).toBe("(no platform) no-platform");
  });

  it("first matching entry wins; CRI-O prefers a zstd-annotated twin in an OCI index", () => {
    const index = idx(MT.ociIndex, [P("linux/amd64"), P("linux/amd64")]);
    const second = index.manifests?.[1];
    if (second) second.annotations = { "io.github.containers.compression.zstd": "true" };
    const [family, v] = ["containerd", "1.6"] as const;
    expect(selectManifest(index, W("linux/amd64"), family, parseVersion(v)!).position).toBe(0);
    expect(selectManifest(index, W("linux/amd64"), "cri-o", parseVersion("1.34")!).position).toBe(1);
  });

  it("a non-index manifest selects nothing", () => {
    const m: ManifestFacts = { digest: "sha256:x", size: 1, kind: "manifest", fields: [] };
    expect(
      selectManifest(m, W("linux/amd64"), "containerd", parseVersion("1.6")!).descriptor,
    ).toBeUndefined();
  });
});

describe("candidateChildren", () => {
  it("lists every child some runtime could pick, and nothing else", () => {
    const index = idx(MT.ociIndex, [
      P("linux/386"), // 0: containerd 1.x amd64 fallback
      P("linux/arm/v7"), // 1: containerd 1.x arm64 fallback
      P("linux/amd64/v3"), // 2: never
      P("linux/s390x"), // 3: not wanted
      { attestation: true }, // 4: never
      undefined, // 5: last resort
      P("linux/aarch64"), // 6: containerd exact for arm64
    ]);
    expect(candidateChildren(index, [W("linux/amd64"), W("linux/arm64")])).toEqual([
      "sha256:0",
      "sha256:5",
      "sha256:6",
    ]);
  });

  it("does not list the last-resort entry when every runtime has a real match", () => {
    const index = idx(MT.ociIndex, [P("linux/amd64"), P("linux/arm64/v8"), undefined, { attestation: true }]);
    expect(candidateChildren(index, [W("linux/amd64"), W("linux/arm64")])).toEqual(["sha256:0", "sha256:1"]);
  });

  it("includes the CRI-O zstd preference and containerd's first match", () => {
    const index = idx(MT.ociIndex, [P("linux/amd64"), P("linux/amd64")]);
    const second = index.manifests?.[1];
    if (second) second.annotations = { "io.github.containers.compression.zstd": "true" };
    expect(candidateChildren(index, [W("linux/amd64")])).toEqual(["sha256:0", "sha256:1"]);
  });
});
