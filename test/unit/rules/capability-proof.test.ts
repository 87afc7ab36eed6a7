// The capability matrix says which rows a real puller proves; the differential suite says which
// oracles it runs (test/real/harness/oracle-list.ts). The two must name the same rows, and the README
// must print the matrix as the data has it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  RUNTIME_CAPABILITIES,
  type RuntimeCapabilities,
} from "../../../src/rules/data/runtime-capabilities.js";
import { ORACLES, PROVEN_ROWS } from "../../real/harness/oracle-list.js";

const ROOT = join(import.meta.dirname, "../../..");
const START = "<!-- capability-proof:start (generated from src/rules/data/runtime-capabilities.ts) -->";
const END = "<!-- capability-proof:end -->";

const rowKey = (r: RuntimeCapabilities) => `${r.runtime}@${r.from}`;

/** The README table, one line per capability row. */
function proofTable(): string {
  const lines = ["| runtime versions | verdicts | checked against |", "|---|---|---|"];
  for (const r of RUNTIME_CAPABILITIES) {
    const range = r.until ? `${r.from} – <${r.until}` : `${r.from}+`;
    const what = r.proof.status === "proven" ? r.proof.oracle : `read from source: ${r.source}`;
    lines.push(`| ${r.runtime} ${range} (\`${rowKey(r)}\`) | ${r.proof.status} | ${what} |`);
  }
  return lines.join("\n");
}

describe("capability proof", () => {
  it("the proven rows are exactly those with an oracle in the differential suite", () => {
    const proven = RUNTIME_CAPABILITIES.filter((r) => r.proof.status === "proven").map(rowKey);
    expect([...proven].sort()).toEqual([...PROVEN_ROWS].sort());
  });

  it("every oracle proves at least one row that exists", () => {
    const keys = new Set(RUNTIME_CAPABILITIES.map(rowKey));
    for (const o of ORACLES) {
      expect(o.proves.length, o.key).toBeGreaterThan(0);
      for (const row of o.proves) expect(keys.has(row), `${o.key} proves ${row}`).toBe(true);
    }
  });

  it("the README prints the table the data gives", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const a = readme.indexOf(START);
    const b = readme.indexOf(END);
    expect(a, "README lacks the capability-proof block").toBeGreaterThanOrEqual(0);
    expect(readme.slice(a + START.length, b).trim(), `expected:\n${proofTable()}`).toBe(proofTable());
  });
});
