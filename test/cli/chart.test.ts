// The product audits its own Helm chart: every mode and notable value combination, rendered by the real
// helm 4, is clean at --fail-on low (the auditor must not depend on the runtime it audits).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART, helm, runHelm, setArgs } from "../unit/chart/helm.js";
import { run } from "./run.js";

const COMBOS = {
  cronjob: {},
  controller: { mode: "controller", "controller.metrics.serviceMonitor.enabled": true },
  "everything on": {
    mode: "controller",
    "controller.replicas": 2,
    "pullSecrets.enabled": true,
    "kubeletConfig.enabled": true,
    installPolicyReportCRD: true,
  },
};

const dir = mkdtempSync(join(tmpdir(), "kra-chart-audit-"));

beforeAll(() => {
  helm();
  for (const [name, values] of Object.entries(COMBOS)) {
    const r = runHelm(["template", "kra", CHART, "--namespace", "audit", ...setArgs(values)]);
    if (r.status !== 0) throw new Error(r.stderr);
    writeFileSync(join(dir, `${name.replace(/ /g, "-")}.yaml`), r.stdout);
  }
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("files audit of the rendered chart", () => {
  it("is clean at --fail-on low", async () => {
    const r = await run(["files", dir, "--fail-on", "low", "-o", "json", "-q"]);
    const report = JSON.parse(r.stdout) as {
      findings: { ruleId: string; severity: string }[];
      coverage: { files: number; workloads: number; errors: unknown[] };
    };
    expect(report.coverage.errors).toEqual([]);
    expect(report.coverage.files).toBe(3);
    // One CronJob and two Deployments were audited, not skipped as unknown kinds.
    expect(report.coverage.workloads).toBe(3);
    expect(report.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(r.code).toBe(0);
  });
});
