// Every crafted image fires the image rule it was made for, the controls stay quiet, and a registry
// that serves manifests with a wrong or missing Content-Type (I010) is judged as the real pullers behave.
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { ImageReport } from "../../src/core/report.js";
import { makeTarget } from "../../src/core/target.js";
import { RegistryClient } from "../../src/registry/index.js";
import { expectedPull, judgeImage } from "../../src/rules/image/index.js";
import { CriClient } from "./harness/cri.js";
import { FaultProxy } from "./harness/fault-proxy.js";
import { podmanPull } from "./harness/podman.js";

const env = inject("testenv");
const crafted = inject("crafted");

// Old and new rows of the capability matrix, and a platform no crafted image offers, so that every
// rule has a runtime/platform on which it applies.
const WIDE = makeTarget({
  k8s: "1.35",
  runtimes: "containerd@1.6,containerd@2.0,containerd@2.1,cri-o@1.26,cri-o@1.34,cri-o@1.36",
  platforms: "linux/amd64,linux/arm64,linux/s390x",
});

const client = new RegistryClient({ insecureRegistries: [env.regAddr, crafted.stubRegistry] });
afterAll(() => client.close());

const judged = new Map<string, ImageReport>();
beforeAll(async () => {
  await Promise.all(
    crafted.images.map(async (img) => {
      judged.set(
        img.name,
        judgeImage(await client.inspect(img.ref, WIDE.platforms, { verifyLayers: true }), WIDE),
      );
    }),
  );
});

const rulesOf = (r: ImageReport | undefined) =>
  new Set(r?.verdicts.flatMap((v) => v.findings.filter((f) => !f.suppressed).map((f) => f.ruleId)) ?? []);

/**
 * Crafted images that stand next to their rule as controls: the look-alike every runtime accepts
 * (OCI zstd layers: containerd >= 1.5 and every containers/image in scope; mixed list/index children and
 * an OCI manifest without `mediaType`: pulled by containerd 1.6 and podman, as the differential tests show).
 */
const RULE_CONTROLS = new Set([
  "e-oci-zstd",
  // bytes compressed differently from the declared gzip: both pullers sniff the real format (I013 quiet)
  "layer-zstd-as-gzip",
  "docker-zstd-as-gzip",
  "layer-tar-as-gzip",
  // zstd:chunked annotations on a zstd layer (I004 quiet) and artifactType on an image manifest (I006 quiet)
  "zstd-chunked-annotations",
  "image-with-artifacttype",
  "mixed-list-oci-child",
  "mixed-index-docker-child",
  "oci-no-mediatype",
]);

describe("each crafted image fires its rule", () => {
  for (const img of crafted.images.filter((i) => i.rule !== null && !RULE_CONTROLS.has(i.name))) {
    test(`${img.name} -> ${img.rule}`, () => {
      const r = judged.get(img.name);
      expect(r?.verdicts.every((v) => v.verdict !== "unknown" || !v.reason?.match(/network|timeout/))).toBe(
        true,
      );
      expect([...rulesOf(r)]).toContain(img.rule);
    });
  }
});

describe("rule controls stay quiet", () => {
  for (const img of crafted.images.filter((i) => RULE_CONTROLS.has(i.name))) {
    test(`${img.name}: no ${img.rule}, compatible everywhere on linux/amd64`, () => {
      const r = judged.get(img.name);
      expect([...rulesOf(r)]).not.toContain(img.rule);
      const cells = r?.verdicts.filter((v) => v.platform === "linux/amd64") ?? [];
      expect(cells.map((v) => v.verdict)).toEqual(WIDE.runtimes.map(() => "compatible"));
    });
  }
});

describe("controls stay quiet", () => {
  for (const img of crafted.images.filter((i) => i.rule === null)) {
    test(`${img.name}: compatible everywhere on linux/amd64, no findings`, () => {
      const cells = judged.get(img.name)?.verdicts.filter((v) => v.platform === "linux/amd64") ?? [];
      expect(cells.length).toBe(WIDE.runtimes.length);
      for (const v of cells) {
        expect({ runtime: v.runtime, verdict: v.verdict, findings: v.findings.length }).toEqual({
          runtime: v.runtime,
          verdict: "compatible",
          findings: 0,
        });
      }
    });
  }
});

describe("I010 bad-content-type, against the real pullers", () => {
  let proxy: FaultProxy;
  const image = crafted.images.find((i) => i.name === "b-oci");
  beforeAll(async () => {
    proxy = await new FaultProxy({ upstream: env.regAddr }).start();
  });
  afterAll(() => proxy.close());

  // (the fault applies per repository, so each case gets a repository of its own through the proxy)
  for (const c of [
    { label: "text/html", value: "text/html" },
    { label: "missing", value: undefined },
  ]) {
    test(`Content-Type ${c.label}: the tool says the pull fails, and both pullers fail`, async () => {
      if (!image) throw new Error("crafted image b-oci missing");
      proxy.setFault(image.repo, { type: "content-type", ...(c.value ? { value: c.value } : {}) });
      const ref = `${proxy.address}/${image.repo}:${image.tag}`;
      const target = makeTarget({
        k8s: "1.26",
        runtimes: "containerd@1.6,cri-o@1.26",
        platforms: "linux/amd64",
      });
      const own = new RegistryClient({ insecureRegistries: [proxy.address] });
      const report = judgeImage(await own.inspect(ref, target.platforms), target);
      await own.close();
      for (const v of report.verdicts) {
        expect(v.findings.map((f) => f.ruleId)).toContain("I010");
        expect(expectedPull(v)).toBe("fails");
      }
      const cri = new CriClient(env.ctdSock);
      try {
        await cri.removeImage(ref);
        const pulled = await cri.pullImage(ref);
        expect(pulled.ok, `containerd ${env.ctdVersion} pulled ${ref} despite Content-Type ${c.label}`).toBe(
          false,
        );
      } finally {
        cri.close();
      }
      const podman = await podmanPull(env.dir, ref, "linux/amd64");
      expect(podman.ok, `podman ${env.podman.version} pulled ${ref} despite Content-Type ${c.label}`).toBe(
        false,
      );
      proxy.setFault(image.repo, undefined);
    });
  }
});
