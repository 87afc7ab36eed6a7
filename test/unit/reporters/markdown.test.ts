import { describe, expect, it } from "vitest";
import type { AuditReport } from "../../../src/core/report.js";
import { reporters } from "../../../src/reporters/index.js";
import { mdCode, mdLink, mdText } from "../../../src/reporters/markdown.js";
import { cleanReport, filesReport, RULES } from "./sample.js";

function md(report: AuditReport): string {
  return reporters.markdown(report, { rules: RULES, color: false, width: 80 });
}

/** Cell separators of a GFM table row: pipes not preceded by a backslash. */
function columns(row: string): number {
  return row.split(/(?<!\\)\|/).length - 2;
}

describe("markdown reporter", () => {
  it("escapes pipes so every table row keeps its column count", () => {
    const r = filesReport();
    const f = r.findings.find((x) => x.ruleId === "W004");
    if (!f) throw new Error("sample changed");
    f.subject.container = "a|b";
    f.remediation = "use | instead";
    const out = md(r);
    const lines = out.split("\n");
    let header = 0;
    for (const line of lines) {
      if (!line.startsWith("|")) {
        header = 0;
        continue;
      }
      if (header === 0) header = columns(line);
      else expect(columns(line), line).toBe(header);
    }
    expect(out).toContain("\\`docker\\` parser \\| json");
    expect(out).toContain("`DaemonSet/logging/fluent-bit[a\\|b]`");
    expect(out).toContain("use \\| instead");
  });

  it("turns angle brackets and ampersands into entities", () => {
    const out = md(filesReport());
    expect(out).toContain("&lt;timestamp&gt; &lt;stream&gt;");
    expect(out).toContain("/var/log/pods &amp; the parser");
    expect(out).not.toMatch(/<timestamp>/);
  });

  it("has summary, findings (most severe first), folded suppressed findings, images and coverage", () => {
    const out = md(filesReport());
    expect(out).toContain("| 2 | 2 | 1 | 0 | 1 | 1 |");
    const order = [
      "#### Findings",
      "<details><summary>Suppressed findings (1)",
      "#### Images",
      "#### Coverage",
    ];
    const at = order.map((h) => out.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const rows = out
      .split("\n")
      .filter((l) => /^\| (\*\*)?(critical|high|medium|low|info)(\*\*)? \| \[/.test(l));
    expect(rows.map((l) => /(critical|high|medium|low|info)/.exec(l)?.[1])).toEqual([
      "critical",
      "critical",
      "high",
      "high",
      "medium",
      "info",
      "medium",
    ]);
    expect(out).toContain("| `registry.example.com/legacy/billing:2014` | **incompatible \\[1\\]** |");
    expect(out).toContain("registry auth failed: 401 Unauthorized");
    expect(out).toContain("`deploy/broken.yaml:17:5`: YAML parse error");
  });

  it("a clean report says so and what was scanned", () => {
    const out = md(cleanReport());
    expect(out).toContain("**No findings**.");
    expect(out).toContain("Scanned 2 files, 5 documents, 5 objects, 3 workloads, 4 containers.");
    expect(out).not.toContain("#### Findings");
  });

  it("does not call a report with unreadable inputs clean", () => {
    const r = cleanReport();
    r.coverage.errors.push({ source: "x.yaml", line: 3, reason: "unreadable" });
    const out = md(r);
    expect(out).toContain("**No findings** in the inputs that could be read (see the coverage errors).");
    expect(out).toContain("- `x.yaml:3`: unreadable");
  });

  it("escape helpers", () => {
    expect(mdText("a|b *c* _d_ [e](f) <g> & `h`")).toBe(
      "a\\|b \\*c\\* \\_d\\_ \\[e\\](f) &lt;g&gt; &amp; \\`h\\`",
    );
    expect(mdText("two\nlines")).toBe("two lines");
    expect(mdCode("a|b", true)).toBe("`a\\|b`");
    expect(mdCode("a|b", false)).toBe("`a|b`");
    expect(mdCode("x `y` z", false)).toBe("``x `y` z``");
    expect(mdCode("`x", false)).toBe("`` `x ``");
    expect(mdLink("W|1", "https://x.test/a (b).md")).toBe("[W\\|1](https://x.test/a%20%28b%29.md)");
  });
});
