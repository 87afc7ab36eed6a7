// The README is part of the product: its rule table must list every rule with its docs page.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allRuleMeta } from "../../src/scan/catalogue.js";

const ROOT = join(import.meta.dirname, "../..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

describe("README", () => {
  for (const rule of allRuleMeta()) {
    it(`lists ${rule.id} with its slug and docs page`, () => {
      expect(readme).toContain(`| [${rule.id}](docs/rules/${rule.id}.md) | \`${rule.slug}\` |`);
      expect(existsSync(join(ROOT, "docs/rules", `${rule.id}.md`))).toBe(true);
    });
  }
  it("names the two set-up commands, which exist", () => {
    for (const cmd of ["scripts/demo.sh", "scripts/test.sh"]) {
      expect(readme).toContain(`./${cmd}`);
      expect(existsSync(join(ROOT, cmd))).toBe(true);
    }
  });
});
