/**
 * Reporters: AuditReport → string, one file per `-o` format (docs/ARCHITECTURE.md). Pure and deterministic: the
 * only time in any output is `report.metadata.generatedAt`. The CLI picks the reporter, decides colour
 * (TTY, NO_COLOR) and width, and writes the result to stdout.
 */
import type { AuditReport } from "../core/report.js";
import type { RuleMeta, Severity } from "../core/types.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { renderSarif } from "./sarif.js";
import { renderTable } from "./table.js";
import { renderWide } from "./wide.js";
import { renderYaml } from "./yaml.js";

// `policyreport` (wgpolicyk8s.io PolicyReport objects, https://github.com/kubernetes-sigs/wg-policy-prototypes/tree/master/policy-report) comes with the publishing issue:
// add it to this union and OUTPUT_FORMATS, write src/reporters/policyreport.ts, and register it below.
export type OutputFormat = "table" | "wide" | "json" | "yaml" | "markdown" | "sarif" | "junit";

export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  "table",
  "wide",
  "json",
  "yaml",
  "markdown",
  "sarif",
  "junit",
];

export interface RenderOptions {
  /** Metadata of every rule that ran (SARIF lists them; titles for the human formats). */
  rules: readonly RuleMeta[];
  /** ANSI colour; only the table and wide formats use it. */
  color: boolean;
  /** Terminal columns; the table format keeps every line within it (default 80). */
  width: number;
  /**
   * The --fail-on threshold (default "high"; "none" as in GateOptions: nothing fails). Only JUnit uses
   * it: findings at or above it are `<failure>`s, below it passed test cases. It never changes the exit
   * code (that is the gate's job, src/core/report.ts).
   */
  failOn?: Severity | "none";
}

export type Reporter = (report: AuditReport, opts: RenderOptions) => string;

export const reporters: Record<OutputFormat, Reporter> = {
  table: renderTable,
  wide: renderWide,
  json: renderJson,
  yaml: renderYaml,
  markdown: renderMarkdown,
  sarif: renderSarif,
  junit: renderJunit,
};
