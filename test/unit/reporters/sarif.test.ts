import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import type * as Sarif from "sarif";
import { describe, expect, it } from "vitest";
import type { AuditReport } from "../../../src/core/report.js";
import { reporters } from "../../../src/reporters/index.js";
import { fileUri, sarifLevel } from "../../../src/reporters/sarif.js";
import { cleanReport, clusterReport, filesReport, RULES, SAMPLES } from "./sample.js";

/**
 * The SARIF 2.1.0 JSON schema as published by Microsoft's sarif-js-sdk in the npm package
 * @microsoft/jest-sarif (lib/schemas/sarif-2.1.0-rtm.5.json, the schema @types/sarif is generated from).
 * It is a draft-04 schema; Ajv 8 reads it once the draft-04 `id` is spelled `$id` and `$schema` dropped
 * (it uses no other draft-04-only keyword).
 */
function sarifValidator() {
  const require = createRequire(import.meta.url);
  const pkgDir = require.resolve("@microsoft/jest-sarif/package.json").replace(/package\.json$/, "");
  const schema = JSON.parse(readFileSync(`${pkgDir}lib/schemas/sarif-2.1.0-rtm.5.json`, "utf8")) as Record<
    string,
    unknown
  >;
  const { $schema: _draft, id, ...rest } = schema;
  // unicodeRegExp: false because the schema's `language` pattern has a stray "]", which only the legacy
  // (non-"u") RegExp syntax accepts, as the draft-04 validators of its time did.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  // Formats the schema uses (ajv-formats is not a dependency): checked, not ignored.
  ajv.addFormat("uri", (s: string) => URL.canParse(s));
  ajv.addFormat("uri-reference", (s: string) => URL.canParse(s, "file:///base/") && !/[\s\\]/.test(s));
  ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  return ajv.compile({ ...rest, $id: String(id) });
}

const validate = sarifValidator();

function sarif(report: AuditReport): Sarif.Log {
  return JSON.parse(reporters.sarif(report, { rules: RULES, color: false, width: 80 })) as Sarif.Log;
}

describe("sarif reporter", () => {
  for (const [name, build] of Object.entries(SAMPLES)) {
    it(`${name} validates against the SARIF 2.1.0 schema`, () => {
      const log = sarif(build());
      const ok = validate(log);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  it("the validator rejects a broken log (it really validates)", () => {
    const log = sarif(filesReport()) as unknown as { runs: { results: { level: string }[] }[] };
    const first = log.runs[0]?.results[0];
    if (first) first.level = "critical";
    expect(validate(log)).toBe(false);
    const noDriver = sarif(filesReport()) as unknown as { runs: { tool: Record<string, unknown> }[] };
    if (noDriver.runs[0]) noDriver.runs[0].tool = {};
    expect(validate(noDriver)).toBe(false);
  });

  it("describes every rule, and each result points at its rule", () => {
    const log = sarif(filesReport());
    const run = log.runs[0]!;
    const rules = run.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const w001 = rules.find((r) => r.id === "W001");
    expect(w001).toMatchObject({
      name: "docker-socket-mount",
      shortDescription: { text: "Workload mounts the Docker Engine socket" },
      helpUri: "https://github.com/kube-runtime-audit/kube-runtime-audit/blob/main/docs/rules/W001.md",
      defaultConfiguration: { level: "error" },
      properties: { "security-severity": "9.5" },
    });
    expect(rules.find((r) => r.id === "I007")?.defaultConfiguration?.level).toBe("note");
    for (const r of run.results ?? []) expect(rules[r.ruleIndex ?? -1]?.id).toBe(r.ruleId);
    expect(run.tool.driver).toMatchObject({ name: "kube-runtime-audit", version: "0.1.0" });
  });

  it("maps severities to levels", () => {
    expect(["critical", "high", "medium", "low", "info"].map((s) => sarifLevel(s as "high"))).toEqual([
      "error",
      "error",
      "warning",
      "note",
      "note",
    ]);
    const run = sarif(filesReport()).runs[0]!;
    const levels = Object.fromEntries(
      (run.results ?? []).map((r) => [`${r.ruleId}:${(r.message.text ?? "").slice(0, 12)}`, r.level]),
    );
    expect(levels["W001:hostPath vol"]).toBe("error");
    expect(levels["W006:Annotation s"]).toBe("warning");
    expect(levels["I007:Layers are z"]).toBe("note");
  });

  it("gives file, line and column, and marks suppressed results", () => {
    const run = sarif(filesReport()).runs[0]!;
    const results = run.results ?? [];
    const w001 = results.find((r) => r.ruleId === "W001");
    expect(w001?.locations?.[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: "deploy/monitoring/datadog.yaml" },
      region: { startLine: 88, startColumn: 13 },
    });
    // A space in a file name is percent-encoded so the URI stays valid.
    expect(
      results.find((r) => r.ruleId === "W004")?.locations?.[0]?.physicalLocation?.artifactLocation?.uri,
    ).toBe("deploy/logging/fluent%20bit.yaml");
    const suppressed = results.filter((r) => r.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]?.suppressions).toEqual([{ kind: "external" }]);
    expect(results.filter((r) => !r.suppressions)).toHaveLength(6);
  });

  it("uses forward slashes for Windows-style paths", () => {
    expect(fileUri("deploy\\web\\app.yaml")).toBe("deploy/web/app.yaml");
    expect(fileUri("charts/a#b/x.yaml")).toBe("charts/a%23b/x.yaml");
  });

  it("locates cluster findings logically, without a file", () => {
    const run = sarif(clusterReport()).runs[0]!;
    const n002 = run.results?.find((r) => r.ruleId === "N002");
    expect(n002?.locations?.[0]?.physicalLocation).toBeUndefined();
    expect(n002?.locations?.[0]?.logicalLocations).toEqual([
      { name: "worker-3", fullyQualifiedName: "Node/worker-3", kind: "resource" },
    ]);
    expect(n002?.properties?.uid).toBe("1f0e9d8c-7b6a-4954-8372-6150f4e3d2c1");
  });

  it("reports unreadable inputs and unverifiable images as notifications", () => {
    const run = sarif(filesReport()).runs[0]!;
    const notes = run.invocations?.[0]?.toolExecutionNotifications ?? [];
    expect(notes.filter((n) => n.level === "error")).toHaveLength(2);
    expect(
      notes.filter((n) => n.level === "warning" && n.message.text?.includes("could not be verified")),
    ).toHaveLength(4);
    expect(sarif(cleanReport()).runs[0]?.invocations).toBeUndefined();
    expect(sarif(cleanReport()).runs[0]?.results).toEqual([]);
  });

  it("gives a finding of an unlisted rule its own descriptor", () => {
    const log = JSON.parse(
      reporters.sarif(filesReport(), { rules: [], color: false, width: 80 }),
    ) as Sarif.Log;
    expect(validate(log)).toBe(true);
    const run = log.runs[0]!;
    for (const r of run.results ?? []) expect(run.tool.driver.rules?.[r.ruleIndex ?? -1]?.id).toBe(r.ruleId);
  });
});
