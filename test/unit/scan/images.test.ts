/** judgeImages: one report per reference, findings merged across platforms and pointed at the first use. */
import { describe, expect, it } from "vitest";
import { parseReference } from "../../../src/core/reference.js";
import { makeTarget } from "../../../src/core/target.js";
import { type ImageUses, judgeImages } from "../../../src/scan/images.js";
import { schema1, single } from "../rules/image/fixtures.js";

const target = makeTarget({ runtimes: "containerd@2.1", platforms: "linux/amd64,linux/arm64" });

describe("judgeImages", () => {
  const ref = "registry.example.com/legacy/app:1";
  const facts = () => new Map([[ref, single(schema1(false), parseReference(ref))]]);
  const use = {
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    container: "app",
    file: "a.yaml",
    line: 9,
    column: 18,
  };

  it("lists a finding once for every platform it applies to, at the first place the image is used", () => {
    const uses = new Map<string, ImageUses>([[ref, { uses: [use], total: 3 }]]);
    const r = judgeImages(facts(), uses, { target, ignore: new Set() });
    const i001 = r.findings.filter((f) => f.ruleId === "I001");
    expect(i001).toHaveLength(1);
    expect(i001[0]).toMatchObject({
      platform: "linux/amd64, linux/arm64",
      origin: { file: "a.yaml", line: 9, column: 18 },
      subject: { kind: "Image", name: ref },
    });
    expect(r.images[0]?.usedBy).toEqual([use]);
    expect(r.images[0]?.verdicts.map((v) => v.verdict)).toEqual(["incompatible", "incompatible"]);
  });

  it("an exemption every using workload shares suppresses with its reason; the verdict no longer counts it", () => {
    const uses = new Map<string, ImageUses>([
      [
        ref,
        { uses: [use], total: 1, exempt: new Map([["I001", { by: "config", reason: "retired in Q3" }]]) },
      ],
    ]);
    const r = judgeImages(facts(), uses, { target, ignore: new Set(["I001"]) });
    expect(r.findings.find((f) => f.ruleId === "I001")).toMatchObject({
      suppressed: true,
      suppressedBy: "config",
      suppressionReason: "retired in Q3",
    });
    // linux/amd64 was incompatible by I001 alone (arm64 also lacks the platform: I002 still counts).
    expect(r.images[0]?.verdicts[0]).toMatchObject({ platform: "linux/amd64" });
    expect(r.images[0]?.verdicts[0]?.verdict).not.toBe("incompatible");
  });

  it("counts images that could not be verified", () => {
    const unknown = new Map([
      [
        ref,
        {
          reference: parseReference(ref),
          children: {},
          childErrors: {},
          error: { kind: "auth" as const, message: "401 Unauthorized" },
        },
      ],
    ]);
    const r = judgeImages(unknown, new Map(), { target, ignore: new Set() });
    expect(r.unknown).toBe(1);
    expect(
      r.images[0]?.verdicts.every((v) => v.verdict === "unknown" && /authentication/.test(v.reason ?? "")),
    ).toBe(true);
  });
});
