/**
 * AuditReport → Policy Report objects (README "In-cluster (Helm chart)", docs: the wgpolicyk8s.io
 * v1alpha2 API, https://github.com/kubernetes-sigs/wg-policy-prototypes/blob/master/policy-report/pkg/api/wgpolicyk8s.io/v1alpha2/policyreport_types.go,
 * and openreports.io v1alpha1, https://github.com/openreports/reports-api/blob/main/apis/openreports.io/v1alpha1/report_types.go).
 *
 * One PolicyReport named `kube-runtime-audit` per namespace with findings, and one ClusterPolicyReport of
 * the same name for nodes, cluster-scoped objects, images no namespaced workload uses, and what the
 * audit could not read. Pure and deterministic: the same AuditReport gives byte-identical objects, so
 * `planWrites` can decide that nothing changed and the publisher writes nothing.
 */
import type { AuditReport, ImageReport } from "../core/report.js";
import { type Finding, type Severity, severityRank } from "../core/types.js";
import { stringifyYaml } from "../manifests/yaml-out.js";

export type ReportApi = "wgpolicyk8s" | "openreports";

/** The name of every report we write, and of our Lease and summary ConfigMap (the chart's RBAC names it). */
export const REPORT_NAME = "kube-runtime-audit";
/** `policy` and `source` of every result, and the Events' reporting component. */
export const POLICY = "kube-runtime-audit";
export const SOURCE = "kube-runtime-audit";
/**
 * Results kept per report. A report is one object: etcd refuses objects over 1.5 MiB by default, and a
 * result is about 0.5 kB. Past the cap the most severe results are kept, `summary` still counts all
 * of them, and this annotation says how many were left out (the JSON report has them all).
 */
export const MAX_RESULTS_PER_REPORT = 1000;
export const OMITTED_ANNOTATION = "runtime-audit.io/omitted-results";
/** Marks our reports; `planWrites` never touches a report without it. */
export const MANAGED_BY = { key: "app.kubernetes.io/managed-by", value: "kube-runtime-audit" } as const;

export interface ObjectRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export type ResultStatus = "pass" | "fail" | "warn" | "error" | "skip";

export interface PolicyReportResult {
  source: string;
  policy: string;
  rule: string;
  category?: string;
  severity?: Severity;
  result: ResultStatus;
  scored: boolean;
  message: string;
  /** metav1.Timestamp: Unix seconds and nanoseconds (not the second-of-minute some adapters store). */
  timestamp: { seconds: number; nanos: number };
  resources?: ObjectRef[];
  properties?: Record<string, string>;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export type ReportKind = "PolicyReport" | "ClusterPolicyReport" | "Report" | "ClusterReport";

export interface PolicyReportObject {
  apiVersion: "wgpolicyk8s.io/v1alpha2" | "openreports.io/v1alpha1";
  kind: ReportKind;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    /** Only {@link OMITTED_ANNOTATION}, when results were left out. */
    annotations?: Record<string, string>;
    /** Set on objects read back from the API server; `planWrites` sends it with updates. */
    resourceVersion?: string;
  };
  /** openreports.io only: the tool that wrote the report. */
  source?: string;
  summary: ReportSummary;
  results: PolicyReportResult[];
}

export interface PolicyReportOptions {
  api: ReportApi;
  /** Findings at or above it are `fail`, below it `warn` ("none": everything is `warn`). */
  failOn: Severity | "none";
  /** Default {@link MAX_RESULTS_PER_REPORT}. */
  maxResults?: number;
}

const API: Record<
  ReportApi,
  { apiVersion: PolicyReportObject["apiVersion"]; ns: ReportKind; cluster: ReportKind }
> = {
  wgpolicyk8s: { apiVersion: "wgpolicyk8s.io/v1alpha2", ns: "PolicyReport", cluster: "ClusterPolicyReport" },
  openreports: { apiVersion: "openreports.io/v1alpha1", ns: "Report", cluster: "ClusterReport" },
};

/**
 * apiVersion of the kinds the audit reads, for `resources[]` (Policy Reporter links results by it).
 * Ambiguous kinds (Knative `Service` vs core `Service`) are left out unless the subject names its
 * apiVersion.
 */
