// Reporter goldens from reports the CLI produces (real rules, real scan; only the registry replaced,
// see real.ts). A missing golden fails; UPDATE_GOLDEN=1 writes them (review the diff).
import { describe, it } from "vitest";
import { OUTPUT_FORMATS, reporters } from "../../../src/reporters/index.js";
import { allRuleMeta } from "../../../src/scan/catalogue.js";
import { expectGolden } from "./golden.js";
import { REAL_SAMPLES } from "./real.js";

const EXT: Record<string, string> = {
  table: "txt",
  wide: "txt",
  json: "json",
  yaml: "yaml",
  markdown: "md",
  sarif: "sarif",
  junit: "xml",
};

describe("reporters match their golden files", () => {
  const rules = allRuleMeta();
  for (const format of OUTPUT_FORMATS) {
    for (const [sample, build] of Object.entries(REAL_SAMPLES)) {
      it(`${format} / ${sample}`, async () => {
        const out = reporters[format](await build(), { rules, color: false, width: 80 });
        expectGolden(`${sample}.${format}.${EXT[format]}`, out);
      });
    }
  }
  it("table / files with colour", async () => {
    const out = reporters.table(await REAL_SAMPLES.files!(), { rules, color: true, width: 80 });
    expectGolden("files.table.color.txt", out);
  });
});
