// Golden files for every output format of `files`, produced by the real CLI process.
// Regenerate after an intended change: UPDATE_GOLDEN=1 npx vitest run --project cli test/cli/golden.test.ts
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./run.js";

const FORMATS = ["table", "wide", "json", "yaml", "markdown", "sarif", "junit"] as const;

describe("files output formats (golden)", () => {
  for (const format of FORMATS) {
    it(`-o ${format}`, async () => {
      const r = await run(["files", "test/fixtures/cli/golden", "-o", format], { env: { COLUMNS: "80" } });
      // The gate does not depend on the format: the fixtures hold a critical finding.
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("");
      const file = join(ROOT, "test/golden/cli", `files.${format}.txt`);
      // Written only on request: a missing golden file fails, it is never created by a test run.
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, r.stdout);
      else if (!existsSync(file))
        throw new Error(`golden file ${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
      expect(r.stdout).toBe(readFileSync(file, "utf8"));
    });
  }
});
