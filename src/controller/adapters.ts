/**
 * Glue between the controller's findings and the report-level modules: the report builders and
 * write planner of src/reporters (they take an AuditReport) and the metrics of
 * src/controller/metrics.ts. Typed structurally, so either side can change its internals freely.
 */
import { type AuditReport, buildReport, emptyCoverage } from "../core/report.js";
import type { Target } from "../core/target.js";
import type { Finding } from "../core/types.js";
import type { JsonObject } from "../core/workload.js";
import type { ControllerObserver, ReportPlanner, WriteOp } from "./ports.js";

export interface ReportPlannerParts {
  /** The report kinds to adopt on start (with the label that marks ours). */
  kinds: readonly { apiVersion: string; kind: string; labelSelector?: string }[];
  target: Target;
  /** The tool version recorded in the report. */
  version: string;
  /** AuditReport -> report objects (e.g. buildPolicyReports with the chosen API and --fail-on). */
  build(report: AuditReport): readonly JsonObject[];
  /** existing, desired -> writes (e.g. planWrites). */
  plan(existing: readonly JsonObject[], desired: readonly JsonObject[]): readonly WriteOp[];
}

/** The findings as the AuditReport `scan` would print for them, stamped with `now`. */
export function reportOf(
  target: Target,
  version: string,
  findings: readonly Finding[],
  now: Date,
): AuditReport {
  return buildReport({
    target,
    // buildReport sorts in place: hand it a copy.
    findings: [...findings],
    coverage: emptyCoverage(),
    generatedAt: now.toISOString(),
    version,
  });
}

export function reportPlanner(parts: ReportPlannerParts): ReportPlanner {
  return {
    managedKinds: () => parts.kinds,
    desired: (findings, now) => [...parts.build(reportOf(parts.target, parts.version, findings, now))],
    plan: (existing, desired) => [...parts.plan(existing, desired)],
  };
}

/** The calls src/controller/metrics.ts's AuditMetrics offers. */
export interface MetricsSink {
  observeReport(report: AuditReport): void;
  observeScan(outcome: { durationSeconds: number; ok: boolean }): void;
  watchRestarted(resource: string, reason: "dropped" | "expired" | "error"): void;
}

/** Feeds the metrics from the controller's hooks: gauges from the merged findings after each audit. */
export function metricsObserver(
  metrics: MetricsSink,
  report: { target: Target; version: string; now: () => Date },
): ControllerObserver {
  return {
    watchRestart: (resource, reason) => metrics.watchRestarted(resource, reason),
    audited: (info) => {
      metrics.observeReport(reportOf(report.target, report.version, info.findings, report.now()));
      metrics.observeScan({ durationSeconds: info.durationSeconds, ok: true });
    },
  };
}
