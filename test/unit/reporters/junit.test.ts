import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import type { AuditReport } from "../../../src/core/report.js";
import type { Severity } from "../../../src/core/types.js";
import { reporters } from "../../../src/reporters/index.js";
import { xmlAttr, xmlText } from "../../../src/reporters/junit.js";
import { cleanReport, clusterReport, filesReport, RULES, SAMPLES } from "./sample.js";

function junit(report: AuditReport, failOn?: Severity): string {
  return reporters.junit(report, { rules: RULES, color: false, width: 80, ...(failOn ? { failOn } : {}) });
}

interface Case {
  "@_classname": string;
  "@_name": string;
  failure?: { "@_message": string; "@_type": string; "#text": string };
  skipped?: { "@_message": string };
  error?: { "@_message": string };
  "system-out"?: string;
}
interface Suite {
  "@_name": string;
  "@_tests": string;
  "@_failures": string;
  "@_skipped": string;
  testcase: Case[];
}

function parse(xml: string): { root: Record<string, string>; suites: Suite[]; cases: Case[] } {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => name === "testsuite" || name === "testcase",
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: true,
  }).parse(xml) as { testsuites: Record<string, string> & { testsuite: Suite[] } };
  const suites = doc.testsuites.testsuite;
  return { root: doc.testsuites, suites, cases: suites.flatMap((s) => s.testcase) };
}

describe("junit reporter", () => {
  for (const [name, build] of Object.entries(SAMPLES)) {
    it(`${name} is well-formed XML whose counts add up`, () => {
      const { root, suites, cases } = parse(junit(build()));
      expect(Number(root["@_tests"])).toBe(cases.length);
      expect(Number(root["@_failures"])).toBe(cases.filter((c) => c.failure).length);
      expect(Number(root["@_skipped"])).toBe(cases.filter((c) => c.skipped !== undefined).length);
      expect(Number(root["@_errors"])).toBe(cases.filter((c) => c.error !== undefined).length);
      for (const s of suites) expect(Number(s["@_tests"])).toBe(s.testcase.length);
    });
  }

  it("has one suite per rule and one case per finding", () => {
    const { suites, cases } = parse(junit(filesReport()));
    const ruleSuites = suites.filter((s) => s["@_name"] !== "coverage");
    expect(ruleSuites.map((s) => s["@_name"].split(" ")[0])).toEqual([
      "W001",
      "W004",
      "W006",
      "I001",
      "I004",
      "I007",
    ]);
    const w001 = cases.find((c) => c["@_classname"] === "W001.docker-socket-mount");
    expect(w001?.["@_name"]).toBe(
      "DaemonSet/monitoring/datadog-agent[agent] deploy/monitoring/datadog.yaml:88:13",
    );
    expect(cases.filter((c) => c["@_classname"] !== "kube-runtime-audit.coverage")).toHaveLength(7);
  });

  it("fails findings at or above failOn (default high), passes the rest with details", () => {
    const byDefault = parse(junit(filesReport())).cases;
    expect(byDefault.filter((c) => c.failure).map((c) => c.failure?.["@_type"])).toEqual([
      "critical",
      "high",
      "critical",
      "high",
    ]);
    const passedMedium = byDefault.find((c) => c["@_name"].startsWith("Deployment/web/frontend deploy"));
    expect(passedMedium?.failure).toBeUndefined();
    expect(passedMedium?.["system-out"]).toContain("medium W006 seccomp-annotation");

    const strict = parse(junit(filesReport(), "info")).cases;
    expect(strict.filter((c) => c.failure)).toHaveLength(6);
    const lax = parse(junit(filesReport(), "critical")).cases;
    expect(lax.filter((c) => c.failure)).toHaveLength(2);
  });

  it("skips suppressed findings and makes unreadable inputs errors", () => {
    const { cases } = parse(junit(filesReport()));
    const skipped = cases.filter((c) => c.skipped !== undefined);
    expect(skipped.map((c) => c["@_name"])).toEqual(["CronJob/web/cache-warmer deploy/web/cron.yaml:9:9"]);
    const errors = cases.filter((c) => c.error !== undefined);
    expect(errors.map((c) => c["@_name"])).toEqual([
      "deploy/broken.yaml:17:5",
      "charts/unrendered/templates/deployment.yaml",
    ]);
  });

  it("escapes markup and survives control characters", () => {
    const r = filesReport();
    const f = r.findings.find((x) => x.ruleId === "W004");
    if (!f) throw new Error("sample changed");
    f.message = `a "quoted" <tag> & 'apos' ]]> --> ctrl\u0001\u001b[31m and a lone \ud800 surrogate`;
    f.subject.name = `<evil & "name">`;
    const xml = junit(r);
    const { cases } = parse(xml);
    const c = cases.find((x) => x["@_classname"] === "W004.docker-log-path");
    expect(c?.["@_name"]).toContain(`<evil & "name">`);
    expect(c?.failure?.["@_message"]).toBe(
      `a "quoted" <tag> & 'apos' ]]> --> ctrl\ufffd\ufffd[31m and a lone \ufffd surrogate`,
    );
    expect(c?.failure?.["#text"]).toContain(`<tag> & 'apos'`);
  });

  it("escape helpers", () => {
    expect(xmlText("a<b>&c")).toBe("a&lt;b&gt;&amp;c");
    expect(xmlAttr(`"x'\ny`)).toBe("&quot;x&apos;&#10;y");
    expect(xmlText("ok \u{1F600} emoji")).toBe("ok \u{1F600} emoji");
  });

  it("a clean report has one passing case, so CI shows the audit ran", () => {
    const { root, cases } = parse(junit(cleanReport()));
    expect(root["@_tests"]).toBe("1");
    expect(root["@_failures"]).toBe("0");
    expect(cases[0]?.["@_name"]).toBe("audit");
    expect(cases[0]?.["system-out"]).toContain("scanned 2 files, 5 documents");
  });

  it("cluster findings are named by subject alone", () => {
    const { cases } = parse(junit(clusterReport()));
    expect(cases.find((c) => c["@_classname"] === "N002.cgroup-v1-node")?.["@_name"]).toBe("Node/worker-3");
  });
});
