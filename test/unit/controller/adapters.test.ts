import { describe, expect, it } from "vitest";
import { metricsObserver, reportPlanner } from "../../../src/controller/adapters.js";
import type { JsonObject, WriteOp } from "../../../src/controller/ports.js";
import { type AuditReport, emptyCoverage } from "../../../src/core/report.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding } from "../../../src/core/types.js";

const target = makeTarget({ k8s: "1.35", runtimes: "containerd@2.1" });
const f = (name: string, severity: Finding["severity"]): Finding => ({
  ruleId: "W001",
  slug: "docker-socket-mount",
  severity,
  subject: { kind: "Deployment", namespace: "shop", name },
  origin: {},
  message: "m",
  remediation: "",
  docs: "",
});

describe("reportPlanner", () => {
  it("hands the builder the AuditReport scan would print, stamped with the publish time", () => {
    const seen: AuditReport[] = [];
    const planned: [readonly JsonObject[], readonly JsonObject[]][] = [];
    const planner = reportPlanner({
      kinds: [{ apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport" }],
      target,
      version: "9.9.9",
      build: (r) => {
        seen.push(r);
        return [{ kind: "PolicyReport", n: r.findings.length }];
      },
      plan: (existing, desired) => {
        planned.push([existing, desired]);
        return [{ op: "none", object: desired[0] as JsonObject } satisfies WriteOp];
      },
    });
    const findings = [f("b", "high"), f("a", "critical")];
    const desired = planner.desired(findings, new Date("2026-03-01T10:00:00.000Z"));
    expect(desired).toEqual([{ kind: "PolicyReport", n: 2 }]);
    const r = seen[0] as AuditReport;
    expect(r.kind).toBe("AuditReport");
    expect(r.metadata).toMatchObject({ generatedAt: "2026-03-01T10:00:00.000Z", version: "9.9.9" });
    expect(r.target.kubernetes).toBe("1.35");
    expect(r.summary.bySeverity).toMatchObject({ critical: 1, high: 1 });
    // The controller's own list is not reordered by the report's sort.
    expect(findings.map((x) => x.subject.name)).toEqual(["b", "a"]);
    expect(planner.plan([], desired)).toEqual([{ op: "none", object: desired[0] }]);
    expect(planner.managedKinds()).toEqual([{ apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport" }]);
  });
});

describe("metricsObserver", () => {
  it("sets the gauges from the merged findings and counts the audit and watch restarts", () => {
    const calls: string[] = [];
    const obs = metricsObserver(
      {
        observeReport: (r) =>
          calls.push(`report ${r.findings.length} nodes ${(r.nodes ?? []).map((n) => n.name).join(",")}`),
        observeScan: (o) => calls.push(`scan ${o.durationSeconds} ${o.ok} ${o.registryRequests ?? "-"}`),
        watchRestarted: (res, why) => calls.push(`restart ${res} ${why}`),
      },
      { target, version: "1", now: () => new Date(0) },
    );
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n1" },
      status: { nodeInfo: { kubeletVersion: "v1.33.2", containerRuntimeVersion: "containerd://2.1.0" } },
    };
    const view = {
      get: () => undefined,
      list: (kind: string) => (kind === "Node" ? [node] : []),
      kinds: () => ["Node"],
      unavailable: () => [],
    };
    obs.audited?.({
      subjects: 3,
      full: false,
      durationSeconds: 0.25,
      findings: [f("a", "high")],
      view,
      registry: { requests: 7, errors: 1 },
      coverage: emptyCoverage(),
    });
    obs.watchRestart?.("pods", "expired");
    expect(calls).toEqual(["report 1 nodes n1", "scan 0.25 true 7", "restart pods expired"]);
  });
});
