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
import { FIXTURES, findings } from "./workload/helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("workload rule catalogue", () => {
  it("has unique ids and slugs, ordered by id, all in the workload category", () => {
    const ids = workloadRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(workloadRules.map((r) => r.slug)).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const r of workloadRules) {
      expect(r.id).toMatch(/^W\d{3}$/);
      expect(r.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.category).toBe("workload");
      expect(r.description.length).toBeGreaterThan(40);
      expect(r.remediation.length).toBeGreaterThan(40);
    }
  });

  it("lists every rule file (file name = id)", () => {
    const files = readdirSync(join(root, "src/rules/workload"))
      .filter((f) => /^W\d{3}\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ""));
    expect(files.sort()).toEqual(workloadRules.map((r) => r.id));
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
