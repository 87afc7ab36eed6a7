/**
 * Glue between the controller's findings and the report-level modules: the report builders and
 * write planner of src/reporters (they take an AuditReport) and the metrics of
 * src/controller/metrics.ts. Typed structurally, so either side can change its internals freely.
 */

import { nodeEntry, toNodeFacts } from "../core/node.js";
import {
  type AuditReport,
  buildReport,
  type Coverage,
  emptyCoverage,
  type ImageReport,
} from "../core/report.js";
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
  images?: readonly ImageReport[],
  coverage?: Coverage,
): AuditReport {
  return buildReport({
    target,
    // buildReport sorts in place: hand it a copy.
    findings: [...findings],
    ...(images ? { images: [...images] } : {}),
    coverage: coverage ?? emptyCoverage(),
    generatedAt: now.toISOString(),
    version,
  });
}

export function reportPlanner(parts: ReportPlannerParts): ReportPlanner {
  return {
    managedKinds: () => parts.kinds,
    desired: (findings, now, images, coverage) => [
      ...parts.build(reportOf(parts.target, parts.version, findings, now, images, coverage)),
    ],
    plan: (existing, desired) => [...parts.plan(existing, desired)],
  };
}

/** The calls src/controller/metrics.ts's AuditMetrics offers. */
export interface MetricsSink {
  observeReport(report: AuditReport): void;
  observeScan(outcome: {
    durationSeconds: number;
    ok: boolean;
    registryRequests?: number;
    registryErrors?: number;
  }): void;
  watchRestarted(resource: string, reason: "dropped" | "expired" | "error"): void;
}

/**
 * Feeds the metrics from the controller's hooks: gauges from the merged findings and images after
 * each audit, and the report's `nodes[]` (one `kube_runtime_audit_node_info` series per node) from
 * the cached Node objects.
 */
export function metricsObserver(
  metrics: MetricsSink,
  report: { target: Target; version: string; now: () => Date },
): ControllerObserver {
  return {
    watchRestart: (resource, reason) => metrics.watchRestarted(resource, reason),
    audited: (info) => {
      const r = reportOf(
        report.target,
        report.version,
        info.findings,
        report.now(),
        info.images,
        info.coverage,
      );
      r.nodes = [...info.view.list("Node")].flatMap((n) => {
        const f = toNodeFacts(n);
        return f ? [nodeEntry(f)] : [];
      });
      metrics.observeReport(r);
      metrics.observeScan({
        durationSeconds: info.durationSeconds,
        ok: true,
        ...(info.registry
          ? { registryRequests: info.registry.requests, registryErrors: info.registry.errors }
          : {}),
      });
    },
  };
}
