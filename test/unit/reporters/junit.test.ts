import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import type { AuditReport } from "../../../src/core/report.js";
import type { Severity } from "../../../src/core/types.js";
import { reporters } from "../../../src/reporters/index.js";
import { xmlAttr, xmlText } from "../../../src/reporters/junit.js";
import { cleanReport, clusterReport, filesReport, RULES, SAMPLES } from "./sample.js";

function junit(report: AuditReport, failOn?: Severity | "none"): string {
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

/**
 * Well-formedness: fast-xml-parser's validator checks the structure (tags, nesting, repeated
 * attributes, `&`/`<` in text) but lets `&` and `<` pass inside attribute values and accepts characters
 * XML 1.0 forbids, so those three are checked here (https://www.w3.org/TR/xml/#NT-AttValue, #charsets).
 */
function wellFormed(xml: string): string | true {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return JSON.stringify(valid.err);
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(xml)) return "bare &";
  for (const m of xml.matchAll(/="([^"]*)"/g)) if (m[1]?.includes("<")) return `< in attribute ${m[0]}`;
  if (/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\ud800-\udfff]/.test(xml)) return "character not allowed in XML";
  return true;
}

function parse(xml: string): { root: Record<string, string>; suites: Suite[]; cases: Case[] } {
  const valid = wellFormed(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid}`);
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
    const none = parse(junit(filesReport(), "none"));
    expect(none.cases.filter((c) => c.failure)).toHaveLength(0);
    expect(none.root["@_failures"]).toBe("0");
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

  it("the well-formedness check catches what bad escaping would produce", () => {
    expect(wellFormed('<a b="x"/>')).toBe(true);
    expect(wellFormed('<a b="x &amp; y &#10;"/>')).toBe(true);
    expect(wellFormed('<a b="x & y"/>')).not.toBe(true);
    expect(wellFormed('<a b="x < y"/>')).not.toBe(true);
    expect(wellFormed("<a>x & y</a>")).not.toBe(true);
    expect(wellFormed("<a>\u0001</a>")).not.toBe(true);
    expect(wellFormed("<a><b></a>")).not.toBe(true);
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
