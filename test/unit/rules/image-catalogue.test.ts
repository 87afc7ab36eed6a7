/** The image rule catalogue: unique ids and slugs, file name = id, a docs page per rule naming its slug. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { imageRules } from "../../../src/rules/image/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("image rule catalogue", () => {
  it("has unique ids and slugs, in order, all in the image category", () => {
    const ids = imageRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(imageRules.map((r) => r.slug)).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const r of imageRules) {
      expect(r.id).toMatch(/^I\d{3}$/);
      expect(r.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.category).toBe("image");
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.remediation.length).toBeGreaterThan(20);
    }
  });

  it("lists every rule file (file name = id)", () => {
    const files = readdirSync(join(root, "src/rules/image"))
      .filter((f) => /^I\d{3}\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ""));
    expect(files.sort()).toEqual(imageRules.map((r) => r.id));
  });

  it.each(imageRules.map((r) => [r.id, r.slug]))("docs/rules/%s.md exists and names %s", (id, slug) => {
    const path = join(root, "docs/rules", `${id}.md`);
    expect(existsSync(path)).toBe(true);
    const text = readFileSync(path, "utf8");
    expect(text).toContain(slug);
    expect(text).toMatch(/^# I\d{3}/);
    for (const section of ["## Why", "## How to fix", "## Sources"]) expect(text).toContain(section);
  });
});
