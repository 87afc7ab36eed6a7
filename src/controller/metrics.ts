/**
 * The controller's `/metrics` (README "In-cluster (Helm chart)", metrics to graph), on prom-client, the
 * one home of that library. Names follow https://prometheus.io/docs/practices/naming: one
 * `kube_runtime_audit_` prefix, base units, `_total` counters, an `_info` pseudo-metric per node as
 * kube-state-metrics does. Labels stay low-cardinality: rule, severity, namespace, runtime, verdict,
 * node facts; never pod names, uids, image references or digests.
 *
 * Gauges are set from each AuditReport as a whole (`observeReport`), so a finding that disappears
 * also disappears from the scrape; counters and the duration histogram are fed by the controller.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AuditReport, Verdict } from "../core/report.js";

/** One entry of the cluster report's `nodes[]` (README "JSON contract"), as far as the metrics need it. */
export interface ReportNode {
  name: string;
  runtimeClass: string;
  runtime?: { name?: string; version?: string };
  kubeletVersion?: string;
}

/** An AuditReport, possibly from cluster mode (which adds `nodes[]`). */
export type ReportWithNodes = Omit<AuditReport, "nodes"> & { nodes?: readonly ReportNode[] };

export interface MetricsOptions {
  /** Also export the process_* and nodejs_* metrics (RSS, CPU, event loop) of prom-client. */
  processMetrics?: boolean;
}

/** Worst first: an image's verdict for a runtime is the worst over the platforms checked. */
const VERDICT_ORDER: readonly Verdict[] = ["incompatible", "unknown", "warning", "compatible"];

