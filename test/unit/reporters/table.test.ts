import { describe, expect, it } from "vitest";
import type { AuditReport } from "../../../src/core/report.js";
import { reporters } from "../../../src/reporters/index.js";
import { cleanReport, clusterReport, filesReport, RULES, SAMPLES } from "./sample.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

function render(report: AuditReport, width = 80, color = false): string {
  return reporters.table(report, { rules: RULES, color, width });
}

/** A report that pushes the layout: long names, a long message token, four runtimes. */
function stressReport(): AuditReport {
  const r = filesReport();
  const f = r.findings[0];
  if (f) {
    f.subject = {
      kind: "StatefulSet",
      namespace: "a-very-long-namespace-name-for-the-payments-team",
      name: "postgres-primary-with-an-unreasonably-long-name",
      container: "sidecar-metrics-exporter",
    };
    f.message = `see ${"x".repeat(120)} and then a long message that has to wrap ${"word ".repeat(40)}`;
  }
  r.target.runtimes = ["containerd@1.7", "containerd@2.3", "cri-o@1.37", "cri-dockerd@0.4"];
  return r;
}

/** Lines longer than the width must be a single unbreakable token (plus indentation). */
function overlong(text: string, width: number): string[] {
  return text.split("\n").filter((l) => l.length > width && l.trim().includes(" "));
}

describe("table reporter", () => {
  const reports: Record<string, () => AuditReport> = { ...SAMPLES, stress: stressReport };
  for (const [name, build] of Object.entries(reports)) {
    for (const width of [80, 100, 132]) {
      it(`keeps ${name} within ${width} columns`, () => {
        const out = render(build(), width);
        expect(overlong(out, width)).toEqual([]);
      });
    }
  }

  it("the stress report really has unbreakable tokens, kept whole on their own line", () => {
    const out = render(stressReport(), 80);
    const long = out.split("\n").filter((l) => l.length > 80);
    expect(long.length).toBeGreaterThan(0);
    expect(long.map((l) => l.trim())).toContain("x".repeat(120));
    // Four runtimes do not fit a matrix at 80 columns next to a reference: one block per image instead.
    expect(out).toContain("  cri-dockerd@0.4");
  });

  it("prints no ANSI codes without colour, and the same text with colour", () => {
    for (const build of Object.values(SAMPLES)) {
      const plain = render(build());
      expect(plain).not.toMatch(ANSI);
      const coloured = render(build(), 80, true);
      expect(coloured).toMatch(ANSI);
      expect(coloured.replace(ANSI, "")).toBe(plain);
    }
  });

  it("colours severities and verdicts", () => {
    const out = render(filesReport(), 80, true);
    expect(out).toContain("\u001b[1;31mcritical\u001b[0m");
    expect(out).toContain("\u001b[31mhigh\u001b[0m");
    expect(out).toContain("\u001b[32mcompatible\u001b[0m");
    expect(out).toContain("\u001b[35munknown [4]\u001b[0m");
  });

  it("lists findings most severe first, suppressed ones apart and without gating words", () => {
    const out = render(filesReport());
    const sevs = out
      .split("\n")
      .map((l) => /^(critical|high|medium|low|info) /.exec(l)?.[1])
      .filter(Boolean);
    // Open findings: 2 critical, 2 high, 1 medium, 1 info; then the suppressed medium.
    expect(sevs).toEqual(["critical", "critical", "high", "high", "medium", "info", "medium"]);
    const suppressedAt = out.indexOf("SUPPRESSED (1)");
    expect(suppressedAt).toBeGreaterThan(out.indexOf("info      I007"));
    expect(out.slice(suppressedAt)).toContain("CronJob/web/cache-warmer");
  });

  it("shows subject, file:line and runtime scope for each finding", () => {
    const out = render(filesReport());
    expect(out).toContain("critical  W001 docker-socket-mount DaemonSet/monitoring/datadog-agent[agent]");
    expect(out).toContain("deploy/monitoring/datadog.yaml:88:13");
    expect(out).toContain("deploy/legacy/billing.yaml:31:18 on cri-o@1.37 linux/arm64");
  });

  it("shows the image × runtime matrix with footnoted reasons, including unknown", () => {
    const out = render(filesReport());
    expect(out).toMatch(
      /registry\.example\.com\/legacy\/billing:2014 +incompatible \[1\] +incompatible \[2\]\[3\]/,
    );
    expect(out).toMatch(/\[4\] all checked runtimes and platforms: registry auth failed: 401/);
    expect(out).toContain("[2] cri-o@1.37 (linux/amd64): schema 1 is deprecated");
  });

  it("ends with the counts and the coverage, errors with file:line", () => {
    const out = render(filesReport());
    expect(out).toContain("SUMMARY 6 findings: 2 critical, 2 high, 1 medium, 0 low, 1 info; 1 suppressed");
    expect(out).toContain("COVERAGE scanned 6 files, 14 documents, 13 objects, 7 workloads, 9 containers;");
    expect(out).toContain("deploy/broken.yaml:17:5: YAML parse error");
    expect(out.indexOf("SUMMARY")).toBeLessThan(out.indexOf("COVERAGE"));
  });

  it("a clean report says so and what was scanned", () => {
    const out = render(cleanReport());
    expect(out).toContain("No findings.");
    expect(out).toContain("COVERAGE scanned 2 files, 5 documents, 5 objects, 3 workloads, 4 containers");
    expect(out).not.toContain("IMAGES");
  });

  it("does not call a report with unreadable inputs clean", () => {
    const r = cleanReport();
    r.coverage.errors.push({ source: "x.yaml", line: 3, reason: "unreadable" });
    const out = render(r);
    expect(out).not.toContain("No findings.\n");
    expect(out).toContain("see the coverage errors below");
    expect(out).toContain("x.yaml:3: unreadable");
  });

  it("in cluster mode leaves out the file counts and shows RBAC errors", () => {
    const out = render(clusterReport());
    expect(out).toContain("COVERAGE scanned 212 objects, 48 workloads, 61 containers");
    expect(out).toContain("batch/v1 cronjobs (namespace payments): forbidden: RBAC 403");
  });
});
