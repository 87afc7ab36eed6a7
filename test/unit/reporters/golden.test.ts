import { describe, it } from "vitest";
import { OUTPUT_FORMATS, reporters } from "../../../src/reporters/index.js";
import { expectGolden } from "./golden.js";
import { RULES, SAMPLES } from "./sample.js";

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
  for (const format of OUTPUT_FORMATS) {
    for (const [sample, build] of Object.entries(SAMPLES)) {
      it(`${format} / ${sample}`, () => {
        const out = reporters[format](build(), { rules: RULES, color: false, width: 80 });
        expectGolden(`${sample}.${format}.${EXT[format]}`, out);
      });
    }
  }
  it("table / files with colour", () => {
    const out = reporters.table(SAMPLES.files!(), { rules: RULES, color: true, width: 80 });
    expectGolden("files.table.color.txt", out);
  });
});
