// docs/rules/ cannot drift from the rule metadata: every rule has a page and every page a rule; the
// page header names the rule's id, slug, title, category and default severity; the severities its
// "Severity" section lists never exceed the default (the highest the rule gives) and reach it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { severityRank } from "../../../src/core/types.js";
import { allRuleMeta } from "../../../src/scan/catalogue.js";

const DOCS = join(import.meta.dirname, "../../../docs/rules");
const rules = allRuleMeta();

describe("docs/rules", () => {
  it("has a page for every rule and a rule for every page", () => {
    const pages = readdirSync(DOCS)
      .filter((f) => f.endsWith(".md"))
      .map((f) => f.slice(0, -3))
      .sort();
    expect(pages).toEqual(rules.map((r) => r.id).sort());
  });

  for (const rule of rules) {
    it(`${rule.id}: the header matches the rule metadata`, () => {
      const lines = readFileSync(join(DOCS, `${rule.id}.md`), "utf8").split("\n");
      // The title as in the metadata; a header may lower-case its first letter (it follows a colon).
      const title = rule.title;
      const header = lines[0] ?? "";
      const head = `# ${rule.id} \`${rule.slug}\`: `;
      expect(header.startsWith(head)).toBe(true);
      const text = header.slice(head.length);
      expect(text.slice(1)).toBe(title.slice(1));
      expect(text.charAt(0).toLowerCase()).toBe(title.charAt(0).toLowerCase());
      expect(lines[2]).toMatch(new RegExp(`^\\*\\*Category:\\*\\* ${rule.category}\\b`));
      expect(lines[2]).toContain(`**Default severity:** ${rule.defaultSeverity} `);
    });

    it(`${rule.id}: the severities the page lists stay within the default`, () => {
      const text = readFileSync(join(DOCS, `${rule.id}.md`), "utf8");
      const section = /^## Severity\n([\s\S]*?)(?=^## |$(?![\s\S]))/m.exec(text)?.[1] ?? "";
      const named = [...section.matchAll(/\b(critical|high|medium|low|info)\b/g)].map((m) => m[1] as string);
      const ranks = named.map((s) => severityRank(s as Parameters<typeof severityRank>[0]));
      for (const r of ranks) expect(r).toBeLessThanOrEqual(severityRank(rule.defaultSeverity));
      if (ranks.some((r) => r > 0)) expect(Math.max(...ranks)).toBe(severityRank(rule.defaultSeverity));
    });
  }
});