export class AuditMetrics {
  readonly registry = new Registry();
  readonly #findings: Gauge<"rule" | "rule_id" | "severity" | "namespace">;
  readonly #nodeInfo: Gauge<"node" | "runtime_class" | "runtime_version" | "kubelet_version">;
  readonly #images: Gauge<"runtime" | "verdict">;
  readonly #coverageErrors: Gauge;
  readonly #lastScan: Gauge;
  readonly #scanDuration: Histogram;
  readonly #scans: Counter<"outcome">;
  readonly #watchRestarts: Counter<"resource" | "reason">;
  readonly #registryRequests: Counter;
  readonly #registryErrors: Counter;

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    this.#findings = new Gauge({
      name: "kube_runtime_audit_findings",
      help: "Findings of the last audit (suppressed ones excluded), by rule, severity and namespace (empty for nodes, images and cluster-scoped objects).",
      labelNames: ["rule", "rule_id", "severity", "namespace"],
      registers,
    });
    this.#nodeInfo = new Gauge({
      name: "kube_runtime_audit_node_info",
      help: "One series per node, value 1: its container runtime class and version and its kubelet version.",
      labelNames: ["node", "runtime_class", "runtime_version", "kubelet_version"],
      registers,
    });
    this.#images = new Gauge({
      name: "kube_runtime_audit_images",
      help: "Distinct images in use by verdict for each target runtime (the worst verdict over the platforms checked).",
      labelNames: ["runtime", "verdict"],
      registers,
    });
    this.#coverageErrors = new Gauge({
      name: "kube_runtime_audit_coverage_errors",
      help: "Coverage entries of the current report: resources not listed, kubelets whose configz was not read, rules that failed (non-zero: the report is partial).",
      registers,
    });
    this.#lastScan = new Gauge({
      name: "kube_runtime_audit_last_scan_timestamp_seconds",
      help: "When the last audit's report was generated, in Unix seconds.",
      registers,
    });
    this.#scanDuration = new Histogram({
      name: "kube_runtime_audit_scan_duration_seconds",
      help: "Wall time of one audit, from the start of reading to the report.",
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.#scans = new Counter({
      name: "kube_runtime_audit_scans_total",
      help: "Audits run, by outcome (ok, or error when the audit could not run).",
      labelNames: ["outcome"],
      registers,
    });
    this.#watchRestarts = new Counter({
      name: "kube_runtime_audit_watch_restarts_total",
      help: "Watches restarted, by resource and reason (dropped, expired for a 410 Gone, error).",
      labelNames: ["resource", "reason"],
      registers,
    });
    this.#registryRequests = new Counter({
      name: "kube_runtime_audit_registry_requests_total",
      help: "HTTP requests sent to image registries.",
      registers,
    });
    this.#registryErrors = new Counter({
      name: "kube_runtime_audit_registry_errors_total",
      help: "Image checks that ended without a verdict (auth, network, rate limit...).",
      registers,
    });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Sets every gauge from one report; series of the previous report that are gone are dropped. */
  observeReport(report: ReportWithNodes): void {
    this.#findings.reset();
    const counts = new Map<
      string,
      { rule: string; rule_id: string; severity: string; namespace: string; n: number }
    >();
    for (const f of report.findings) {
      if (f.suppressed) continue;
      const labels = {
        rule: f.slug,
        rule_id: f.ruleId,
        severity: f.severity,
        namespace: f.subject.namespace ?? "",
      };
      const key = `${labels.rule}\u0000${labels.severity}\u0000${labels.namespace}`;
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { ...labels, n: 1 });
    }
    for (const { n, ...labels } of counts.values()) this.#findings.set(labels, n);

    this.#nodeInfo.reset();
    for (const node of report.nodes ?? []) {
      this.#nodeInfo.set(
        {
          node: node.name,
          runtime_class: node.runtimeClass,
          runtime_version: node.runtime?.version ?? "",
          kubelet_version: node.kubeletVersion ?? "",
        },
        1,
      );
    }

    this.#images.reset();
    const byRuntime = new Map<string, Map<Verdict, number>>();
    for (const runtime of report.target.runtimes)
      byRuntime.set(runtime, new Map(VERDICT_ORDER.map((v) => [v, 0])));
    for (const img of report.images ?? []) {
      const worst = new Map<string, Verdict>();
      for (const v of img.verdicts) {
        const seen = worst.get(v.runtime);
        if (seen === undefined || VERDICT_ORDER.indexOf(v.verdict) < VERDICT_ORDER.indexOf(seen))
          worst.set(v.runtime, v.verdict);
      }
      for (const [runtime, verdict] of worst) {
        const m = byRuntime.get(runtime) ?? new Map<Verdict, number>(VERDICT_ORDER.map((v) => [v, 0]));
        m.set(verdict, (m.get(verdict) ?? 0) + 1);
        byRuntime.set(runtime, m);
      }
    }
    // Only when images were checked: a --no-images audit exports no image series rather than zeros.
    if (report.images !== undefined)
      for (const [runtime, m] of byRuntime)
        for (const [verdict, n] of m) this.#images.set({ runtime, verdict }, n);

    // Errors and skipped inputs alike: either way something was not read or judged.
    this.#coverageErrors.set(report.coverage.errors.length + report.coverage.skipped.length);
    const at = Date.parse(report.metadata.generatedAt);
    if (!Number.isNaN(at)) this.#lastScan.set(at / 1000);
  }

  /** One audit finished (or could not run). */
  observeScan(outcome: {
    durationSeconds: number;
    ok: boolean;
    registryRequests?: number;
    registryErrors?: number;
  }): void {
    this.#scanDuration.observe(outcome.durationSeconds);
    this.#scans.inc({ outcome: outcome.ok ? "ok" : "error" });
    if (outcome.registryRequests) this.#registryRequests.inc(outcome.registryRequests);
    if (outcome.registryErrors) this.#registryErrors.inc(outcome.registryErrors);
  }

  /** A watch was restarted; `resource` is the plural resource name (pods, deployments...). */
  watchRestarted(resource: string, reason: "dropped" | "expired" | "error"): void {
    this.#watchRestarts.inc({ resource, reason });
  }

  /** The Prometheus text exposition, for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
