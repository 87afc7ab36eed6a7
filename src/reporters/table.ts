/**
 * `-o table` (the default): what an SRE reads in an 80-column terminal. Findings are listed most severe
 * first with the severity in the left column (the eye runs down it), then the image × runtime verdicts,
 * the counts, and the coverage: a clean report says what was scanned, or it cannot be trusted.
 * Layout is computed on plain text; colour is added afterwards and only when `opts.color`.
 */
import type { AuditReport, ManifestNode } from "../core/report.js";
import type { Finding, RuleMeta } from "../core/types.js";
import { isClusterReport, nodeGroups, type Section, sectionOf, ticketLine } from "./cluster.js";
import {
  formatCell,
  formatLocation,
  formatScope,
  formatSubject,
  genericKindsText,
  openFindings,
  type Paint,
  padEnd,
  painter,
  ruleIndex,
  SEVERITIES_DESC,
  scannedText,
  severityCounts,
  subjectExtras,
  suppressedFindings,
  suppressionText,
  TOOL_NAME,
  verdictMatrix,
  wrap,
} from "./common.js";
import type { RenderOptions } from "./index.js";

/** Narrower than this and the layout cannot keep its columns; callers get at least this. */
const MIN_WIDTH = 40;
/** "critical" + 2 spaces: the severity column. */
const SEV_COL = 10;

export function renderTable(report: AuditReport, opts: RenderOptions): string {
  const width = Math.max(opts.width > 0 ? opts.width : 80, MIN_WIDTH);
  const paint = painter(opts.color);
  const out: string[] = [];
  out.push(...headerLines(report, width, paint), "");
  if (isClusterReport(report)) {
    out.push(...clusterLines(report, width, paint, ruleIndex(opts.rules)));
    out.push("", ...summaryLines(report, width, paint));
    // Not wrapped: it is meant to be copied whole into a change ticket.
    out.push(ticketLine(report, ruleIndex(opts.rules)));
    out.push("", ...coverageLines(report, width, paint));
    return `${out.join("\n")}\n`;
  }
  out.push(...findingLines(report, width, paint));
  if (report.images?.some((i) => i.manifest)) out.push("", ...manifestLines(report, width, paint));
  if (report.images?.length) out.push("", ...imageLines(report, width, paint));
  out.push("", ...summaryLines(report, width, paint));
  out.push("", ...coverageLines(report, width, paint));
  return `${out.join("\n")}\n`;
}

export function headerLines(report: AuditReport, width: number, paint: Paint): string[] {
  const t = report.target;
  const target =
    `Target: Kubernetes ${t.kubernetes}; runtimes ${t.runtimes.join(", ")}; ` +
    `platforms ${t.platforms.join(", ")}`;
  return [paint("bold", `${TOOL_NAME} ${report.metadata.version}`), ...wrap(target, width, "  ", "")];
}

function findingLines(report: AuditReport, width: number, paint: Paint): string[] {
  const open = openFindings(report);
  const suppressed = suppressedFindings(report);
  const out: string[] = [paint("bold", `FINDINGS (${open.length})`)];
  if (open.length === 0) {
    out.push(
      report.coverage.errors.length
        ? "No findings in the inputs that could be read; see the coverage errors below."
        : "No findings.",
    );
  }
  let first = true;
  for (const sev of SEVERITIES_DESC) {
    const group = open.filter((f) => f.severity === sev);
    if (group.length === 0) continue;
    if (!first) out.push("");
    first = false;
    for (const f of group) out.push(...findingBlock(f, width, paint, true));
  }
  if (suppressed.length) {
    out.push("", paint("bold", `SUPPRESSED (${suppressed.length})`));
    for (const f of suppressed) out.push(...findingBlock(f, width, paint, false).map((l) => paint("dim", l)));
  }
  return out;
}

/** Open findings most severe first, a blank line between severities. */
function severityBlocks(findings: readonly Finding[], width: number, paint: Paint): string[] {
  const out: string[] = [];
  for (const sev of SEVERITIES_DESC) {
    const group = findings.filter((f) => f.severity === sev);
    if (group.length === 0) continue;
    if (out.length) out.push("");
    for (const f of group) out.push(...findingBlock(f, width, paint, true));
  }
  return out;
}

/**
 * A cluster report: NODES (one row per runtime class × runtime version × kubelet version, then the node
 * findings), WORKLOADS (findings on top owners), IMAGES (image findings and the verdict matrix).
 */
