// The README is part of the product: its rule table must list every rule with its docs page.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allRuleMeta } from "../../src/scan/catalogue.js";

const ROOT = join(import.meta.dirname, "../..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

describe("README", () => {
  for (const rule of allRuleMeta()) {
    it(`lists ${rule.id} with its slug and docs page`, () => {
      expect(readme).toContain(`| [${rule.id}](docs/rules/${rule.id}.md) | \`${rule.slug}\` |`);
      expect(existsSync(join(ROOT, "docs/rules", `${rule.id}.md`))).toBe(true);
    });
  }
  it("names the two set-up commands, which exist", () => {
    for (const cmd of ["scripts/demo.sh", "scripts/test.sh"]) {
      expect(readme).toContain(`./${cmd}`);
      expect(existsSync(join(ROOT, cmd))).toBe(true);
    }
  });
});

describe("README: config file", () => {
  it("the example config is valid and means what the README says", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { loadConfig } = await import("../../src/config/config.js");
    const block = /```yaml\n(# \.runtime-audit\.yaml\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "kra-readme-"));
    try {
      writeFileSync(join(dir, ".runtime-audit.yaml"), block ?? "");
      const cfg = loadConfig(undefined, dir, allRuleMeta());
      expect(cfg.policy.severity.get("W012")).toBe("off");
      expect(cfg.policy.severity.get("W007")).toBe("medium");
      expect(cfg.policy.exemptions[0]?.rules).toEqual(["W001", "W008"]);
      expect(cfg.defaults).toEqual({
        targetK8s: "1.35",
        targetRuntimes: "containerd@2.1,cri-o@1.34",
        platforms: "linux/amd64",
        failOn: "critical",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("links the schema, which the package ships", () => {
    expect(readme).toContain("(schema/runtime-audit-config.schema.json)");
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("schema/");
    expect(existsSync(join(ROOT, "schema/runtime-audit-config.schema.json"))).toBe(true);
  });

  it("documents --allow-empty and every exit-2 condition's flag", () => {
    for (const text of ["--allow-empty", "--fail-on-unknown", "coverage.warnings", "suppressionReason"])
      expect(readme).toContain(text);
  });
});