export const KIND_API_VERSION: Readonly<Record<string, string>> = {
  Pod: "v1",
  PodTemplate: "v1",
  ReplicationController: "v1",
  Node: "v1",
  Namespace: "v1",
  Deployment: "apps/v1",
  ReplicaSet: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
  Workflow: "argoproj.io/v1alpha1",
  CronWorkflow: "argoproj.io/v1alpha1",
  WorkflowTemplate: "argoproj.io/v1alpha1",
  ClusterWorkflowTemplate: "argoproj.io/v1alpha1",
  Rollout: "argoproj.io/v1alpha1",
  Task: "tekton.dev/v1",
  TaskRun: "tekton.dev/v1",
  Pipeline: "tekton.dev/v1",
  PipelineRun: "tekton.dev/v1",
  ClusterTask: "tekton.dev/v1beta1",
  ScaledJob: "keda.sh/v1alpha1",
  Configuration: "serving.knative.dev/v1",
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `generatedAt` (ISO 8601) → metav1.Timestamp; the report's own time, never the clock. */
export function toTimestamp(iso: string): { seconds: number; nanos: number } {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return { seconds: 0, nanos: 0 };
  const frac = /\.(\d{1,9})/.exec(iso)?.[1] ?? "";
  return { seconds: Math.floor(ms / 1000), nanos: Number(frac.padEnd(9, "0")) || 0 };
}

function refOf(kind: string, name: string, namespace?: string, uid?: string, apiVersion?: string): ObjectRef {
  const av = apiVersion ?? KIND_API_VERSION[kind];
  return {
    ...(av ? { apiVersion: av } : {}),
    kind,
    ...(namespace ? { namespace } : {}),
    name,
    ...(uid ? { uid } : {}),
  };
}

/** The subject may carry its apiVersion (cluster mode); the core type does not promise it. */
function subjectApiVersion(f: Finding): string | undefined {
  const av = (f.subject as { apiVersion?: unknown }).apiVersion;
  return typeof av === "string" && av !== "" ? av : undefined;
}

function statusOf(f: Finding, failOn: Severity | "none"): ResultStatus {
  if (f.suppressed) return "skip";
  if (failOn === "none") return "warn";
  return severityRank(f.severity) >= severityRank(failOn) ? "fail" : "warn";
}

function categoryOf(f: Finding): string {
  const c = f.ruleId.charAt(0);
  return c === "N" ? "node" : c === "I" ? "image" : "workload";
}

function propertiesOf(f: Finding): Record<string, string> {
  const p: Record<string, string> = { ruleId: f.ruleId };
  if (f.subject.container) p.container = f.subject.container;
  const image = f.subject.image ?? (f.subject.kind === "Image" ? f.subject.name : undefined);
  if (image) p.image = image;
  const node = f.subject.node ?? (f.subject.kind === "Node" ? f.subject.name : undefined);
  if (node) p.node = node;
  if (f.runtime) p.runtime = f.runtime;
  if (f.platform) p.platform = f.platform;
  if (f.suppressedBy) p.suppressedBy = f.suppressedBy;
  if (f.docs) p.docs = f.docs;
  return p;
}

interface Placed {
  namespace: string | undefined;
  resources: ObjectRef[];
}

/**
 * Where a finding goes. Workload and node findings: their subject (the top owner). Image findings: the
 * workloads that use the image, one result per namespace; an image nobody in a namespace uses goes to
 * the cluster report.
 */
function place(f: Finding, images: Map<string, ImageReport>): Placed[] {
  if (f.subject.kind === "Image") {
    const img = images.get(f.subject.name) ?? (f.subject.image ? images.get(f.subject.image) : undefined);
    const byNs = new Map<string, ObjectRef[]>();
    for (const u of img?.usedBy ?? []) {
      if (!u.namespace) continue;
      const refs = byNs.get(u.namespace) ?? [];
      if (!refs.some((r) => r.kind === u.kind && r.name === u.name))
        refs.push(refOf(u.kind, u.name, u.namespace));
      byNs.set(u.namespace, refs);
    }
    if (byNs.size === 0) return [{ namespace: undefined, resources: [] }];
    return [...byNs].map(([namespace, resources]) => ({
      namespace,
      resources: resources.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.name, b.name)),
    }));
  }
  const s = f.subject;
  return [
    {
      namespace: s.namespace,
      resources: [refOf(s.kind, s.name, s.namespace, f.origin.uid, subjectApiVersion(f))],
    },
  ];
}