function clusterLines(
  report: AuditReport,
  width: number,
  paint: Paint,
  rules: ReadonlyMap<string, RuleMeta>,
): string[] {
  const open = openFindings(report);
  const of = (s: Section) => open.filter((f) => sectionOf(f, rules) === s);
  const groups = nodeGroups(report);
  const nodes = report.nodes?.length ?? 0;
  const out: string[] = [paint("bold", `NODES (${nodes.toLocaleString("en-US")})`)];
  if (groups.length === 0) out.push("No nodes could be read.");
  else {
    const rows = groups.map((g) => [
      g.runtimeClass,
      `${g.runtime.name} ${g.runtime.version}`.trim(),
      g.kubeletVersion || "?",
      String(g.count),
      g.examples.join(", ") + (g.count > g.examples.length ? ", …" : ""),
    ]);
    const head = ["CLASS", "RUNTIME", "KUBELET", "NODES", "E.G."];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (r: readonly string[]) => {
      const fixed = r
        .slice(0, 4)
        .map((c, i) => (i === 3 ? c.padStart(w[3] ?? 0) : padEnd(c, w[i] ?? 0)))
        .join("  ");
      const rest = width - fixed.length - 2;
      const last = r[4] ?? "";
      return rest >= 8 ? `${fixed}  ${last.length > rest ? `${last.slice(0, rest - 1)}…` : last}` : fixed;
    };
    out.push(paint("dim", line(head)), ...rows.map(line));
  }
  const nodeFindings = of("nodes");
  if (nodeFindings.length) out.push("", ...severityBlocks(nodeFindings, width, paint));
  const workloads = of("workloads");
  out.push("", paint("bold", `WORKLOADS (${workloads.length} finding${workloads.length === 1 ? "" : "s"})`));
  out.push(...(workloads.length ? severityBlocks(workloads, width, paint) : ["No workload findings."]));
  const images = of("images");
  out.push("", paint("bold", `IMAGES (${images.length} finding${images.length === 1 ? "" : "s"})`));
  if (!report.images) out.push("Images were not checked (--no-images).");
  else {
    if (images.length) out.push(...severityBlocks(images, width, paint));
    if (report.images.length) out.push("", ...imageLines(report, width, paint));
  }
  const suppressed = suppressedFindings(report);
  if (suppressed.length) {
    out.push("", paint("bold", `SUPPRESSED (${suppressed.length})`));
    for (const f of suppressed) out.push(...findingBlock(f, width, paint, false).map((l) => paint("dim", l)));
  }
  return out;
}

/**
 *     critical  W001 docker-socket-mount Deployment/monitoring/agent[datadog]
 *               manifests/datadog.yaml:42:11 on containerd@2.3
 *               The message, wrapped to the width...
 */
function findingBlock(f: Finding, width: number, paint: Paint, withMessage: boolean): string[] {
  const indent = " ".repeat(SEV_COL);
  const sevLabel = padEnd(f.severity, SEV_COL);
  const head = wrap(`${f.ruleId} ${f.slug} ${formatSubject(f.subject)}`, width, indent, sevLabel);
  const lines = head.map((l, i) =>
    i === 0
      ? paint.severity(f.severity, f.severity) +
        l.slice(f.severity.length, SEV_COL) +
        paint("bold", f.ruleId) +
        l.slice(SEV_COL + f.ruleId.length)
      : l,
  );
  const where = [formatLocation(f.origin), formatScope(f)].filter((p): p is string => !!p);
  for (const text of [where.join(" "), ...subjectExtras(f.subject)]) {
    if (text) lines.push(...wrap(text, width, indent).map((l) => paint("dim", l)));
  }
  if (withMessage) lines.push(...wrap(f.message, width, indent));
  else if (f.suppressed) lines.push(...wrap(suppressionText(f), width, indent));
  return lines;
}

