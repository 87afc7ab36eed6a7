/**
 * Differential test: the tool's verdicts against real pullers, image by image.
 *
 * Tool side: `RegistryClient.inspect` (src/registry) + `judgeImage` (src/rules/image) for two target
 * rows, then `expectedPull` (does the verdict say the pull itself fails?).
 * Oracle side, on the same registry and the same crafted images (harness/crafted.ts):
 *
 * - containerd: a real CRI PullImage on Debian 12's containerd 1.6.20 (the kubelet's call). containerd
 *   pulls for the HOST platform only, so this oracle is valid for linux/amd64 on this x86-64 machine
 *   and nothing else. Judged row: `containerd@1.6`, whose capability row was read at v1.6.39
 *   (src/rules/data/runtime-capabilities.ts); the image-handling code between 1.6.20 and 1.6.39 is the
 *   same for every crafted case.
 * - CRI-O: a real `podman pull --platform P` (podman 4.3.1, containers/image 5.23.1, the library CRI-O
 *   pulls with). No CRI-O release used 5.23; the nearest rows are CRI-O 1.25 (c/image 5.25.0) and
 *   CRI-O 1.26 (c/image 5.24.2, https://github.com/cri-o/cri-o/blob/v1.26.4/go.mod). We judge
 *   `cri-o@1.26`: 5.24.2 is closest to 5.23, and between them nothing that decides a crafted case
 *   changed, whereas 5.25 reworded the mixed OCI/Docker-config error ("invalid mixed OCI image…",
 *   https://github.com/containers/image/blob/v5.25.0/internal/image/oci.go). podman takes --platform, so this oracle runs for
 *   linux/amd64 and, where the image offers it, linux/arm64.
 *
 * Agreement means: the pull succeeds ⇔ the verdict is compatible or warning, or incompatible only at
 * the run stage (a wrong-platform single manifest pulls, then cannot exec); the pull fails ⇔ the
 * verdict is incompatible at the pull stage. `unknown` never agrees: every crafted image is reachable.
 * One case depends on node configuration no registry shows (NODE_DEPENDENT below): there the tool must
 * warn and name the condition, and our oracle nodes, which lack it, must fail the pull.
 */
import { beforeAll, describe, expect, inject, test } from "vitest";
import type { ImageFacts } from "../../src/core/image.js";
import type { ImageReport, ImageVerdict } from "../../src/core/report.js";
import { makeTarget } from "../../src/core/target.js";
import { RegistryClient } from "../../src/registry/index.js";
import { expectedPull, judgeImage } from "../../src/rules/image/index.js";
import type { PushedImage } from "./harness/crafted.js";
import { CriClient } from "./harness/cri.js";
import { podmanPull } from "./harness/podman.js";

const env = inject("testenv");
const crafted = inject("crafted");

/** "1.6.20~ds1" -> "1.6": the containerd row to judge is the installed minor. */
const ctdMinor = /^(\d+\.\d+)/.exec(env.ctdVersion)?.[1] ?? env.ctdVersion;
const CONTAINERD = `containerd@${ctdMinor}`;
const CRIO = "cri-o@1.26";
/** podman → containers/image version of its build (podman's go.mod at the tag). */
const PODMAN_CIMAGE: Record<string, string> = { "4.3": "5.23.1" };

/**
 * Outcomes that depend on what is installed on the node, not on the image. The tool cannot know, so
 * it must answer `warning` from the named rule; the oracle nodes here have neither decryption keys nor
 * imgcrypt's ctd-decoder, so their pulls must fail.
 * containerd: https://github.com/containerd/containerd/blob/v1.6.39/docs/cri/decryption.md
 * CRI-O: decryption_keys_path, https://github.com/cri-o/cri-o/blob/v1.26.4/docs/crio.conf.5.md
 */
const NODE_DEPENDENT: Record<string, { rule: string; condition: RegExp }> = {
  "encrypted-layer": { rule: "I004", condition: /keys/ },
};

