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
      if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
        if (process.env.CI) throw new Error(`golden file ${file} missing in CI`);
        writeFileSync(file, r.stdout);
      }
      expect(r.stdout).toBe(readFileSync(file, "utf8"));
    });
  }
});
