/**
 * `-o wide`: like kubectl's, one row per finding with every column (remediation and docs URL included),
 * aligned, never wrapped; for wide terminals and for `grep`/`awk`. Then one row per image verdict, the
 * counts and the coverage.
 */
import type { AuditReport } from "../core/report.js";
import {
  formatLocation,
  formatSubject,
  oneLine,
  type Paint,
  painter,
  suppressionText,
  verdictExplanation,
} from "./common.js";
import type { RenderOptions } from "./index.js";
import { coverageLines, headerLines, summaryLines } from "./table.js";

const GAP = "   ";

/** Aligns columns; `style` colours a cell after padding so ANSI codes never shift the alignment. */
function columns(
  header: string[],
  rows: string[][],
  paint: Paint,
  style: (row: number, col: number, text: string) => string = (_r, _c, t) => t,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[], row: number) =>
    cells
      .map((c, i) => {
        const pad = i === cells.length - 1 ? "" : " ".repeat((widths[i] ?? 0) - c.length);
        return (row < 0 ? c : style(row, i, c)) + pad;
      })
      .join(GAP);
  return [paint("dim", line(header, -1)), ...rows.map((r, i) => line(r, i))];
}

export function renderWide(report: AuditReport, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const unbounded = Number.MAX_SAFE_INTEGER;
  const out: string[] = [...headerLines(report, unbounded, paint), ""];

  const findings = report.findings;
  if (findings.length === 0) {
    out.push(
      report.coverage.errors.length ? "No findings in the inputs that could be read." : "No findings.",
    );
  } else {
    const rows = findings.map((f) => [
      f.severity,
      f.ruleId,
      f.slug,
      f.suppressed ? suppressionText(f) : "open",
      formatSubject(f.subject),
      formatLocation(f.origin) ?? (f.origin.uid ? `uid:${f.origin.uid}` : "-"),
      f.runtime ?? "-",
      f.platform ?? "-",
      oneLine(f.message),
      oneLine(f.remediation),
      f.docs,
    ]);
    const header = [
      "SEVERITY",
      "RULE",
      "SLUG",
      "STATUS",
      "SUBJECT",
      "LOCATION",
      "RUNTIME",
      "PLATFORM",
      "MESSAGE",
      "REMEDIATION",
      "DOCS",
    ];
    out.push(
      ...columns(header, rows, paint, (r, c, t) => {
        const f = findings[r];
        if (!f) return t;
        if (f.suppressed) return paint("dim", t);
        return c === 0 ? paint.severity(f.severity, t) : t;
      }),
    );
  }

  const images = report.images ?? [];
  if (images.length) {
    const verdicts = images.flatMap((img) => img.verdicts.map((v) => ({ img, v })));
    const rows = verdicts.map(({ img, v }) => [
      img.reference,
      img.digest ?? "-",
      v.runtime,
      v.platform,
      v.verdict,
      verdictExplanation(v) ?? "-",
    ]);
    out.push(
      "",
      ...columns(["IMAGE", "DIGEST", "RUNTIME", "PLATFORM", "VERDICT", "REASON"], rows, paint, (r, c, t) => {
        const v = verdicts[r]?.v;
        return c === 4 && v ? paint.verdict(v.verdict, t) : t;
      }),
    );
  }

  out.push("", ...summaryLines(report, unbounded, paint), "", ...coverageLines(report, unbounded, paint));
  return `${out.join("\n")}\n`;
}