function platformsFor(image: PushedImage): string[] {
  const out = ["linux/amd64"];
  if (image.offers.some((p) => p.startsWith("linux/arm64"))) out.push("linux/arm64");
  return out;
}

function cell(report: ImageReport, runtime: string, platform: string): ImageVerdict {
  const v = report.verdicts.find((x) => x.runtime === runtime && x.platform === platform);
  if (!v)
    throw new Error(
      `no verdict for ${runtime} ${platform} in ${JSON.stringify(report.verdicts.map((x) => [x.runtime, x.platform]))}`,
    );
  return v;
}

function explain(v: ImageVerdict): string {
  const findings = v.findings
    .filter((f) => !f.suppressed)
    .map((f) => `${f.ruleId}[${f.evidence?.stage ?? "-"}] ${f.message}`)
    .join(" | ");
  return `${v.runtime} ${v.platform}: ${v.verdict}${v.reason ? ` (${v.reason})` : ""}${findings ? `: ${findings}` : ""}`;
}

/** For NODE_DEPENDENT images: asserts the warning and the oracle's failure; returns true when handled. */
function nodeDependent(image: PushedImage, v: ImageVerdict, actual: "succeeds" | "fails"): boolean {
  const dep = NODE_DEPENDENT[image.name];
  if (!dep) return false;
  expect(v.verdict, explain(v)).toBe("warning");
  const finding = v.findings.find((f) => f.ruleId === dep.rule && !f.suppressed);
  expect(finding?.message ?? "", explain(v)).toMatch(dep.condition);
  expect(actual, "the oracle node has no decryption keys and no ctd-decoder, so its pull must fail").toBe(
    "fails",
  );
  return true;
}

test("the oracles are the versions this file reasons about", () => {
  expect(ctdMinor).toBe("1.6");
  const podmanMinor = /^(\d+\.\d+)/.exec(env.podman.version)?.[1] ?? "";
  expect(
    PODMAN_CIMAGE[podmanMinor],
    `podman ${env.podman.version}: which containers/image is it built with?`,
  ).toBe("5.23.1");
});

const client = new RegistryClient({ insecureRegistries: [env.regAddr, crafted.stubRegistry] });

describe.each(crafted.images)("$name", (image) => {
  const platforms = platformsFor(image);
  let facts: ImageFacts;
  let report: ImageReport;

  beforeAll(async () => {
    const target = makeTarget({
      k8s: "1.26",
      runtimes: `${CONTAINERD},${CRIO}`,
      platforms: platforms.join(","),
    });
    facts = await client.inspect(image.ref, target.platforms);
    report = judgeImage(facts, target);
  });

  test(`${CONTAINERD} linux/amd64 vs CRI PullImage on containerd ${env.ctdVersion}`, async () => {
    const v = cell(report, CONTAINERD, "linux/amd64");
    const predicted = expectedPull(v);
    expect(predicted, explain(v)).not.toBe("unknown");
    const cri = new CriClient(env.ctdSock);
    try {
      // start from a node that never had this image: RemoveImage also garbage-collects its snapshots
      await cri.removeImage(image.ref);
      const r = await cri.pullImage(image.ref);
      const actual = r.ok ? "succeeds" : "fails";
      if (nodeDependent(image, v, actual)) return;
      expect(
        predicted,
        `tool: ${explain(v)}\nCRI: ${r.ok ? `ok ${r.imageRef}` : `code ${r.code}: ${r.message}`}`,
      ).toBe(actual);
    } finally {
      cri.close();
    }
  });

  for (const platform of platforms) {
    test(`${CRIO} ${platform} vs podman ${env.podman.version} pull --platform ${platform}`, async () => {
      const v = cell(report, CRIO, platform);
      const predicted = expectedPull(v);
      expect(predicted, explain(v)).not.toBe("unknown");
      const r = await podmanPull(env.dir, image.ref, platform);
      const actual = r.ok ? "succeeds" : "fails";
      if (nodeDependent(image, v, actual)) return;
      expect(predicted, `tool: ${explain(v)}\npodman: ${r.ok ? "ok" : r.message}`).toBe(actual);
    });
  }
});
