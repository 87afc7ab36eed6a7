// The README's table of kinds (section "Pods of every kind") lists every kind of the layout table.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { POD_LAYOUTS } from "../../src/core/pod-layouts.js";

const README = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");

describe("README pod layout table", () => {
  it("has a row for every (group, kinds) of src/core/pod-layouts.ts", () => {
    const missing = POD_LAYOUTS.filter((row) => {
      const group = row.group === "" ? "core" : `\`${row.group}\``;
      const kinds = row.kinds.map((k) => `\`${k}\``).join(", ");
      return !README.includes(`| ${kinds} | ${group} |`);
    }).map((r) => `${r.group}/${r.kinds.join(",")}`);
    expect(missing).toEqual([]);
  });
});
