/** scanFiles: what the scan says about what it did not check, and what it hands to the image check. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Policy } from "../../../src/core/policy.js";
import type { WorkloadRule } from "../../../src/core/rule.js";
import { makeTarget } from "../../../src/core/target.js";
import { scanFiles } from "../../../src/scan/files.js";

const tmp = mkdtempSync(join(tmpdir(), "kra-scan-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const target = makeTarget({});

function write(rel: string, text: string): string {
  const p = join(tmp, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const deploy = (name: string, ns: string, image: string, annotation = "") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}${annotation ? `, annotations: {runtime-audit.io/ignore: "${annotation}"}` : ""}}
spec:
  template:
    spec:
      containers: [{name: app, image: ${image}}]
`;

describe("scanFiles", () => {
  it("a rule that throws is a coverage error naming the rule and the object, and the scan goes on", async () => {
    const f = write(
      "throw/a.yaml",
      `${deploy("web", "shop", "nginx:1.27")}---\n${deploy("api", "shop", "nginx:1.27")}`,
    );
    const rule: WorkloadRule = {
      id: "W900",
      slug: "throws",
      title: "throws",
      category: "workload",
      description: "",
      remediation: "",
      defaultSeverity: "high",
      check: (w) => {
        if (w.object.name === "web") throw new TypeError("cannot read x of undefined");
        return [{ severity: "low", message: "ran" }];
      },
    };
    const r = await scanFiles([f], { target, ignore: new Set(), rules: [rule] });
    expect(r.coverage.errors).toEqual([
      {
        source: f,
        line: 1,
        reason: expect.stringMatching(
          /^internal error: rule W900 failed on Deployment\/shop\/web: cannot read x of undefined/,
        ),
      },
    ]);
    expect(r.findings.map((x) => [x.ruleId, x.subject.name, x.severity])).toEqual([["W900", "api", "low"]]);
  });

  it("attributes objects to each named input: only the empty one is an error", async () => {
    const good = write("inputs/good/a.yaml", deploy("web", "shop", "nginx"));
    const also = write("inputs/good2.yaml", deploy("web2", "shop", "nginx"));
    const empty = join(tmp, "inputs/empty");
    mkdirSync(empty, { recursive: true });
    const r = await scanFiles([join(tmp, "inputs/good"), empty, also], { target, ignore: new Set() });
    expect(r.coverage.errors.map((e) => e.source)).toEqual([empty]);
    const allowed = await scanFiles([join(tmp, "inputs/good"), empty], {
      target,
      ignore: new Set(),
      allowEmpty: true,
    });
    expect(allowed.coverage.errors).toEqual([]);
    expect(allowed.coverage.skipped.map((e) => e.source)).toEqual([empty]);
    expect(good).toBeTruthy();
  });

  it("hands the image check the exemptions and annotations every workload using an image shares", async () => {
    const f = write(
      "images/a.yaml",
      [
        deploy("a", "legacy", "old/app:1", "I001"),
        deploy("b", "legacy", "old/app:1", "I001,I008"),
        deploy("c", "shop", "old/app:1"),
        deploy("d", "legacy", "other/app:2"),
      ].join("---\n"),
    );
    const policy: Policy = {
      severity: new Map(),
      exemptions: [{ namespaces: ["legacy"], rules: ["I001", "I008"], reason: "retired in Q3" }],
    };
    const r = await scanFiles([f], { target, ignore: new Set(), policy, collectImages: true });
    const shared = r.images.get("old/app:1");
    // "c" in namespace shop has neither the exemption nor the annotation.
    expect([...(shared?.exempt?.keys() ?? [])]).toEqual([]);
    expect([...(shared?.ignore ?? [])]).toEqual([]);
    const other = r.images.get("other/app:2");
    expect(other?.exempt?.get("I001")).toEqual({ by: "config", reason: "retired in Q3" });
    expect([...(other?.exempt?.keys() ?? [])].sort()).toEqual(["I001", "I008"]);
  });

  it("settles image-rule annotation entries once the images were checked", async () => {
    const f = write("settle/a.yaml", deploy("a", "x", "old/app:1", "I001,I002"));
    const r = await scanFiles([f], { target, ignore: new Set(), collectImages: true });
    expect(r.coverage.warnings).toBeUndefined();
    r.settleImageIgnores([
      {
        reference: "old/app:1",
        normalized: "docker.io/old/app:1",
        verdicts: [
          {
            runtime: "containerd@2.3",
            platform: "linux/amd64",
            verdict: "compatible",
            findings: [
              {
                ruleId: "I001",
                slug: "schema1-manifest",
                severity: "critical",
                subject: { kind: "Image", name: "old/app:1" },
                origin: {},
                message: "m",
                remediation: "r",
                docs: "d",
                suppressed: true,
                suppressedBy: "annotation",
              },
            ],
          },
        ],
      },
    ]);
    expect(r.coverage.warnings?.map((w) => w.reason)).toEqual([
      expect.stringMatching(/Deployment\/x\/a: .*"I002" suppresses nothing/),
    ]);
  });
});
