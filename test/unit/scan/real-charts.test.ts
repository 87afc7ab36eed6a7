/**
 * The files gate on real charts rendered by `helm template` (test/fixtures/real-charts, each file's
 * header names the chart, commit and command): it reports exactly what a careful reader flags
 * (test/fixtures/real-charts/expected.ts) and nothing else.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding } from "../../../src/core/types.js";
import { scanFiles } from "../../../src/scan/files.js";
import { type ExpectedFinding, realCharts } from "../../fixtures/real-charts/expected.js";

const DIR = join(import.meta.dirname, "../../fixtures/real-charts");
const target = makeTarget({});

type Row = Omit<ExpectedFinding, "why">;

/** What the finding is about: the volume's hostPath, the env variable, the command, the image or the config key. */
function at(f: Finding): string {
  const e = f.evidence ?? {};
  return e.hostPath ?? e.name ?? e.commands ?? e.image ?? e.key ?? "";
}

function row(f: Finding): Row {
  const r: Row = {
    rule: f.ruleId,
    severity: f.severity,
    kind: f.subject.kind,
    name: f.subject.name,
    at: at(f),
  };
  if (f.subject.container !== undefined) r.container = f.subject.container;
  return r;
}

const order = (a: Row, b: Row) =>
  JSON.stringify([a.rule, a.kind, a.name, a.container ?? "", a.at]).localeCompare(
    JSON.stringify([b.rule, b.kind, b.name, b.container ?? "", b.at]),
  );

describe("files gate on real chart renders", () => {
  it("every fixture has expectations and every expectation a fixture", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
    expect(realCharts.map((c) => c.fixture).sort()).toEqual(files.sort());
  });

  it("fixtures are helm's output under a provenance header", () => {
    for (const c of realCharts) {
      const text = readFileSync(join(DIR, c.fixture), "utf8");
      const header = text.slice(0, text.indexOf("\n---\n"));
      expect(header, c.fixture).toMatch(/^# source: {2}https:\/\/github\.com\/\S+ at commit [0-9a-f]{40} /m);
      expect(header, c.fixture).toContain(`(${c.chart} ${c.version},`);
      expect(header, c.fixture).toMatch(/^# command: helm template /m);
      expect(header, c.fixture).toMatch(/^# license: \S+/m);
    }
  });

  it("the README names every chart and version the gate is tested on", () => {
    const readme = readFileSync(join(DIR, "../../../README.md"), "utf8");
    const para = readme.slice(readme.indexOf("**Tested on real charts.**")).split("\n\n")[0] ?? "";
    for (const c of realCharts)
      expect(para.replace(/\s+/g, " "), c.fixture).toContain(`${c.chart} ${c.version}`);
  });

  for (const c of realCharts) {
    const test = c.todo === undefined ? it : it.fails;
    test(`${c.fixture}: ${c.about}`, async () => {
      const r = await scanFiles([join(DIR, c.fixture)], { target, ignore: new Set() });
      expect(r.coverage.errors).toEqual([]);
      const want = c.expected.map(({ why: _why, ...rest }) => rest).sort(order);
      expect(r.findings.map(row).sort(order)).toEqual(want);
    });
  }
});
