import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { stringifyYaml } from "../../../src/manifests/yaml-out.js";
import { OUTPUT_FORMATS, reporters } from "../../../src/reporters/index.js";
import { GENERATED_AT, RULES, SAMPLES } from "./sample.js";

const opts = { rules: RULES, color: false, width: 80 };

describe("json and yaml reporters", () => {
  for (const [name, build] of Object.entries(SAMPLES)) {
    it(`${name}: json is the report itself, 2-space indented with a trailing newline`, () => {
      const report = build();
      const out = reporters.json(report, opts);
      expect(out.endsWith("}\n")).toBe(true);
      expect(out.split("\n")[1]).toBe('  "apiVersion": "runtime-audit.io/v1alpha1",');
      expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(report)));
    });

    it(`${name}: yaml parses back to what json holds`, () => {
      const report = build();
      const y = reporters.yaml(report, opts);
      expect(parse(y)).toEqual(JSON.parse(reporters.json(report, opts)));
      // YAML 1.1 readers too: no string reads back as a date, a boolean or a number.
      expect(parse(y, { version: "1.1" })).toEqual(JSON.parse(reporters.json(report, opts)));
    });
  }

  it("yaml writes shared objects out in full, without anchors", () => {
    const y = reporters.yaml(SAMPLES.files!(), opts);
    expect(y).not.toMatch(/[&*]a\d/);
    expect(stringifyYaml({ a: "yes", b: "1.37", c: "2026-01-01" })).toBe(
      'a: "yes"\nb: "1.37"\nc: "2026-01-01"\n',
    );
  });
});

describe("all reporters", () => {
  it("are registered for every format", () => {
    expect(Object.keys(reporters).sort()).toEqual([...OUTPUT_FORMATS].sort());
  });

  for (const format of OUTPUT_FORMATS) {
    it(`${format} is deterministic and carries no time but generatedAt`, () => {
      for (const build of Object.values(SAMPLES)) {
        const a = reporters[format](build(), opts);
        const b = reporters[format](build(), opts);
        expect(a).toBe(b);
        const times = a.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/g) ?? [];
        for (const t of times) expect(t).toBe(GENERATED_AT);
        expect(a.endsWith("\n")).toBe(true);
      }
    });

    it(`${format} does not change the report it renders`, () => {
      const report = SAMPLES.files!();
      const before = JSON.stringify(report);
      reporters[format](report, opts);
      expect(JSON.stringify(report)).toBe(before);
    });
  }
});
