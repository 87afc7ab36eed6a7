/**
 * The workload rule catalogue: unique ids and slugs, file name = id, a docs page per rule that names its
 * slug, and at least one fire-* and one quiet-* fixture per rule, where every fire fixture fires the rule
 * and no quiet fixture does (under the default target and under a cri-dockerd target).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { workloadRules } from "../../../src/rules/workload/index.js";
import { catalogueShapeTests } from "./catalogue-shape.js";
import { FIXTURES, findings } from "./workload/helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("workload rule catalogue", () => {
  catalogueShapeTests(workloadRules, {
    letter: "W",
    category: "workload",
    dir: "workload",
    texts: (r) => {
      expect(r.description.length).toBeGreaterThan(40);
      expect(r.remediation.length).toBeGreaterThan(40);
    },
  });

  for (const rule of workloadRules) {
    describe(`${rule.id} ${rule.slug}`, () => {
      it("has a docs page that names its slug and has the required sections", () => {
        const page = join(root, "docs/rules", `${rule.id}.md`);
        expect(existsSync(page)).toBe(true);
        const text = readFileSync(page, "utf8");
        expect(text).toContain(rule.slug);
        for (const section of [
          "## What it detects",
          "## Severity",
          "## How to fix",
          "## Examples",
          "## Sources",
        ]) {
          expect(text, section).toContain(section);
        }
        expect(text).toMatch(/https:\/\//);
      });

      const dir = join(FIXTURES, rule.id);
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".yaml")) : [];
      const fire = files.filter((f) => f.startsWith("fire-"));
      const quiet = files.filter((f) => f.startsWith("quiet-"));

      it("has fire-* and quiet-* fixtures", () => {
        expect(fire.length).toBeGreaterThan(0);
        expect(quiet.length).toBeGreaterThan(0);
      });

      for (const f of fire) {
        it(`fires on ${f}`, () => {
          expect(findings(rule.id, f).length).toBeGreaterThan(0);
        });
      }
      for (const f of quiet) {
        it(`stays quiet on ${f}`, () => {
          expect(findings(rule.id, f)).toEqual([]);
          expect(findings(rule.id, f, { runtimes: "cri-dockerd" })).toEqual([]);
        });
      }
    });
  }
});
