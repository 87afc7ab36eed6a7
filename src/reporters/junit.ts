/**
 * `-o junit`: JUnit XML as read by CI test reports (Jenkins, GitLab, Azure Pipelines, GitHub actions that
 * publish test results). There is no formal standard; this follows the common Ant/Surefire shape
 * (https://github.com/testmoapp/junitxml): <testsuites> → one <testsuite> per rule → one <testcase> per
 * finding. Findings at or above `failOn` are <failure>s, below it passed cases with the details in
 * <system-out>, suppressed ones <skipped>. Inputs that could not be read are <error>s of a "coverage"
 * suite. A clean report still has one passing case, so CI shows that the audit ran.
 */
import type { AuditReport } from "../core/report.js";
import { type Finding, type RuleMeta, type Severity, severityRank } from "../core/types.js";
import {
  formatLocation,
  formatScope,
  formatSubject,
  oneLine,
  scannedText,
  severityCounts,
  suppressionText,
  TOOL_NAME,
} from "./common.js";
import type { RenderOptions } from "./index.js";

/**
 * XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF even as character references
 * (https://www.w3.org/TR/xml/#charsets); they are replaced, not escaped.
 */
// Written as "everything but the allowed ranges" (Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD]
// | surrogate pairs), plus lone surrogates.
const INVALID_XML =
  /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\ud800-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function xmlText(s: string): string {
  return s.replace(INVALID_XML, "\ufffd").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Attribute values: also quotes, and whitespace as references so parsers do not normalise it away. */
export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join("");
}

function details(f: Finding): string {
  const lines = [
    `${f.severity} ${f.ruleId} ${f.slug}: ${oneLine(f.message)}`,
    `subject: ${formatSubject(f.subject)}`,
  ];
  const where = formatLocation(f.origin);
  if (where) lines.push(`location: ${where}`);
  const scope = formatScope(f);
  if (scope) lines.push(`applies ${scope}`);
  if (f.subject.image) lines.push(`image: ${f.subject.image}`);
  lines.push(`remediation: ${oneLine(f.remediation)}`, `docs: ${f.docs}`);
  return lines.join("\n");
}

interface Case {
  classname: string;
  name: string;
  /** Inner XML (already escaped). */
  body: string;
  outcome: "passed" | "failure" | "skipped" | "error";
}

function findingCase(f: Finding, failOn: Severity | "none"): Case {
  const where = formatLocation(f.origin);
  const scope = [f.runtime, f.platform].filter(Boolean).join(" ");
  const name = [formatSubject(f.subject), where, scope && `(${scope})`].filter(Boolean).join(" ");
  const classname = `${f.ruleId}.${f.slug}`;
  if (f.suppressed) {
    return {
      classname,
      name,
      outcome: "skipped",
      body: `<skipped${attrs({ message: `${suppressionText(f)} (${f.severity}): ${oneLine(f.message)}` })}/>`,
    };
  }
  if (failOn !== "none" && severityRank(f.severity) >= severityRank(failOn)) {
    return {
      classname,
      name,
      outcome: "failure",
      body: `<failure${attrs({ message: oneLine(f.message), type: f.severity })}>${xmlText(details(f))}</failure>`,
    };
  }
  return { classname, name, outcome: "passed", body: `<system-out>${xmlText(details(f))}</system-out>` };
}

function suite(name: string, cases: Case[], extra: Record<string, string> = {}): string {
  const count = (o: Case["outcome"]) => cases.filter((c) => c.outcome === o).length;
  const head = `  <testsuite${attrs({
    name,
    tests: cases.length,
    failures: count("failure"),
    errors: count("error"),
    skipped: count("skipped"),
    time: 0,
    ...extra,
  })}>`;
  const body = cases.map((c) => {
    const open = `    <testcase${attrs({ classname: c.classname, name: c.name, time: 0 })}`;
    return c.body ? `${open}>\n      ${c.body}\n    </testcase>` : `${open}/>`;
  });
  return [head, ...body, "  </testsuite>"].join("\n");
}

function coverageText(report: AuditReport): string {
  const c = report.coverage;
  const warnings = c.warnings?.length ? `, warnings: ${c.warnings.length}` : "";
  return `scanned ${scannedText(c)}; skipped: ${c.skipped.length}, errors: ${c.errors.length}${warnings}`;
}

export function renderJunit(report: AuditReport, opts: RenderOptions): string {
  const failOn = opts.failOn ?? "high";
  const metas = new Map<string, RuleMeta>(opts.rules.map((r) => [r.id, r]));
  const suites: { name: string; cases: Case[] }[] = [];

  // Suites in rule order (as given), then any rule without metadata in order of appearance.
  const ruleIds = [...new Set([...opts.rules.map((r) => r.id), ...report.findings.map((f) => f.ruleId)])];
  for (const id of ruleIds) {
    const fs = report.findings.filter((f) => f.ruleId === id);
    if (fs.length === 0) continue;
    const meta = metas.get(id);
    const title = meta ? `${id} ${meta.slug}: ${meta.title}` : `${id} ${fs[0]?.slug ?? ""}`;
    suites.push({ name: title, cases: fs.map((f) => findingCase(f, failOn)) });
  }

  const errors = report.coverage.errors.map(
    (i): Case => ({
      classname: `${TOOL_NAME}.coverage`,
      name: formatLocation({ file: i.source, line: i.line, column: i.column }) ?? i.source,
      outcome: "error",
      body: `<error${attrs({ message: oneLine(i.reason), type: "not-audited" })}/>`,
    }),
  );
  if (errors.length) suites.push({ name: "coverage", cases: errors });

  // Nothing open (clean, or everything suppressed): one passing case, so CI shows the audit ran.
  if (report.summary.total === 0) {
    suites.unshift({
      name: TOOL_NAME,
      cases: [
        {
          classname: TOOL_NAME,
          name: "audit",
          outcome: "passed",
          body: `<system-out>${xmlText(`no open findings (${report.summary.suppressed} suppressed); ${coverageText(report)}`)}</system-out>`,
        },
      ],
    });
  }

  const all = suites.flatMap((s) => s.cases);
  const count = (o: Case["outcome"]) => all.filter((c) => c.outcome === o).length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({
      name: `${TOOL_NAME} ${report.metadata.version}`,
      tests: all.length,
      failures: count("failure"),
      errors: count("error"),
      skipped: count("skipped"),
      time: 0,
      timestamp: report.metadata.generatedAt,
    })}>`,
    // JUnit has no standard place for run-wide facts at this level; a comment keeps them for a human reader.
    `  <!-- ${xmlComment(`target Kubernetes ${report.target.kubernetes}; runtimes ${report.target.runtimes.join(", ")}; ${severityCounts(report)}; ${failOn === "none" ? "findings never fail" : `failing at ${failOn} and above`}`)} -->`,
    ...suites.map((s) => suite(s.name, s.cases)),
    "</testsuites>",
  ];
  return `${out.join("\n")}\n`;
}

/** "--" may not appear inside an XML comment, nor "-" at its end (https://www.w3.org/TR/xml/#sec-comments). */
function xmlComment(s: string): string {
  return s
    .replace(INVALID_XML, "\ufffd")
    .replace(/-{2,}/g, (m) => m.split("").join(" "))
    .replace(/-$/, "- ");
}
