/** The image rule catalogue: unique ids and slugs, file name = id, a docs page per rule naming its slug. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { imageRules } from "../../../src/rules/image/index.js";
import { catalogueShapeTests } from "./catalogue-shape.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("image rule catalogue", () => {
  catalogueShapeTests(imageRules, {
    letter: "I",
    category: "image",
    dir: "image",
    texts: (r) => {
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.remediation.length).toBeGreaterThan(20);
    },
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
