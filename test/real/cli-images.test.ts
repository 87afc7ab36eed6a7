// The built CLI against the real registry (started by test/real/setup.ts) loaded with crafted images.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { run } from "../cli/run.js";

interface Verdict {
  runtime: string;
  platform: string;
  verdict: string;
  reason?: string;
  findings: { ruleId: string }[];
}
interface Img {
  reference: string;
  digest?: string;
  verdicts: Verdict[];
  manifest?: { children?: { platform?: string; fetched: boolean }[] };
}
interface Report {
  findings: {
    ruleId: string;
    origin: { file?: string; line?: number; column?: number };
    subject: { name: string };
    suppressed?: boolean;
  }[];
  images: Img[];
  coverage: { images?: { checked: number; unknown: number } };
}

const crafted = inject("crafted");
const reg = inject("testenv").regAddr;
const ref = (name: string) => {
  const i = crafted.images.find((x) => x.name === name);
  if (!i) throw new Error(`crafted image ${name} missing`);
  return i.ref;
};
const tmp = mkdtempSync(join(tmpdir(), "kra-real-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("kube-runtime-audit image (real registry)", () => {
  it("explains a multi-platform index per runtime and platform, with the manifest tree", async () => {
    const r = await run([
      "image",
      ref("c-oci-index"),
      "--insecure-registry",
      reg,
      "--target-runtime",
      "containerd@1.6,containerd@2.1,cri-o@1.34",
      "--platform",
      "linux/amd64,linux/arm64,linux/s390x",
      "-o",
      "json",
    ]);
    const rep = JSON.parse(r.stdout) as Report;
    const img = rep.images[0];
    expect(img?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const cell = (rt: string, p: string) => img?.verdicts.find((v) => v.runtime === rt && v.platform === p);
    for (const rt of ["containerd@1.6", "containerd@2.1", "cri-o@1.34"]) {
      expect(cell(rt, "linux/amd64")?.verdict).toBe("compatible");
      expect(cell(rt, "linux/arm64")?.verdict).toBe("compatible");
      const s390 = cell(rt, "linux/s390x");
      expect(s390?.verdict).toBe("incompatible");
      expect(s390?.findings.map((f) => f.ruleId)).toContain("I002");
    }
    expect(img?.manifest?.children?.map((c) => c.platform)).toEqual(["linux/amd64", "linux/arm64/v8"]);
    expect(r.code).toBe(1); // platform-missing is critical
    const table = await run(["image", ref("c-oci-index"), "--insecure-registry", reg, "--fail-on", "none"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/MANIFESTS[\s\S]*application\/vnd\.oci\.image\.index\.v1\+json/);
    expect(table.stdout).toMatch(/linux\/arm64\/v8\s+application\/vnd\.oci\.image\.manifest\.v1\+json/);
  });

  it("judges schema 1 per runtime version", async () => {
    const r = await run([
      "image",
      ref("g-schema1"),
      "--insecure-registry",
      reg,
      "--target-runtime",
      "containerd@1.7,containerd@2.0,containerd@2.1,cri-o@1.34",
      "--platform",
      "linux/amd64",
      "-o",
      "json",
      "--fail-on",
      "none",
    ]);
    expect(r.code).toBe(0);
    const v = Object.fromEntries(
      (JSON.parse(r.stdout) as Report).images[0]!.verdicts.map((x) => [x.runtime, x.verdict]),
    );
    expect(v).toEqual({
      "containerd@1.7": "warning",
      "containerd@2.0": "incompatible",
      "containerd@2.1": "incompatible",
      "cri-o@1.34": "compatible",
    });
  });

  it("says unknown with a reason, and --fail-on-unknown fails the gate, when the registry is unreachable", async () => {
    const args = [
      "image",
      "127.0.0.1:9/none/such:1",
      "--insecure-registry",
      "127.0.0.1:9",
      "--platform",
      "linux/amd64",
    ];
    const r = await run([...args, "-o", "json", "--registry-timeout", "3"]);
    expect(r.code).toBe(0);
    const img = (JSON.parse(r.stdout) as Report).images[0];
    for (const v of img?.verdicts ?? []) {
      expect(v.verdict).toBe("unknown");
      expect(v.reason).toMatch(/connect|refused|unreachable/i);
    }
    expect(r.stderr).toMatch(/could not verify/);
    const strict = await run([...args, "--fail-on-unknown", "--registry-timeout", "3"]);
    expect(strict.code).toBe(1);
  });

  it("never sends credentials to a plain-HTTP registry nor prints them", async () => {
    const cfg = join(tmp, "config.json");
    const secret = "s3cr3t-Pa55-for-test";
    writeFileSync(
      cfg,
      JSON.stringify({ auths: { [reg]: { auth: Buffer.from(`alice:${secret}`).toString("base64") } } }),
    );
    const r = await run([
      "image",
      ref("b-oci"),
      "--insecure-registry",
      reg,
      "--registry-config",
      cfg,
      "-o",
      "json",
    ]);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(`alice:${secret}`).toString("base64"));
  });
});

describe("kube-runtime-audit files --check-images (real registry)", () => {
  it("adds image verdicts to the files audit, each distinct reference checked once", async () => {
    const manifest = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: web, namespace: shop}",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      `        - {name: a, image: "${ref("b-oci")}"}`,
      `        - {name: b, image: "${ref("b-oci")}"}`,
      `        - {name: c, image: "${ref("mixed-oci-docker-config")}"}`,
      `        - {name: d, image: "${reg}/crafted/never-pushed:1.0"}`,
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      "  name: legacy",
      "  namespace: shop",
      "  annotations: {runtime-audit.io/ignore: i003}",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      `        - {name: e, image: "${reg}/crafted/also-never-pushed:2.0"}`,
      "",
    ].join("\n");
    const file = join(tmp, "deploy.yaml");
    writeFileSync(file, manifest);
    const r = await run([
      "files",
      file,
      "--check-images",
      "--insecure-registry",
      reg,
      "--target-runtime",
      "containerd@1.7,cri-o@1.30",
      "--platform",
      "linux/amd64",
      "-o",
      "json",
    ]);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.images).toHaveLength(4);
    expect(rep.coverage.images).toEqual({ checked: 4, unknown: 0 });
    const byRef = Object.fromEntries(rep.images.map((i) => [i.reference, i.verdicts]));
    expect(byRef[ref("b-oci")]?.map((v) => v.verdict)).toEqual(["compatible", "compatible"]);
    // OCI manifest with a Docker config: containerd pulls it, CRI-O (containers/image) rejects it.
    expect(byRef[ref("mixed-oci-docker-config")]?.map((v) => `${v.runtime}=${v.verdict}`)).toEqual([
      "containerd@1.7=compatible",
      "cri-o@1.30=incompatible",
    ]);
    const missing = rep.findings.filter(
      (f) => f.ruleId === "I003" && f.subject.name.includes("/never-pushed"),
    );
    expect(missing.length).toBeGreaterThan(0);
    // the `image` key of container d: line 11, column 21
    expect(missing[0]?.origin).toEqual({ file, line: 11, column: 21 });
    // the workload that ignores I003 (lower-case in its annotation) suppresses it for its image
    const ignored = rep.findings.filter(
      (f) => f.ruleId === "I003" && f.subject.name.includes("also-never-pushed"),
    );
    expect(ignored.length).toBeGreaterThan(0);
    expect(ignored.every((f) => f.suppressed === true)).toBe(true);
  });
});
