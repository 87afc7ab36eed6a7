/**
 * The node rule catalogue: unique ids and slugs, file name = id, every rule in the node category, a docs
 * page per rule with the required sections and its sources, and a row in the README's rule table.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeRules } from "../../../../src/rules/node/index.js";
import { catalogueShapeTests } from "../catalogue-shape.js";

const root = join(import.meta.dirname, "../../../..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("node rule catalogue", () => {
  catalogueShapeTests(nodeRules, {
    letter: "N",
    category: "node",
    dir: "node",
    texts: (r) => {
      expect(r.description.length).toBeGreaterThan(40);
      expect(r.remediation.length).toBeGreaterThan(40);
    },
  });

  for (const rule of nodeRules) {
    it(`${rule.id} has a docs page with its slug, the required sections and sources`, () => {
      const page = join(root, "docs/rules", `${rule.id}.md`);
      expect(existsSync(page)).toBe(true);
      const text = readFileSync(page, "utf8");
      expect(text.split("\n")[0]?.toLowerCase()).toBe(
        `# ${rule.id} \`${rule.slug}\`: ${rule.title}`.toLowerCase(),
      );
      expect(text).toContain(`**Default severity:** ${rule.defaultSeverity}`);
      for (const section of [
        "## What it detects",
        "## Severity",
        "## How to fix",
        "## Examples",
        "## Sources",
      ]) {
        expect(text, section).toContain(section);
      }
      const sources = text.slice(text.indexOf("## Sources"));
      expect(sources).toMatch(/https:\/\//);
    });

    it(`${rule.id} is in the README's rule table and its Node rules section`, () => {
      expect(readme).toContain(
        `| [${rule.id}](docs/rules/${rule.id}.md) | \`${rule.slug}\` | ${rule.title} | ${rule.defaultSeverity} |`,
      );
      const section = readme.slice(readme.indexOf("## Node rules"));
      expect(section).toContain(`[${rule.id}](docs/rules/${rule.id}.md) \`${rule.slug}\``);
    });
  }
});
