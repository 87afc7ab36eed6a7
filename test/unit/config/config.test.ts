/** The config file loader: schema errors with file:line and JSON pointer, slugs, defaults. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.js";
import { allRuleMeta } from "../../../src/scan/catalogue.js";

const dir = mkdtempSync(join(tmpdir(), "kra-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rules = allRuleMeta();

function load(name: string, text: string) {
  const p = join(dir, name);
  writeFileSync(p, text);
  return loadConfig(p, dir, rules);
}

function error(name: string, text: string): string {
  try {
    load(name, text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no ConfigError");
}

describe("loadConfig", () => {
  it("no default file is an empty policy; an empty file too", () => {
    expect(loadConfig(undefined, dir, rules)).toEqual({
      policy: { severity: new Map(), exemptions: [] },
      defaults: {},
    });
    expect(load("empty.yaml", "# nothing yet\n").policy.exemptions).toEqual([]);
  });

  it("slugs become ids; `off` read as false by a YAML 1.1 reader still means off", () => {
    const c = load("a.yaml", "rules:\n  docker-socket-mount: low\n  W012: false\n");
    expect([...c.policy.severity]).toEqual([
      ["W001", "low"],
      ["W012", "off"],
    ]);
  });

  it("reads JSON too", () => {
    const c = load("a.json", '{"failOn": "medium", "platforms": "linux/amd64"}');
    expect(c.defaults).toEqual({ failOn: "medium", platforms: "linux/amd64" });
  });

  it("names each bad field with file:line and a JSON pointer", () => {
    const m = error(
      "bad.yaml",
      "rules:\n  W001: loud\nexemptions:\n  - names: [x]\n    reason: '  '\n  - reason: why\nfailOn: never\ncolour: red\n",
    );
    expect(m).toContain("bad.yaml:2:3: /rules/W001: must be one of");
    expect(m).toContain("bad.yaml:5:5: /exemptions/0/reason: the reason must not be empty");
    expect(m).toContain(
      "bad.yaml:6:5: /exemptions/1: an exemption needs at least one of namespaces, kinds, names, rules",
    );
    expect(m).toContain("bad.yaml:7:1: /failOn: must be one of");
    expect(m).toContain('/: unknown field "colour"');
  });

  it("refuses a number where a version string is needed, and two documents", () => {
    expect(error("num.yaml", "targetK8s: 1.30\n")).toContain("/targetK8s: must be string");
    expect(error("two.yaml", "failOn: high\n---\nfailOn: low\n")).toContain("must hold one YAML document");
  });

  it("refuses a rule configured twice (id and slug)", () => {
    expect(error("twice.yaml", "rules:\n  W001: low\n  docker-socket-mount: high\n")).toContain(
      "configured twice",
    );
  });
});
