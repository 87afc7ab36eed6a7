/**
 * `-o markdown`: for a pull-request comment (GitHub Flavored Markdown, https://github.github.com/gfm/).
 * Counts first, then the findings table, suppressed findings folded away, the image verdicts and the
 * coverage. Every value from the input is escaped: a pipe in a message must not split a table cell, and
 * `<none>` must not become an HTML tag.
 */
import type { AuditReport } from "../core/report.js";
import type { Finding } from "../core/types.js";
import { isClusterReport, nodeGroups, type Section, sectionOf, ticketLine } from "./cluster.js";
import {
  formatCell,
  formatLocation,
  formatScope,
  formatSubject,
  genericKindsText,
  oneLine,
  openFindings,
  ruleIndex,
  SEVERITIES_DESC,
  scannedText,
  subjectExtras,
  suppressedFindings,
  suppressionText,
  TOOL_NAME,
  verdictMatrix,
} from "./common.js";
import type { RenderOptions } from "./index.js";

/**
 * Escapes text for a GFM paragraph or table cell: backslash-escapes the inline markup characters
 * (https://github.github.com/gfm/#backslash-escapes), turns `<`, `>`, `&` into entities, and puts the
 * value on one line. `\|` is also how GFM keeps a pipe inside a table cell
 * (https://github.github.com/gfm/#tables-extension-).
 */
