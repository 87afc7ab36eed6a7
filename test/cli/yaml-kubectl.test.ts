// Differential test: plain scalars read by our parser and by the real kubectl (sigs.k8s.io/yaml ->
// go.yaml.in/yaml/v2) give the same JSON. kubectl comes from scripts/kubetools.sh (KRA_KUBECTL or
// .tools/kube/bin/kubectl); `annotate --local` converts the file without a cluster.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseChunk } from "../../src/manifests/parse.js";
import { splitDocuments } from "../../src/manifests/split.js";
import { ROOT } from "./run.js";

const KUBECTL = process.env.KRA_KUBECTL ?? join(ROOT, ".tools/kube/bin/kubectl");

const SCALARS = [
  "yes",
  "Yes",
  "YES",
  "yEs",
  "y",
  "Y",
  "no",
  "No",
  "NO",
  "n",
  "N",
  "on",
  "On",
  "ON",
  "oN",
  "off",
  "Off",
  "OFF",
  "true",
  "True",
  "TRUE",
  "tRUE",
  "false",
  "FALSE",
  "~",
  "null",
  "Null",
  "NULL",
  "",
  "0777",
  "010",
  "08",
  "09",
  "0o17",
  "0O17",
  "0x1F",
  "0X1f",
  "0b101",
  "-0b101",
  "+12",
  "-12",
  "1_000",
  "0x_ff",
  "1_000.5",
  "1e3",
  "1E3",
  "-1.5",
  "+.5",
  ".5",
  ".5e1",
  ".",
  "1e400",
  "1:20",
  "190:20:30",
  "2001-12-14",
  "2001-12-14 21:59:43.10",
  "v1",
  "_1",
  "1.2.3",
  "0x",
  "+",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775808",
  "18446744073709551615",
  "0xFFFFFFFFFFFFFFFF",
  "1.",
  "-0",
  "0.0",
  "'yes'",
  '"on"',
  "<<x",
  "= 1",
];

describe("YAML scalars: our parser and kubectl agree", () => {
  it("every scalar of the corpus converts to the same JSON value", () => {
    if (!existsSync(KUBECTL)) throw new Error(`no kubectl at ${KUBECTL}: run scripts/kubetools.sh install`);
    const lines = ["apiVersion: example.com/v1", "kind: Thing", "metadata: {name: t}", "spec:"];
    for (const [i, s] of SCALARS.entries()) lines.push(`  k${i}: ${s}`);
    // Keys resolve too, and become the strings sigs.k8s.io/yaml writes for them.
    lines.push("  keys: {on: a, n: b, 0x1F: c, 1_0: d, 1.5: e}");
    const text = `${lines.join("\n")}\n`;
    const dir = mkdtempSync(join(tmpdir(), "kra-yaml-"));
    try {
      const file = join(dir, "t.yaml");
      writeFileSync(file, text);
      const out = execFileSync(KUBECTL, ["annotate", "--local", "-f", file, "x=y", "-o", "json"], {
        encoding: "utf8",
      });
      const theirs = (JSON.parse(out) as { spec: Record<string, unknown> }).spec;
      const [chunk] = splitDocuments(text);
      const r = chunk ? parseChunk(chunk, false) : undefined;
      if (!r?.ok) throw new Error("our parser failed");
      // Through JSON, as kubectl's output is.
      const ours = (JSON.parse(JSON.stringify(r.value)) as { spec: Record<string, unknown> }).spec;
      const rows = SCALARS.map((s, i) => ({ s, ours: ours[`k${i}`], theirs: theirs[`k${i}`] }));
      expect(rows.filter((x) => JSON.stringify(x.ours) !== JSON.stringify(x.theirs))).toEqual([]);
      expect(ours.keys).toEqual(theirs.keys);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
