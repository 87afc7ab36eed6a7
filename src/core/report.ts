/**
 * The versioned report (README "JSON contract") and the gate that turns it into an
 * exit decision (docs/ARCHITECTURE.md "The gate"). `apiVersion` changes only with a breaking change to this shape.
 */
import type { NodeEntry } from "./node.js";
import type { Target } from "./target.js";
import { formatPlatform } from "./target.js";
import { type Finding, SEVERITIES, type Severity, severityRank } from "./types.js";
import { formatVersion } from "./version.js";

export const REPORT_API_VERSION = "runtime-audit.io/v1alpha1";
export const REPORT_KIND = "AuditReport";

export type Verdict = "compatible" | "incompatible" | "warning" | "unknown";

export interface ImageVerdict {
  /** `<name>@<version>` exactly as given in --target-runtime. */
  runtime: string;
  /** `os/arch[/variant]`. */
  platform: string;
  verdict: Verdict;
  /** The findings behind a non-compatible verdict (same objects as in the top-level list). */
  findings: Finding[];
  /** Always set for `unknown` (auth, network, rate limit...); a short explanation otherwise. */
  reason?: string;
}

/** The manifest tree the `image` command prints (media types, sizes, platforms). */
export interface ManifestNode {
  digest: string;
  /** The HTTP Content-Type for the top level, else the descriptor's or body's media type. */
  mediaType?: string;
  size: number;
  /** `os/arch[/variant]` from the index entry, or from the config for a single manifest. */
  platform?: string;
  artifactType?: string;
  /** False for index entries that were not fetched (not a candidate for the asked platforms). */
  fetched: boolean;
  config?: { mediaType?: string; digest: string; size: number };
  layers?: { mediaType?: string; digest: string; size: number; urls?: string[] }[];
  children?: ManifestNode[];
}

export interface ImageReport {
  /** As written in the manifest or on the command line. */
  reference: string;
  normalized: string;
  digest?: string;
  mediaType?: string;
  verdicts: ImageVerdict[];
  /** Set by the `image` command: the manifest tree as fetched. */
  manifest?: ManifestNode;
  /** Where the image is used (files mode: file:line; cluster mode: workloads). */
  usedBy?: ImageUse[];
}

/** A workload container that uses an image. */
export interface ImageUse {
  kind: string;
  namespace?: string;
  name: string;
  container?: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface CoverageIssue {
  /** The file (files mode) or object/API (cluster mode) concerned. */
  source: string;
  line?: number;
  column?: number;
  /** Why it was skipped or failed, one line. */
  reason: string;
}

export interface Coverage {
  files: number;
  documents: number;
  objects: number;
  workloads: number;
  containers: number;
  images?: { checked: number; unknown: number };
  /**
   * Kinds not in the pod layout table whose containers were found by walking the object for `containers`
   * lists ("Kind.group"); set only when there are some. Their audit is as good as the walk's guess.
   */
  genericKinds?: string[];
  /** Inputs we read but deliberately did not audit (unknown kinds are counted, not listed). */
  skipped: CoverageIssue[];
  /** Inputs we could not read or parse, and rules that failed: the report is incomplete (exit 2). */
  errors: CoverageIssue[];
  /** What the user should fix but that did not stop the audit: ignore annotations that name an unknown rule or suppress nothing. */
  warnings?: CoverageIssue[];
}

export interface Summary {
  total: number;
  suppressed: number;
  bySeverity: Record<Severity, number>;
}

export interface AuditReport {
  apiVersion: typeof REPORT_API_VERSION;
  kind: typeof REPORT_KIND;
  metadata: { generatedAt: string; tool: string; version: string };
  target: { kubernetes: string; runtimes: string[]; platforms: string[] };
  summary: Summary;
  findings: Finding[];
  images?: ImageReport[];
  /** Cluster mode: every node with its runtime class, runtime and kubelet (additive to `files` reports). */
  nodes?: NodeEntry[];
  coverage: Coverage;
}

export function emptyCoverage(): Coverage {
  return { files: 0, documents: 0, objects: 0, workloads: 0, containers: 0, skipped: [], errors: [] };
}

function summarize(findings: readonly Finding[]): Summary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let suppressed = 0;
  for (const f of findings) {
    if (f.suppressed) suppressed++;
    else bySeverity[f.severity]++;
  }
  return { total: findings.length - suppressed, suppressed, bySeverity };
}

/** Byte-wise string order: stable across locales and much cheaper than localeCompare on 100k findings. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable order: file, line, rule, subject; so reports diff cleanly between runs. */
function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      cmp(a.origin.file ?? "", b.origin.file ?? "") ||
      (a.origin.line ?? 0) - (b.origin.line ?? 0) ||
      (a.origin.column ?? 0) - (b.origin.column ?? 0) ||
      cmp(a.ruleId, b.ruleId) ||
      cmp(a.subject.namespace ?? "", b.subject.namespace ?? "") ||
      cmp(a.subject.name, b.subject.name) ||
      cmp(a.subject.container ?? "", b.subject.container ?? "") ||
      cmp(a.runtime ?? "", b.runtime ?? "") ||
      cmp(a.message, b.message),
  );
}

export function buildReport(args: {
  target: Target;
  findings: Finding[];
  coverage: Coverage;
  images?: ImageReport[];
  nodes?: NodeEntry[];
  generatedAt: string;
  version: string;
}): AuditReport {
  const findings = sortFindings(args.findings.map(stripPath));
  const report: AuditReport = {
    apiVersion: REPORT_API_VERSION,
    kind: REPORT_KIND,
    metadata: { generatedAt: args.generatedAt, tool: "kube-runtime-audit", version: args.version },
    target: {
      kubernetes: formatVersion(args.target.kubernetes),
      runtimes: args.target.runtimes.map((r) => r.label),
      platforms: args.target.platforms.map(formatPlatform),
    },
    summary: summarize(findings),
    findings,
    coverage: args.coverage,
  };
  if (args.images) report.images = args.images;
  if (args.nodes) report.nodes = args.nodes;
  return report;
}

function stripPath(f: Finding): Finding {
  if (f.path === undefined) return f;
  const { path: _path, ...rest } = f;
  return rest;
}

export interface GateOptions {
  /** "none": findings never fail the gate (report-only runs). */
  failOn: Severity | "none";
  failOnUnknown: boolean;
}

/** 0 = pass, 1 = the gate failed. (2, "could not run", is decided by the CLI.) */
export function gate(report: AuditReport, opts: GateOptions): 0 | 1 {
  const threshold = opts.failOn === "none" ? Number.POSITIVE_INFINITY : severityRank(opts.failOn);
  if (report.findings.some((f) => !f.suppressed && severityRank(f.severity) >= threshold)) return 1;
  if (opts.failOnUnknown && report.images?.some((i) => i.verdicts.some((v) => v.verdict === "unknown")))
    return 1;
  return 0;
}