/** Identity of a result without its timestamp: equal keys mean "the same finding". */
export function resultKey(r: PolicyReportResult): string {
  const { timestamp: _t, ...rest } = r;
  return stableStringify(rest);
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

function summarize(results: readonly PolicyReportResult[]): ReportSummary {
  const s: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) s[r.result]++;
  return s;
}

/** Results in one order whatever order the findings came in: rule, resource, properties, message. */
function sortResults(results: PolicyReportResult[]): PolicyReportResult[] {
  const keyed = results.map((r) => ({ r, k: resultKey(r) }));
  keyed.sort(
    (a, b) =>
      cmp(a.r.rule, b.r.rule) ||
      cmp(a.r.resources?.[0]?.kind ?? "", b.r.resources?.[0]?.kind ?? "") ||
      cmp(a.r.resources?.[0]?.name ?? "", b.r.resources?.[0]?.name ?? "") ||
      cmp(a.k, b.k),
  );
  return keyed.map((x) => x.r);
}

const STATUS_RANK: Record<ResultStatus, number> = { error: 4, fail: 3, warn: 2, skip: 1, pass: 0 };

/** The `max` results that matter most (errors, then fail, then by severity), in their sorted order. */
function keepMostSevere(sorted: PolicyReportResult[], max: number): PolicyReportResult[] {
  const rank = (r: PolicyReportResult) =>
    STATUS_RANK[r.result] * 10 + (r.severity ? severityRank(r.severity) : 0);
  const idx = sorted.map((r, i) => ({ i, k: rank(r) }));
  idx.sort((a, b) => b.k - a.k || a.i - b.i);
  const keep = new Set(idx.slice(0, max).map((x) => x.i));
  return sorted.filter((_, i) => keep.has(i));
}

/**
 * The reports an audit should leave in the cluster: namespaced reports sorted by namespace, then the
 * cluster report when it has results (node and cluster-scoped findings, images no namespace uses,
 * coverage errors and skipped inputs). Like a namespace with no findings, an empty cluster scope has no report: the
 * planner deletes one that exists and became empty.
 */
