/** `-o json`: the versioned report exactly as built (README "JSON contract"), 2-space indent. */
import type { AuditReport } from "../core/report.js";

export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
