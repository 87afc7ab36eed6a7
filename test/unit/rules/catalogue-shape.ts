/**
 * What every rule catalogue (workload, node, image) must hold: unique ids and slugs in id order, ids of
 * the catalogue's letter, its category, and one source file per rule named by its id.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { RuleMeta } from "../../../src/core/types.js";

const ROOT = join(import.meta.dirname, "../../..");

export function catalogueShapeTests(
  rules: readonly RuleMeta[],
  opts: {
    letter: "W" | "N" | "I";
    category: RuleMeta["category"];
    /** src/rules/<dir>: where the rule files are. */
    dir: string;
    /** The catalogue's own checks of each rule's texts. */
    texts: (r: RuleMeta) => void;
  },
): void {
  const idRe = new RegExp(`^${opts.letter}\\d{3}$`);
  it(`has unique ids and slugs, ordered by id, all in the ${opts.category} category`, () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(rules.map((r) => r.slug)).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const r of rules) {
      expect(r.id).toMatch(idRe);
      expect(r.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.category).toBe(opts.category);
      opts.texts(r);
    }
  });

  it("lists every rule file (file name = id)", () => {
    const fileRe = new RegExp(`^${opts.letter}\\d{3}\\.ts$`);
    const files = readdirSync(join(ROOT, "src/rules", opts.dir))
      .filter((f) => fileRe.test(f))
      .map((f) => f.replace(/\.ts$/, ""));
    expect(files.sort()).toEqual(rules.map((r) => r.id));
  });
}
