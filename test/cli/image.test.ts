/**
 * `image` with references that do not parse: no registry is contacted (the parse fails first), each
 * verdict is incompatible (I003: the kubelet's InvalidImageName), the reference is an input error in
 * coverage.errors, and the exit code is 2.
 */
import { describe, expect, it } from "vitest";
import { run } from "./run.js";

interface JsonReport {
  images?: {
    reference: string;
    verdicts: {
      runtime: string;
      platform: string;
      verdict: string;
      findings: { ruleId: string; message: string }[];
    }[];
  }[];
  coverage: { errors: { source: string; reason: string }[] };
}

describe("image: invalid references", () => {
  it("`image 'Bad::Ref' -o json` exits 2 with incompatible verdicts and an input error", async () => {
    const r = await run([
      "image",
      "Bad::Ref",
      "--target-runtime",
      "containerd@2.1,cri-o@1.34",
      "--platform",
      "linux/amd64",
      "-o",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(2);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.coverage.errors).toHaveLength(1);
    expect(report.coverage.errors[0]?.source).toBe("Bad::Ref");
    expect(report.coverage.errors[0]?.reason).toMatch(/invalid image reference "Bad::Ref"/);
    const img = report.images?.find((i) => i.reference === "Bad::Ref");
    expect(img?.verdicts.map((v) => v.runtime).sort()).toEqual(["containerd@2.1", "cri-o@1.34"]);
    for (const v of img?.verdicts ?? []) {
      expect(v.verdict, v.runtime).toBe("incompatible");
      expect(v.findings.find((f) => f.ruleId === "I003")?.message, v.runtime).toMatch(/InvalidImageName/);
    }
  });

  it("an uppercase repository is invalid too; a valid reference beside it is not an input error", async () => {
    // 127.0.0.1:9 (discard) refuses connections: the valid one is unknown, the invalid one incompatible.
    const r = await run([
      "image",
      "docker.io/Library/Nginx:1.27",
      "127.0.0.1:9/ok/app:1",
      "--target-runtime",
      "containerd@2.1",
      "--platform",
      "linux/amd64",
      "-o",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(2);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.coverage.errors.map((e) => e.source)).toEqual(["docker.io/Library/Nginx:1.27"]);
    const bad = report.images?.find((i) => i.reference === "docker.io/Library/Nginx:1.27");
    expect(bad?.verdicts[0]?.verdict).toBe("incompatible");
    const ok = report.images?.find((i) => i.reference === "127.0.0.1:9/ok/app:1");
    expect(ok?.verdicts[0]?.verdict).toBe("unknown");
  });
});
