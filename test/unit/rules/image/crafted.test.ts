/**
 * The images crafted for the real-component tests (shared infra notes §5), as ImageFacts, judged for
 * containerd 1.6 and CRI-O 1.25/1.26 (the containers/image 5.23–5.25 era). Expected outcomes are what
 * real containerd 1.6.20 CRI PullImage and podman 4.3.1 (c/image 5.23) did with each image, pulling
 * for linux/amd64.
 */
import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../src/core/image.js";
import { MediaTypes as MT } from "../../../../src/core/image.js";
import { makeTarget } from "../../../../src/core/target.js";
import { expectedPull, judgeImage } from "../../../../src/rules/image/index.js";
import {
  desc,
  dockerManifest,
  index,
  LINUX_AMD64,
  LINUX_ARM64_V8,
  manifest,
  ociManifest,
  ref,
  schema1,
  single,
  withChildren,
} from "./fixtures.js";

const target = makeTarget({ runtimes: "containerd@1.6,cri-o@1.25,cri-o@1.26", platforms: "linux/amd64" });

function winManifest(): ImageFacts["root"] & object {
  return dockerManifest({
    config: desc(MT.dockerConfig),
    layers: [
      desc(MT.dockerForeignGzip, 1000, {
        urls: ["http://127.0.0.1:5000/v2/test/h-windows/blobs/sha256:abc"],
      }),
      desc(MT.dockerLayerGzip),
    ],
    configPlatform: { os: "windows", architecture: "amd64", "os.version": "10.0.17763.5458" },
  });
}

type Outcome = { verdict: string; pull: "fails" | "succeeds" };
const ok: Outcome = { verdict: "compatible", pull: "succeeds" };
const pullFails: Outcome = { verdict: "incompatible", pull: "fails" };
const runFails: Outcome = { verdict: "incompatible", pull: "succeeds" };

const cases: {
  name: string;
  facts: ImageFacts;
  containerd: Outcome;
  crio: Outcome;
  ruleCtd?: string;
  ruleCrio?: string;
}[] = [
  {
    name: "(a) Docker v2s2",
    facts: single(dockerManifest({ configPlatform: LINUX_AMD64 })),
    containerd: ok,
    crio: ok,
  },
  {
    name: "(b) OCI manifest",
    facts: single(ociManifest({ configPlatform: LINUX_AMD64 })),
    containerd: ok,
    crio: ok,
  },
  {
    name: "(c) OCI index amd64+arm64/v8",
    facts: withChildren(index(MT.ociIndex, [{ platform: LINUX_AMD64 }, { platform: LINUX_ARM64_V8 }]), [
      ociManifest(),
      ociManifest(),
    ]),
    containerd: ok,
    crio: ok,
  },
  {
    name: "(d) Docker list amd64+arm64/v8",
    facts: withChildren(index(MT.dockerList, [{ platform: LINUX_AMD64 }, { platform: LINUX_ARM64_V8 }]), [
      dockerManifest(),
      dockerManifest(),
    ]),
    containerd: ok,
    crio: ok,
  },
  {
    name: "(e) OCI zstd layer",
    facts: single(ociManifest({ layers: [desc(MT.ociLayerZstd)], configPlatform: LINUX_AMD64 })),
    containerd: ok,
    crio: ok,
  },
  {
    name: "(f) Helm chart artifact",
    facts: single(
      ociManifest({
        config: desc("application/vnd.cncf.helm.config.v1+json"),
        layers: [desc("application/vnd.cncf.helm.chart.content.v1.tar+gzip")],
      }),
    ),
    containerd: pullFails,
    crio: pullFails,
    ruleCtd: "I006",
    ruleCrio: "I006",
  },
  {
    name: "(f2) OCI 1.1 artifact with empty config",
    facts: single(
      ociManifest({
        config: desc(MT.ociEmpty, 2),
        layers: [desc("application/vnd.example.sbom.v1+json")],
        artifactType: "application/vnd.example.sbom.v1+json",
        extraFields: ["subject"],
      }),
    ),
    containerd: pullFails,
    crio: pullFails,
    ruleCtd: "I006",
    ruleCrio: "I006",
  },
  {
    name: "(g) signed schema 1",
    facts: single(schema1(true)),
    containerd: { verdict: "warning", pull: "succeeds" },
    crio: ok,
    ruleCtd: "I001",
  },
  {
    name: "(h) windows-only Docker list",
    facts: withChildren(
      index(MT.dockerList, [
        { platform: { os: "windows", architecture: "amd64", "os.version": "10.0.17763.5458" } },
      ]),
      [winManifest()],
    ),
    containerd: pullFails,
    crio: pullFails,
    ruleCtd: "I002",
    ruleCrio: "I002",
  },
  {
    name: "(h) windows single manifest",
    facts: single(winManifest()),
    containerd: runFails,
    crio: runFails,
    ruleCtd: "I002",
    ruleCrio: "I002",
  },
  {
    name: "mixed: Docker list -> OCI child",
    facts: withChildren(index(MT.dockerList, [{ platform: LINUX_AMD64, mediaType: MT.ociManifest }]), [
      ociManifest(),
    ]),
    containerd: ok,
    crio: ok,
  },
  {
    name: "mixed: OCI index -> Docker child",
    facts: withChildren(index(MT.ociIndex, [{ platform: LINUX_AMD64, mediaType: MT.dockerManifest }]), [
      dockerManifest(),
    ]),
    containerd: ok,
    crio: ok,
  },
  {
    name: "mixed: OCI manifest with Docker config and layer types",
    facts: single(
      ociManifest({
        config: desc(MT.dockerConfig),
        layers: [desc(MT.dockerLayerGzip)],
        configPlatform: LINUX_AMD64,
      }),
    ),
    containerd: ok,
    crio: pullFails,
    ruleCrio: "I007",
  },
  {
    name: "mixed: OCI manifest, OCI config, Docker layer type",
    facts: single(ociManifest({ layers: [desc(MT.dockerLayerGzip)], configPlatform: LINUX_AMD64 })),
    containerd: ok,
    crio: ok,
  },
  {
    name: "mixed: Docker v2s2 with an OCI layer type",
    facts: single(dockerManifest({ layers: [desc(MT.ociLayerGzip)], configPlatform: LINUX_AMD64 })),
    containerd: ok,
    crio: pullFails,
    ruleCrio: "I007",
  },
  {
    name: "nomt: OCI manifest without mediaType",
    facts: single(manifest({ contentType: MT.ociManifest, configPlatform: LINUX_AMD64 })),
    containerd: ok,
    crio: ok,
  },
];

describe("crafted images judged as real containerd 1.6 and c/image 5.23 behaved", () => {
  for (const c of cases) {
    it(c.name, () => {
      c.facts.reference = ref("127.0.0.1:5000/test/crafted:latest");
      const report = judgeImage(c.facts, target);
      expect(report.verdicts).toHaveLength(3);
      for (const v of report.verdicts) {
        const want = v.runtime === "containerd@1.6" ? c.containerd : c.crio;
        const rule = v.runtime === "containerd@1.6" ? c.ruleCtd : c.ruleCrio;
        expect({ runtime: v.runtime, verdict: v.verdict, pull: expectedPull(v) }).toEqual({
          runtime: v.runtime,
          verdict: want.verdict,
          pull: want.pull,
        });
        if (rule) expect(v.findings.map((f) => f.ruleId)).toContain(rule);
        if (want.verdict === "compatible") expect(v.findings).toEqual([]);
      }
    });
  }
});