function imageLines(report: AuditReport, width: number, paint: Paint): string[] {
  const m = verdictMatrix(report);
  const out: string[] = [paint("bold", `IMAGES (${m.rows.length})`)];
  const colWidths = m.runtimes.map((rt, i) =>
    Math.max(rt.length, ...m.rows.map((r) => formatCell(r.cells[i] ?? { runtime: rt, notes: [] }).length)),
  );
  const cellsWidth = colWidths.reduce((a, w) => a + w + 2, 0);
  const longestRef = Math.max(5, ...m.rows.map((r) => r.image.reference.length));
  const imageCol = Math.min(longestRef, width - cellsWidth);
  const cells = (cs: string[], colour: boolean, row?: (typeof m.rows)[number]) =>
    cs
      .map((c, i) => {
        const padded = i === cs.length - 1 ? c : padEnd(c, colWidths[i] ?? 0);
        const v = row?.cells[i]?.verdict;
        return colour && v ? paint.verdict(v, c) + padded.slice(c.length) : padded;
      })
      .join("  ");
  if (imageCol >= 20) {
    // Matrix: one row per image, one column per runtime. A reference longer than its column gets a line
    // of its own (references are not broken: they must stay copyable).
    out.push(paint("dim", `${padEnd("IMAGE", imageCol)}  ${cells(m.runtimes, false)}`));
    for (const row of m.rows) {
      const cs = cells(row.cells.map(formatCell), true, row);
      if (row.image.reference.length <= imageCol) out.push(`${padEnd(row.image.reference, imageCol)}  ${cs}`);
      else out.push(row.image.reference, `${" ".repeat(imageCol)}  ${cs}`);
    }
  } else {
    // Too many runtimes for a matrix at this width: one block per image.
    for (const row of m.rows) {
      out.push(row.image.reference);
      for (const c of row.cells) {
        const cell = formatCell(c);
        out.push(
          `  ${padEnd(c.runtime, Math.max(...m.runtimes.map((r) => r.length)))}  ${c.verdict ? paint.verdict(c.verdict, cell) : cell}`,
        );
      }
    }
  }
  for (const n of m.notes) {
    const label = `[${n.n}] `;
    out.push(...wrap(`${n.scope}: ${n.text}`, width, " ".repeat(label.length + 2), `  ${label}`));
  }
  return out;
}

/** The manifest tree of each image (the `image` command): media types, sizes, platforms. */
function manifestLines(report: AuditReport, width: number, paint: Paint): string[] {
  const out: string[] = [paint("bold", "MANIFESTS")];
  const short = (d: string) => d.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1");
  const size = (n: number) =>
    n >= 1024 * 1024
      ? `${(n / 1048576).toFixed(1)} MiB`
      : n >= 1024
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${n} B`;
  const walk = (n: ManifestNode, indent: string, label: string) => {
    const head = [label, n.platform, n.mediaType ?? "(no media type)", size(n.size), short(n.digest)].filter(
      Boolean,
    );
    out.push(...wrap(head.join("  "), width, `${indent}    `, indent));
    if (!n.fetched) {
      out.push(`${indent}  ${paint("dim", "(not fetched: not a candidate for the asked platforms)")}`);
      return;
    }
    if (n.artifactType)
      out.push(...wrap(`artifactType ${n.artifactType}`, width, `${indent}    `, `${indent}  `));
    if (n.config) {
      out.push(
        ...wrap(
          `config  ${n.config.mediaType ?? "(none)"}  ${size(n.config.size)}`,
          width,
          `${indent}    `,
          `${indent}  `,
        ),
      );
    }
    for (const l of n.layers ?? []) {
      const urls = l.urls?.length ? `  urls: ${l.urls.join(", ")}` : "";
      out.push(
        ...wrap(
          `layer   ${l.mediaType ?? "(none)"}  ${size(l.size)}${urls}`,
          width,
          `${indent}    `,
          `${indent}  `,
        ),
      );
    }
    for (const c of n.children ?? []) walk(c, `${indent}  `, "-");
  };
  for (const img of report.images ?? []) {
    if (!img.manifest) continue;
    out.push(img.reference);
    walk(img.manifest, "  ", "");
  }
  return out;
}

export function summaryLines(report: AuditReport, width: number, paint: Paint): string[] {
  const s = report.summary;
  const counts = severityCounts(report);
  const text = `SUMMARY ${s.total} finding${s.total === 1 ? "" : "s"}: ${counts}; ${s.suppressed} suppressed`;
  return wrap(text, width, "  ", "").map((l, i) => (i === 0 ? paint("bold", "SUMMARY") + l.slice(7) : l));
}

export function coverageLines(report: AuditReport, width: number, paint: Paint): string[] {
  const c = report.coverage;
  const out = wrap(`COVERAGE scanned ${scannedText(c)}`, width, "  ", "").map((l, i) =>
    i === 0 ? paint("bold", "COVERAGE") + l.slice(8) : l,
  );
  const issues = (title: string, list: typeof c.skipped, style: "yellow" | "red") => {
    if (list.length === 0) return;
    out.push(...wrap(title, width, "    ", "  ").map((l) => paint(style, l)));
    for (const i of list) {
      const where = formatLocation({ file: i.source, line: i.line, column: i.column }) ?? i.source;
      out.push(...wrap(`${where}: ${i.reason}`, width, "      ", "    "));
    }
  };
  const generic = genericKindsText(c);
  if (generic) out.push(...wrap(generic, width, "    ", "  "));
  issues(`Skipped (${c.skipped.length}):`, c.skipped, "yellow");
  issues(`Warnings (${c.warnings?.length ?? 0}):`, c.warnings ?? [], "yellow");
  issues(
    `Errors (${c.errors.length}): these inputs were not audited, the report is incomplete`,
    c.errors,
    "red",
  );
  return out;
}
