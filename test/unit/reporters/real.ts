/**
 * Reports for the reporter goldens, made the way the CLI makes them: `files` runs the real workload
 * rules over test/fixtures/cli/golden with a config file (severity, off, an exemption) and judges
 * the images it found with the real image rules; `image` judges references with the manifest tree.
 * Only the registry is replaced, by image facts written in test/unit/rules/image/fixtures.ts.
 */
import { join, relative } from "node:path";
import { loadConfig } from "../../../src/config/config.js";
import type { ImageFacts } from "../../../src/core/image.js";
import { MediaTypes as MT } from "../../../src/core/image.js";
import { parseReference } from "../../../src/core/reference.js";
import { type AuditReport, buildReport, emptyCoverage } from "../../../src/core/report.js";
import { makeTarget } from "../../../src/core/target.js";
import { allRuleMeta } from "../../../src/scan/catalogue.js";
import { failureIssue } from "../../../src/scan/checks.js";
import { scanFiles } from "../../../src/scan/files.js";
import { type ImageUses, judgeImages } from "../../../src/scan/images.js";
import {
  dockerManifest,
  index,
  LINUX_AMD64,
  LINUX_ARM64_V8,
  ociManifest,
  schema1,
  single,
  withChildren,
} from "../rules/image/fixtures.js";

export const GENERATED_AT = "2026-11-02T09:30:00.000Z";
export const VERSION = "0.1.0";
const ROOT = join(import.meta.dirname, "../../..");

/** What the registry would have said about each image of the golden fixtures. */
function factsFor(ref: string): ImageFacts {
  const reference = parseReference(ref);
  const multi = () =>
    withChildren(
      index(MT.ociIndex, [{ platform: LINUX_AMD64 }, { platform: LINUX_ARM64_V8 }]),
      [ociManifest({ configPlatform: LINUX_AMD64 }), ociManifest({ configPlatform: LINUX_ARM64_V8 })],
      reference,
    );
  if (ref.includes("runner")) return single(schema1(true), reference);
  if (ref.includes("fluentd")) return single(dockerManifest({ configPlatform: LINUX_AMD64 }), reference);
  if (ref.includes("mon/agent"))
    return {
      reference,
      children: {},
      childErrors: {},
      error: { kind: "network", message: "connect ECONNREFUSED registry.example.com:443" },
    };
  return multi();
}

async function filesReport(dir: string, withConfig: boolean): Promise<AuditReport> {
  const config = loadConfig(
    withConfig ? join(ROOT, "test/fixtures/reporters/runtime-audit.yaml") : undefined,
    join(ROOT, "test/fixtures/reporters"),
    allRuleMeta(),
  );
  const target = makeTarget({});
  const scan = await scanFiles([relative(process.cwd(), join(ROOT, dir))], {
    target,
    ignore: new Set(["W010"]),
    policy: config.policy,
    collectImages: true,
  });
  const facts = new Map([...scan.images.keys()].map((r) => [r, factsFor(r)]));
  const images = judgeImages(facts, scan.images, {
    target,
    ignore: new Set(["W010"]),
    policy: config.policy,
  });
  scan.coverage.images = { checked: images.checked, unknown: images.unknown };
  for (const f of images.failures) scan.coverage.errors.push(failureIssue(f));
  scan.settleImageIgnores(images.images);
  return buildReport({
    target,
    findings: [...scan.findings, ...images.findings],
    coverage: scan.coverage,
    images: images.images,
    generatedAt: GENERATED_AT,
    version: VERSION,
  });
}

function imageReport(): AuditReport {
  const target = makeTarget({ runtimes: "containerd@1.7,containerd@2.1,cri-o@1.34" });
  const refs = ["registry.example.com/legacy/billing:2014", "nginx:1.27"];
  const uses = new Map<string, ImageUses>(refs.map((r) => [r, { uses: [], total: 0 }]));
  const facts = new Map(
    refs.map((r) => [
      r,
      r.startsWith("nginx") ? factsFor("docker.io/library/nginx:1.27") : factsFor("ci/runner"),
    ]),
  );
  for (const [r, f] of facts) f.reference = parseReference(r);
  const images = judgeImages(facts, uses, { target, ignore: new Set(), withTree: true });
  const coverage = emptyCoverage();
  coverage.images = { checked: images.checked, unknown: images.unknown };
  return buildReport({
    target,
    findings: images.findings,
    coverage,
    images: images.images,
    generatedAt: GENERATED_AT,
    version: VERSION,
  });
}

/** Every sample, built afresh per call (reporters must not depend on shared state). */
export const REAL_SAMPLES: Record<string, () => Promise<AuditReport>> = {
  files: () => filesReport("test/fixtures/cli/golden", true),
  image: async () => imageReport(),
  clean: () => filesReport("test/fixtures/cli/clean", false),
};
