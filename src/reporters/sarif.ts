/**
 * `-o sarif`: SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) for code
 * scanning UIs (GitHub code scanning, Azure DevOps, IDE viewers). One run; every rule that ran is a
 * reportingDescriptor, every finding a result. Coverage problems and unverifiable images become tool
 * execution notifications, so a viewer can tell "clean" from "could not look".
 */
import type * as Sarif from "sarif";
import type { AuditReport } from "../core/report.js";
import { docsUrl } from "../core/rule.js";
import type { Finding, RuleMeta, Severity } from "../core/types.js";
import { formatSubject, oneLine, TOOL_NAME, TOOL_URI, verdictExplanation } from "./common.js";
import type { RenderOptions } from "./index.js";

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** SARIF has three result levels (§3.27.10); critical/high fail a build, medium warns, the rest inform. */
export function sarifLevel(s: Severity): Sarif.Result.level {
  if (s === "critical" || s === "high") return "error";
  if (s === "medium") return "warning";
  return "note";
}

/**
 * GitHub code scanning reads `properties["security-severity"]` (a number as a string) to rank alerts:
 * >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
 * (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#reportingdescriptor-object).
 * `info` gets none: it is not a security problem.
 */
const SECURITY_SEVERITY: Partial<Record<Severity, string>> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
};

/**
 * A path as the user gave it, as a URI reference (§3.4.3): forward slashes, each segment
 * percent-encoded so a space or `#` in a file name stays part of the path.
 */
export function fileUri(file: string): string {
  return file
    .replace(/\\/g, "/")
    .split("/")
    .map((seg) => encodeURIComponent(seg))
    .join("/");
}

function descriptor(rule: RuleMeta): Sarif.ReportingDescriptor {
  const d: Sarif.ReportingDescriptor = {
    id: rule.id,
    name: rule.slug,
    shortDescription: { text: rule.title },
    fullDescription: { text: oneLine(rule.description) },
    help: { text: oneLine(rule.remediation) },
    helpUri: docsUrl(rule.id),
    defaultConfiguration: { level: sarifLevel(rule.defaultSeverity) },
    properties: { tags: ["kubernetes", "container-runtime", rule.category] },
  };
  const sec = SECURITY_SEVERITY[rule.defaultSeverity];
  if (sec && d.properties) d.properties["security-severity"] = sec;
  return d;
}

/** A rule we have no metadata for (should not happen; the finding still needs a descriptor to point at). */
function descriptorFromFinding(f: Finding): Sarif.ReportingDescriptor {
  return {
    id: f.ruleId,
    name: f.slug,
    shortDescription: { text: f.slug },
    helpUri: f.docs,
    defaultConfiguration: { level: sarifLevel(f.severity) },
  };
}

function physical(
  file: string | undefined,
  line?: number,
  column?: number,
): Sarif.PhysicalLocation | undefined {
  // "-" is stdin: there is no artifact to point at.
  if (!file || file === "-") return undefined;
  const loc: Sarif.PhysicalLocation = { artifactLocation: { uri: fileUri(file) } };
  if (line !== undefined && line >= 1) {
    loc.region =
      column !== undefined && column >= 1 ? { startLine: line, startColumn: column } : { startLine: line };
  }
  return loc;
}

function location(f: Finding): Sarif.Location {
  const loc: Sarif.Location = {};
  const phys = physical(f.origin.file, f.origin.line, f.origin.column);
  if (phys) loc.physicalLocation = phys;
  // The Kubernetes object is the logical location in both modes; in cluster mode it is the only one.
  const logical: Sarif.LogicalLocation = {
    name: f.subject.container ?? f.subject.name,
    fullyQualifiedName: formatSubject(f.subject),
    kind: "resource",
  };
  loc.logicalLocations = [logical];
  return loc;
}

function result(f: Finding, ruleIndex: number): Sarif.Result {
  const r: Sarif.Result = {
    ruleId: f.ruleId,
    ruleIndex,
    level: sarifLevel(f.severity),
    message: { text: oneLine(f.message) },
    locations: [location(f)],
  };
  const props: Sarif.PropertyBag = { severity: f.severity, subject: f.subject, remediation: f.remediation };
  if (f.runtime) props.runtime = f.runtime;
  if (f.platform) props.platform = f.platform;
  if (f.origin.uid) props.uid = f.origin.uid;
  if (f.evidence) props.evidence = f.evidence;
  r.properties = props;
  // An ignore annotation lives in the manifest ("inSource"); --ignore and anything we cannot attribute
  // is "external" (https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/sarif-v2.1.0-os.html#_Toc34317710).
  // A config exemption's reason is the suppression's justification (§3.35.5).
  if (f.suppressed) {
    const s: Sarif.Suppression = { kind: f.suppressedBy === "annotation" ? "inSource" : "external" };
    if (f.suppressionReason) s.justification = f.suppressionReason;
    r.suppressions = [s];
  }
  return r;
}

function notifications(report: AuditReport): Sarif.Notification[] {
  const out: Sarif.Notification[] = [];
  const issue = (
    level: Sarif.Notification.level,
    what: string,
    i: AuditReport["coverage"]["errors"][number],
  ) => {
    const n: Sarif.Notification = { level, message: { text: `${what}: ${i.source}: ${oneLine(i.reason)}` } };
    const phys = i.line !== undefined ? physical(i.source, i.line, i.column) : undefined;
    if (phys) n.locations = [{ physicalLocation: phys }];
    out.push(n);
  };
  for (const i of report.coverage.errors) issue("error", "not audited", i);
  for (const i of report.coverage.skipped) issue("note", "skipped", i);
  for (const i of report.coverage.warnings ?? []) issue("warning", "warning", i);
  for (const img of report.images ?? []) {
    for (const v of img.verdicts) {
      if (v.verdict !== "unknown") continue;
      out.push({
        level: "warning",
        message: {
          text: `image ${img.reference} could not be verified on ${v.runtime} ${v.platform}: ${verdictExplanation(v) ?? "unknown"}`,
        },
      });
    }
  }
  return out;
}

function buildSarif(report: AuditReport, opts: RenderOptions): Sarif.Log {
  const rules: Sarif.ReportingDescriptor[] = opts.rules.map(descriptor);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  for (const f of report.findings) {
    if (!index.has(f.ruleId)) {
      index.set(f.ruleId, rules.length);
      rules.push(descriptorFromFinding(f));
    }
  }
  const run: Sarif.Run = {
    tool: {
      driver: {
        name: TOOL_NAME,
        version: report.metadata.version,
        semanticVersion: report.metadata.version,
        informationUri: TOOL_URI,
        rules,
      },
    },
    // Columns come from JavaScript string offsets, i.e. UTF-16 code units (§3.14.22).
    columnKind: "utf16CodeUnits",
    results: report.findings.map((f) => result(f, index.get(f.ruleId) ?? -1)),
    properties: { target: report.target, summary: report.summary, coverage: countsOnly(report) },
  };
  const notes = notifications(report);
  if (notes.length) run.invocations = [{ executionSuccessful: true, toolExecutionNotifications: notes }];
  return { $schema: SARIF_SCHEMA, version: "2.1.0", runs: [run] };
}

function countsOnly(report: AuditReport): Record<string, unknown> {
  const { skipped, errors, warnings, ...counts } = report.coverage;
  const out: Record<string, unknown> = { ...counts, skipped: skipped.length, errors: errors.length };
  if (warnings) out.warnings = warnings.length;
  return out;
}

export function renderSarif(report: AuditReport, opts: RenderOptions): string {
  return `${JSON.stringify(buildSarif(report, opts), null, 2)}\n`;
}
