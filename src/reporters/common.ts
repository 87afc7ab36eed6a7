/**
 * Helpers shared by the reporters: how a subject, a location and a verdict are written, word wrapping,
 * and ANSI colour. Pure string functions; no I/O.
 */
import type { AuditReport, ImageReport, ImageVerdict, Verdict } from "../core/report.js";
import { type Finding, type RuleMeta, SEVERITIES, type Severity, type Subject } from "../core/types.js";

export const TOOL_NAME = "kube-runtime-audit";
export const TOOL_URI = "https://github.com/kube-runtime-audit/kube-runtime-audit";

/** Most severe first: the order an SRE reads in. */
export const SEVERITIES_DESC: readonly Severity[] = [...SEVERITIES].reverse();

/**
 * `Kind/namespace/name`, or `Kind/name` without a namespace; the container in brackets
 * (`Deployment/monitoring/agent[datadog]`) so that a 3-part string is never ambiguous between
 * "namespace/name" and "name/container".
 */
export function formatSubject(s: Subject): string {
  let out = s.namespace ? `${s.kind}/${s.namespace}/${s.name}` : `${s.kind}/${s.name}`;
  if (s.container) out += `[${s.container}]`;
  return out;
}

/** Extra subject facts not already in the name: image and node. */
export function subjectExtras(s: Subject): string[] {
  const out: string[] = [];
  if (s.image && s.image !== s.name) out.push(`image ${s.image}`);
  if (s.node && s.node !== s.name) out.push(`node ${s.node}`);
  return out;
}

/** `file:line[:col]`, or undefined when the finding has no file (cluster mode). */
export function formatLocation(o: { file?: string; line?: number; column?: number }): string | undefined {
  if (!o.file) return undefined;
  if (o.line === undefined) return o.file;
  return o.column === undefined ? `${o.file}:${o.line}` : `${o.file}:${o.line}:${o.column}`;
}

/** Runtime and platform a per-runtime verdict applies to, e.g. "on cri-o@1.34 linux/arm64". */
export function formatScope(f: Finding): string | undefined {
  const parts = [f.runtime, f.platform].filter((p): p is string => !!p);
  return parts.length ? `on ${parts.join(" ")}` : undefined;
}

/** Collapses whitespace (including newlines) so a value fits one cell or line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function ruleIndex(rules: readonly RuleMeta[]): Map<string, RuleMeta> {
  return new Map(rules.map((r) => [r.id, r]));
}

export function openFindings(report: AuditReport): Finding[] {
  return report.findings.filter((f) => !f.suppressed);
}

/**
 * Who suppressed a finding, for the human formats: "suppressed by annotation", "suppressed by --ignore",
 * "suppressed by config: <the exemption's reason>".
 */
export function suppressionText(f: Finding): string {
  if (f.suppressedBy === "config")
    return f.suppressionReason ? `suppressed by config: ${f.suppressionReason}` : "suppressed by config";
  if (f.suppressedBy === "flag") return "suppressed by --ignore";
  if (f.suppressedBy === "annotation") return "suppressed by annotation";
  return "suppressed";
}

export function suppressedFindings(report: AuditReport): Finding[] {
  return report.findings.filter((f) => f.suppressed);
}