export function buildPolicyReports(report: AuditReport, opts: PolicyReportOptions): PolicyReportObject[] {
  const api = API[opts.api];
  const timestamp = toTimestamp(report.metadata.generatedAt);
  const images = new Map<string, ImageReport>();
  for (const img of report.images ?? []) {
    images.set(img.reference, img);
    images.set(img.normalized, img);
  }
  const byNs = new Map<string, PolicyReportResult[]>();
  const cluster: PolicyReportResult[] = [];
  const seen = new Set<string>();
  for (const f of report.findings) {
    for (const p of place(f, images)) {
      const result: PolicyReportResult = {
        source: SOURCE,
        policy: POLICY,
        rule: f.slug,
        category: categoryOf(f),
        severity: f.severity,
        result: statusOf(f, opts.failOn),
        scored: true,
        message: f.message,
        timestamp,
        ...(p.resources.length > 0 ? { resources: p.resources } : {}),
        properties: propertiesOf(f),
      };
      // The image engine reports a finding per platform and runtime; identical results collapse.
      const k = `${p.namespace ?? ""}\u0000${resultKey(result)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      if (p.namespace === undefined) cluster.push(result);
      else {
        const list = byNs.get(p.namespace) ?? [];
        list.push(result);
        byNs.set(p.namespace, list);
      }
    }
  }
  // What could not be read makes the report partial: say so where an operator looks. Errors (the
  // audit failed there) and skipped inputs (not read: a list or a kubelet configz it may not read).
  const coverageEntries = [
    ...report.coverage.errors.map((e) => ({ e, result: "error" as const })),
    ...report.coverage.skipped.map((e) => ({ e, result: "skip" as const })),
  ];
  for (const { e, result: status } of coverageEntries) {
    const result: PolicyReportResult = {
      source: SOURCE,
      policy: POLICY,
      rule: "coverage",
      result: status,
      scored: false,
      message: e.reason,
      timestamp,
      properties: { source: e.source },
    };
    const k = `\u0000${resultKey(result)}`;
    if (!seen.has(k)) {
      seen.add(k);
      cluster.push(result);
    }
  }

  const max = opts.maxResults ?? MAX_RESULTS_PER_REPORT;
  const make = (kind: ReportKind, results: PolicyReportResult[], namespace?: string): PolicyReportObject => {
    const sorted = sortResults(results);
    const kept = sorted.length > max ? keepMostSevere(sorted, max) : sorted;
    const omitted = sorted.length - kept.length;
    return {
      apiVersion: api.apiVersion,
      kind,
      metadata: {
        name: REPORT_NAME,
        ...(namespace ? { namespace } : {}),
        labels: { [MANAGED_BY.key]: MANAGED_BY.value },
        ...(omitted > 0 ? { annotations: { [OMITTED_ANNOTATION]: String(omitted) } } : {}),
      },
      ...(opts.api === "openreports" ? { source: SOURCE } : {}),
      summary: summarize(sorted),
      results: kept,
    };
  };
  const out = [...byNs.keys()].sort(cmp).map((ns) => make(api.ns, byNs.get(ns) ?? [], ns));
  if (cluster.length > 0) out.push(make(api.cluster, cluster));
  return out;
}

export type WriteOp =
  | { op: "create"; object: PolicyReportObject }
  | { op: "update"; object: PolicyReportObject }
  | { op: "delete"; object: PolicyReportObject }
  | { op: "none"; object: PolicyReportObject };

function identity(o: Pick<PolicyReportObject, "apiVersion" | "kind" | "metadata">): string {
  return `${o.apiVersion}\u0000${o.kind}\u0000${o.metadata.namespace ?? ""}\u0000${o.metadata.name}`;
}

function isOurs(o: PolicyReportObject): boolean {
  return o.metadata.name === REPORT_NAME && o.metadata.labels?.[MANAGED_BY.key] === MANAGED_BY.value;
}

/** The fields we own, in one canonical form (the server adds metadata and may reorder nothing else). */
function canonical(o: PolicyReportObject): string {
  const results = (o.results ?? []).map((r) => ({ k: resultKey(r), r })).sort((a, b) => cmp(a.k, b.k));
  return stableStringify({
    label: o.metadata.labels?.[MANAGED_BY.key],
    omitted: o.metadata.annotations?.[OMITTED_ANNOTATION],
    source: o.source,
    summary: o.summary,
    results: results.map(({ r }) => ({ ...r, timestamp: r.timestamp ?? null })),
  });
}

/**
 * What to write so the cluster holds `desired`, given the reports read back (`existing`, any order,
 * other tools' reports included and left alone):
 * - a result that was already there keeps its timestamp (the time it was first found), so a rescan that
 *   finds the same things changes nothing and the plan is all `none`;
 * - `update` carries the existing resourceVersion (optimistic concurrency: a conflict means re-read);
 * - our reports that are no longer desired (their namespace has no findings left) are deleted.
 * Deterministic: the plan follows `desired`'s order, then deletions in identity order.
 */
export function planWrites(
  existing: readonly PolicyReportObject[],
  desired: readonly PolicyReportObject[],
): WriteOp[] {
  const have = new Map<string, PolicyReportObject>();
  for (const e of existing) if (isOurs(e)) have.set(identity(e), e);
  const plan: WriteOp[] = [];
  const wanted = new Set<string>();
  for (const d of desired) {
    const id = identity(d);
    wanted.add(id);
    const e = have.get(id);
    if (!e) {
      plan.push({ op: "create", object: d });
      continue;
    }
    const firstSeen = new Map<string, PolicyReportResult["timestamp"]>();
    for (const r of e.results ?? []) if (r.timestamp) firstSeen.set(resultKey(r), r.timestamp);
    const results = d.results.map((r) => {
      const ts = firstSeen.get(resultKey(r));
      return ts ? { ...r, timestamp: { seconds: ts.seconds, nanos: ts.nanos } } : r;
    });
    const merged: PolicyReportObject = { ...d, metadata: { ...d.metadata }, results };
    if (canonical(merged) === canonical(e)) {
      plan.push({ op: "none", object: e });
      continue;
    }
    if (e.metadata.resourceVersion) merged.metadata.resourceVersion = e.metadata.resourceVersion;
    plan.push({ op: "update", object: merged });
  }
  const gone = [...have].filter(([id]) => !wanted.has(id)).sort(([a], [b]) => cmp(a, b));
  for (const [, e] of gone) plan.push({ op: "delete", object: e });
  return plan;
}

/**
 * `-o policyreport`: the wgpolicyk8s.io reports a publish would write, as multi-document YAML that
 * `kubectl apply -f -` accepts (a one-off publish without the controller).
 */
export function renderPolicyReport(report: AuditReport, opts: { failOn?: Severity | "none" }): string {
  return buildPolicyReports(report, { api: "wgpolicyk8s", failOn: opts.failOn ?? "high" })
    .map((o) => stringifyYaml(o))
    .join("---\n");
}

/** Where to publish: issue #7 item 3's order for `auto`; an explicit API that is not served is an error. */
export function chooseReportApi(
  requested: ReportApi | "auto",
  served: { wgpolicyk8s: boolean; openreports: boolean },
): { target: ReportApi | "configmap" } | { error: string } {
  if (requested === "auto")
    return { target: served.openreports ? "openreports" : served.wgpolicyk8s ? "wgpolicyk8s" : "configmap" };
  if (served[requested]) return { target: requested };
  const crd = requested === "openreports" ? "reports.openreports.io" : "policyreports.wgpolicyk8s.io";
  return {
    error: `--report-api ${requested}: the cluster does not serve ${crd} (install its CRD, or use --report-api auto)`,
  };
}

export interface SummaryConfigMap {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion?: string };
  data: { "summary.json": string };
}

/**
 * The fallback when no report API is served: a ConfigMap `kube-runtime-audit` in the auditor's own
 * namespace with the counts a person needs (per result, per severity, per namespace, per rule) and the
 * coverage errors. Counts only, so it stays far below the 1 MiB object limit at any cluster size, and
 * no time: an unchanged audit gives an identical ConfigMap (`planSummaryWrite` then writes nothing).
 */
export function buildSummaryConfigMap(
  report: AuditReport,
  opts: { failOn: Severity | "none"; namespace: string },
): SummaryConfigMap {
  const objs = buildPolicyReports(report, { api: "wgpolicyk8s", failOn: opts.failOn });
  const total: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const namespaces: Record<string, ReportSummary> = {};
  const rules: Record<string, number> = {};
  const severities: Record<string, number> = {};
  for (const o of objs) {
    for (const k of Object.keys(total) as (keyof ReportSummary)[]) total[k] += o.summary[k];
    if (o.metadata.namespace) namespaces[o.metadata.namespace] = o.summary;
    for (const r of o.results) {
      if (r.result !== "fail" && r.result !== "warn") continue;
      rules[r.rule] = (rules[r.rule] ?? 0) + 1;
      if (r.severity) severities[r.severity] = (severities[r.severity] ?? 0) + 1;
    }
  }
  const sortKeys = <T>(o: Record<string, T>) =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => cmp(a, b)));
  const summary = {
    tool: report.metadata.tool,
    version: report.metadata.version,
    target: report.target,
    failOn: opts.failOn,
    results: total,
    bySeverity: sortKeys(severities),
    byRule: sortKeys(rules),
    byNamespace: sortKeys(namespaces),
    coverageErrors: report.coverage.errors.map((e) => `${e.source}: ${e.reason}`),
    coverageSkipped: report.coverage.skipped.map((e) => `${e.source}: ${e.reason}`),
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: REPORT_NAME,
      namespace: opts.namespace,
      labels: { [MANAGED_BY.key]: MANAGED_BY.value },
    },
    data: { "summary.json": `${JSON.stringify(summary, null, 2)}\n` },
  };
}

/** create / update (with the stored resourceVersion) / none, comparing the data only. */
export function planSummaryWrite(
  existing: SummaryConfigMap | undefined,
  desired: SummaryConfigMap,
): { op: "create" | "update" | "none"; object: SummaryConfigMap } {
  if (!existing) return { op: "create", object: desired };
  if (existing.data?.["summary.json"] === desired.data["summary.json"])
    return { op: "none", object: existing };
  const rv = existing.metadata.resourceVersion;
  return {
    op: "update",
    object: { ...desired, metadata: { ...desired.metadata, ...(rv ? { resourceVersion: rv } : {}) } },
  };
}