export function mdText(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_[\]|#~]/g, (c) => `\\${c}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * A code span. In a table cell a pipe still ends the cell even inside backticks, so it is written `\|`
 * there (GFM example 200); the fence is longer than any backtick run in the value.
 */
export function mdCode(text: string, inTable: boolean): string {
  let value = oneLine(text);
  if (inTable) value = value.replace(/\|/g, "\\|");
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = value.startsWith("`") || value.endsWith("`") ? " " : "";
  return `${fence}${pad}${value}${pad}${fence}`;
}

export function mdLink(text: string, url: string): string {
  // encodeURIComponent leaves parentheses alone, and they would end the link destination.
  const dest = url.replace(
    /[()\s<>]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return `[${mdText(text)}](${dest})`;
}

function findingsTable(findings: readonly Finding[]): string[] {
  const out = ["| Severity | Rule | Subject | Location | Message |", "| --- | --- | --- | --- | --- |"];
  for (const f of findings) {
    const sev = f.severity === "critical" || f.severity === "high" ? `**${f.severity}**` : f.severity;
    const rule = `${mdLink(f.ruleId, f.docs)} ${mdText(f.slug)}`;
    const subject = [mdCode(formatSubject(f.subject), true), ...subjectExtras(f.subject).map(mdText)].join(
      "<br>",
    );
    const where = [formatLocation(f.origin), formatScope(f)]
      .filter((p): p is string => !!p)
      .map((p, i) => (i === 0 && f.origin.file ? mdCode(p, true) : mdText(p)))
      .join("<br>");
    const why = f.suppressed ? `<br>*${mdText(suppressionText(f))}*` : "";
    const message = `${mdText(f.message)}<br>**Fix:** ${mdText(f.remediation)}${why}`;
    out.push(`| ${sev} | ${rule} | ${subject} | ${where || "-"} | ${message} |`);
  }
  return out;
}

export function renderMarkdown(report: AuditReport, opts: RenderOptions): string {
  const s = report.summary;
  const t = report.target;
  const out: string[] = [`### ${TOOL_NAME} report`, ""];
  out.push(
    s.total === 0
      ? `**No findings**${report.coverage.errors.length ? " in the inputs that could be read (see the coverage errors)" : ""}${s.suppressed ? `, ${s.suppressed} suppressed` : ""}.`
      : `**${s.total} finding${s.total === 1 ? "" : "s"}**${s.suppressed ? `, ${s.suppressed} suppressed` : ""}.`,
    "",
    `Target: Kubernetes ${mdText(t.kubernetes)}; runtimes ${t.runtimes.map((r) => mdCode(r, false)).join(", ")}; ` +
      `platforms ${t.platforms.map((p) => mdCode(p, false)).join(", ")}`,
    "",
    `| ${SEVERITIES_DESC.join(" | ")} | suppressed |`,
    `| ${SEVERITIES_DESC.map(() => "---:").join(" | ")} | ---: |`,
    `| ${SEVERITIES_DESC.map((sev) => s.bySeverity[sev]).join(" | ")} | ${s.suppressed} |`,
  );

  const open = openFindings(report);
  const suppressed = suppressedFindings(report);
  if (isClusterReport(report)) {
    out.push(...clusterSections(report, opts));
  } else if (open.length) {
    // Most severe first; within a severity the report's own (file, line) order.
    const ordered = SEVERITIES_DESC.flatMap((sev) => open.filter((f) => f.severity === sev));
    out.push("", "#### Findings", "", ...findingsTable(ordered));
  }
  if (suppressed.length) {
    out.push(
      "",
      `<details><summary>Suppressed findings (${suppressed.length})</summary>`,
      "",
      ...findingsTable(suppressed),
      "",
      "</details>",
    );
  }

  if (report.images?.length && !isClusterReport(report)) out.push(...imageMatrix(report));

  const c = report.coverage;
  out.push("", "#### Coverage", "", `Scanned ${mdText(scannedText(c))}.`);
  const generic = genericKindsText(c);
  if (generic) out.push("", `${mdText(generic)}.`);
  const issues = (title: string, list: typeof c.errors) => {
    if (list.length === 0) return;
    out.push("", title, "");
    for (const i of list) {
      const where = formatLocation({ file: i.source, line: i.line, column: i.column }) ?? i.source;
      out.push(`- ${mdCode(where, false)}: ${mdText(i.reason)}`);
    }
  };
  issues(`**Skipped (${c.skipped.length})**`, c.skipped);
  issues(`**Warnings (${c.warnings?.length ?? 0})**`, c.warnings ?? []);
  issues(
    `**Errors (${c.errors.length})**: these inputs were not audited; the report is incomplete.`,
    c.errors,
  );

  out.push(
    "",
    `<sub>${TOOL_NAME} ${mdText(report.metadata.version)}, generated ${mdText(report.metadata.generatedAt)}</sub>`,
  );
  return `${out.join("\n")}\n`;
}

/** The image × runtime verdict matrix. */
function imageMatrix(report: AuditReport, title = "#### Images"): string[] {
  const m = verdictMatrix(report);
  const out: string[] = [];
  out.push(
    "",
    title,
    "",
    `| Image | ${m.runtimes.map((r) => mdText(r)).join(" | ")} |`,
    `| --- | ${m.runtimes.map(() => "---").join(" | ")} |`,
  );
  for (const row of m.rows) {
    const cells = row.cells.map((c) => {
      const text = mdText(formatCell(c));
      return c.verdict === "incompatible" ? `**${text}**` : text;
    });
    out.push(`| ${mdCode(row.image.reference, true)} | ${cells.join(" | ")} |`);
  }
  if (m.notes.length) {
    out.push("");
    for (const n of m.notes) out.push(`- \\[${n.n}\\] ${mdText(n.scope)}: ${mdText(n.text)}`);
  }
  return out;
}

/** A cluster report: the nodes (grouped rows, then node findings), workloads and images sections. */
function clusterSections(report: AuditReport, opts: RenderOptions): string[] {
  const rules = ruleIndex(opts.rules);
  const open = openFindings(report);
  const ordered = (s: Section) =>
    SEVERITIES_DESC.flatMap((sev) => open.filter((f) => f.severity === sev && sectionOf(f, rules) === s));
  const out: string[] = [
    "",
    mdText(ticketLine(report, rules)),
    "",
    `#### Nodes (${report.nodes?.length ?? 0})`,
    "",
  ];
  const groups = nodeGroups(report);
  if (groups.length === 0) out.push("No nodes could be read.");
  else {
    out.push("| Runtime class | Runtime | Kubelet | Nodes | e.g. |", "| --- | --- | --- | ---: | --- |");
    for (const g of groups)
      out.push(
        `| ${mdText(g.runtimeClass)} | ${mdText(`${g.runtime.name} ${g.runtime.version}`.trim())} | ${mdText(g.kubeletVersion || "?")} | ${g.count} | ${mdText(g.examples.join(", ") + (g.count > g.examples.length ? ", …" : ""))} |`,
      );
  }
  const nodeFindings = ordered("nodes");
  if (nodeFindings.length) out.push("", ...findingsTable(nodeFindings));
  const workloads = ordered("workloads");
  out.push("", `#### Workloads (${workloads.length} finding${workloads.length === 1 ? "" : "s"})`, "");
  out.push(...(workloads.length ? findingsTable(workloads) : ["No workload findings."]));
  const images = ordered("images");
  out.push("", `#### Images (${images.length} finding${images.length === 1 ? "" : "s"})`, "");
  if (!report.images) out.push("Images were not checked (`--no-images`).");
  else {
    if (images.length) out.push(...findingsTable(images));
    if (report.images.length) out.push(...imageMatrix(report, "Verdicts per runtime:"));
  }
  return out;
}