/** "2 critical, 1 high, 0 medium, 0 low, 0 info" */
export function severityCounts(report: AuditReport): string {
  return SEVERITIES_DESC.map((s) => `${report.summary.bySeverity[s]} ${s}`).join(", ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "6 files, 14 documents, ...; images: 3 checked, 1 unknown". Cluster mode reads no files: no "0 files". */
export function scannedText(c: AuditReport["coverage"]): string {
  const clusterMode = c.files === 0 && c.documents === 0 && c.objects > 0;
  const parts = [
    ...(clusterMode ? [] : [plural(c.files, "file"), plural(c.documents, "document")]),
    plural(c.objects, "object"),
    plural(c.workloads, "workload"),
    plural(c.containers, "container"),
  ];
  const images = c.images ? `; images: ${c.images.checked} checked, ${c.images.unknown} unknown` : "";
  return `${parts.join(", ")}${images}`;
}

/**
 * The coverage line for kinds outside the pod layout table whose pods were found by walking the object
 * for `containers` lists (coverage.genericKinds): their audit is a guess, so the report says so.
 */
export function genericKindsText(c: AuditReport["coverage"]): string | undefined {
  if (!c.genericKinds?.length) return undefined;
  return `Kinds audited by their containers lists (not in the kind table, so the pod layout is guessed): ${c.genericKinds.join(", ")}`;
}

// ---- image verdicts -------------------------------------------------------------------------------

/** Worst first. `unknown` ranks above `warning`: an unverified image is a bigger risk than a known caveat. */
const VERDICT_ORDER: readonly Verdict[] = ["incompatible", "unknown", "warning", "compatible"];

function worstVerdict(verdicts: readonly Verdict[]): Verdict | undefined {
  for (const v of VERDICT_ORDER) if (verdicts.includes(v)) return v;
  return undefined;
}

/** The runtimes to show as columns: the target's, then any extra a verdict names (stable order). */
function imageRuntimes(report: AuditReport): string[] {
  const out = [...report.target.runtimes];
  for (const img of report.images ?? []) {
    for (const v of img.verdicts) if (!out.includes(v.runtime)) out.push(v.runtime);
  }
  return out;
}

/** Why a verdict is what it is, one line: the reason, else the findings behind it. */
export function verdictExplanation(v: ImageVerdict): string | undefined {
  if (v.reason) return oneLine(v.reason);
  if (v.findings.length) return v.findings.map((f) => `${f.ruleId} ${oneLine(f.message)}`).join("; ");
  return undefined;
}

export interface VerdictCell {
  runtime: string;
  /** Undefined when the image has no verdict for this runtime. */
  verdict?: Verdict;
  /** Footnote numbers (1-based, per report) explaining a non-compatible verdict. */
  notes: number[];
}

export interface VerdictNote {
  n: number;
  image: string;
  /** "cri-o@1.37 linux/arm64, containerd@2.3 linux/arm64" */
  scope: string;
  verdict: Verdict;
  text: string;
}

export interface VerdictMatrix {
  runtimes: string[];
  rows: { image: ImageReport; cells: VerdictCell[] }[];
  notes: VerdictNote[];
}

/**
 * Folds per-(runtime, platform) verdicts into one cell per (image, runtime): the worst verdict across
 * platforms, with footnotes that keep the platform and the reason (identical explanations share a note).
 */
export function verdictMatrix(report: AuditReport): VerdictMatrix {
  const runtimes = imageRuntimes(report);
  const notes: VerdictNote[] = [];
  const rows = (report.images ?? []).map((image) => {
    const byText = new Map<string, { verdict: Verdict; scopes: string[]; n?: number }>();
    const cellNotes = new Map<string, Set<string>>();
    for (const v of image.verdicts) {
      if (v.verdict === "compatible") continue;
      const text = verdictExplanation(v) ?? v.verdict;
      const key = `${v.verdict}\u0000${text}`;
      const entry = byText.get(key) ?? { verdict: v.verdict, scopes: [] };
      entry.scopes.push(`${v.runtime} ${v.platform}`);
      byText.set(key, entry);
      const set = cellNotes.get(v.runtime) ?? new Set<string>();
      set.add(key);
      cellNotes.set(v.runtime, set);
    }
    const allScopes = new Set(image.verdicts.map((v) => `${v.runtime} ${v.platform}`));
    for (const [key, entry] of byText) {
      entry.n = notes.length + 1;
      notes.push({
        n: entry.n,
        image: image.reference,
        scope: describeScope(image, entry.scopes, allScopes),
        verdict: entry.verdict,
        text: key.slice(key.indexOf("\u0000") + 1),
      });
    }
    const cells = runtimes.map((runtime): VerdictCell => {
      const vs = image.verdicts.filter((v) => v.runtime === runtime).map((v) => v.verdict);
      const verdict = worstVerdict(vs);
      const ns = [...(cellNotes.get(runtime) ?? [])].map((k) => byText.get(k)?.n ?? 0).sort((a, b) => a - b);
      return verdict ? { runtime, verdict, notes: ns } : { runtime, notes: [] };
    });
    return { image, cells };
  });
  return { runtimes, rows, notes };
}

/**
 * Names the (runtime, platform) pairs a note covers, shortest first: "all checked runtimes and platforms",
 * a bare runtime when it covers all of that runtime's platforms, else "runtime (platform, platform)".
 */
function describeScope(image: ImageReport, scopes: readonly string[], all: ReadonlySet<string>): string {
  const mine = new Set(scopes);
  if (mine.size === all.size && all.size > 1) return "all checked runtimes and platforms";
  const byRuntime = new Map<string, string[]>();
  for (const v of image.verdicts) {
    if (!mine.has(`${v.runtime} ${v.platform}`)) continue;
    const list = byRuntime.get(v.runtime) ?? [];
    if (!list.includes(v.platform)) list.push(v.platform);
    byRuntime.set(v.runtime, list);
  }
  return [...byRuntime]
    .map(([runtime, platforms]) => {
      const total = new Set(image.verdicts.filter((v) => v.runtime === runtime).map((v) => v.platform)).size;
      return platforms.length === total && total > 1 ? runtime : `${runtime} (${platforms.join(", ")})`;
    })
    .join(", ");
}

export function formatCell(c: VerdictCell): string {
  if (!c.verdict) return "-";
  return c.notes.length ? `${c.verdict} ${c.notes.map((n) => `[${n}]`).join("")}` : c.verdict;
}

// ---- text layout ----------------------------------------------------------------------------------

/**
 * Greedy word wrap. Each output line starts with `indent` and is at most `width` columns, except when a
 * single word (a path, a digest, a URL) is longer than the room left: it is kept whole on its own line,
 * since a broken digest or URL cannot be copied.
 */
export function wrap(text: string, width: number, indent = "", firstIndent = indent): string[] {
  const words = oneLine(text).split(" ").filter(Boolean);
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  for (const w of words) {
    if (empty) {
      line += w;
      empty = false;
    } else if (line.length + 1 + w.length <= width) {
      line += ` ${w}`;
    } else {
      lines.push(line);
      line = indent + w;
    }
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

export function padEnd(text: string, n: number): string {
  return text.length >= n ? text : text + " ".repeat(n - text.length);
}

// ---- colour ---------------------------------------------------------------------------------------

/** SGR codes, https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_(Select_Graphic_Rendition)_parameters */
const SGR = {
  bold: "1",
  dim: "2",
  red: "31",
  green: "32",
  yellow: "33",
  blue: "34",
  magenta: "35",
  cyan: "36",
  boldRed: "1;31",
} as const;

export type Style = keyof typeof SGR;

export interface Paint {
  (style: Style, text: string): string;
  severity(s: Severity, text: string): string;
  verdict(v: Verdict, text: string): string;
}

const SEVERITY_STYLE: Record<Severity, Style> = {
  critical: "boldRed",
  high: "red",
  medium: "yellow",
  low: "cyan",
  info: "dim",
};

const VERDICT_STYLE: Record<Verdict, Style> = {
  compatible: "green",
  incompatible: "boldRed",
  warning: "yellow",
  unknown: "magenta",
};

/** Colours are applied after layout, so widths are always computed on plain text. */
export function painter(color: boolean): Paint {
  const paint = ((style: Style, text: string) =>
    color && text ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text) as Paint;
  paint.severity = (s, text) => paint(SEVERITY_STYLE[s], text);
  paint.verdict = (v, text) => paint(VERDICT_STYLE[v], text);
  return paint;
}
