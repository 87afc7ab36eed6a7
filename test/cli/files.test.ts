import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, run } from "./run.js";

interface JsonFinding {
  ruleId: string;
  slug: string;
  severity: string;
  subject: { kind: string; namespace?: string; name: string; container?: string };
  origin: { file?: string; line?: number; column?: number };
  suppressed?: boolean;
  suppressedBy?: string;
}
interface JsonReport {
  apiVersion: string;
  kind: string;
  target: { kubernetes: string; runtimes: string[] };
  findings: JsonFinding[];
  summary: { total: number; suppressed: number };
  coverage: {
    files: number;
    documents: number;
    objects: number;
    workloads: number;
    skipped: { source: string; line?: number; reason: string }[];
    errors: { source: string; line?: number; column?: number; reason: string }[];
  };
}

const json = (s: string) => JSON.parse(s) as JsonReport;
const tmp = mkdtempSync(join(tmpdir(), "kra-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("files: exit codes", () => {
  it("exits 1 on the bundled examples and points at the offending lines", async () => {
    const r = await run(["files", "examples/", "-o", "json"]);
    expect(r.code).toBe(1);
    const rep = json(r.stdout);
    expect(rep.apiVersion).toBe("runtime-audit.io/v1alpha1");
    expect(rep.kind).toBe("AuditReport");
    const ids = new Set(rep.findings.map((f) => f.ruleId));
    for (const id of ["W001", "W006", "W007", "W008", "W009", "W010", "W012", "W015"])
      expect(ids).toContain(id);
    // origin.file is under the directory as the user wrote it
    for (const f of rep.findings) expect(f.origin.file).toMatch(/^examples\//);
    // the docker.sock hostPath in the build job: line of `path:` in the file
    const sock = rep.findings.find((f) => f.ruleId === "W001" && f.subject.name === "image-build");
    expect(sock).toBeDefined();
    const lines = readFileSync(join(ROOT, "examples/ci/build-runner.yaml"), "utf8").split("\n");
    expect(lines[(sock?.origin.line ?? 0) - 1]).toMatch(/path: \/var\/run\/docker\.sock/);
    // the clean shop workloads give nothing
    expect(rep.findings.filter((f) => f.origin.file === "examples/apps/shop.yaml")).toEqual([]);
    expect(r.stderr).toBe("");
  });

  it("exits 0 on clean input and still reports coverage", async () => {
    const r = await run(["files", "test/fixtures/cli/clean", "-o", "json"]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect(rep.findings).toEqual([]);
    expect(rep.coverage).toMatchObject({ files: 2, documents: 3, objects: 3, workloads: 2 });
  });

  it("--fail-on decides the gate; output format does not", async () => {
    const crit = await run([
      "files",
      "test/fixtures/cli/bad/01-good.yaml",
      "--fail-on",
      "critical",
      "-o",
      "sarif",
    ]);
    expect(crit.code).toBe(1);
    const none = await run([
      "files",
      "test/fixtures/cli/bad/01-good.yaml",
      "--fail-on",
      "none",
      "-o",
      "junit",
    ]);
    expect(none.code).toBe(0);
    const stay = await run([
      "files",
      "test/fixtures/cli/bad/01-good.yaml",
      "--target-runtime",
      "cri-dockerd",
      "-o",
      "json",
    ]);
    // staying on Docker Engine + cri-dockerd: the socket mount is informational only
    expect(stay.code).toBe(0);
    expect(json(stay.stdout).findings.find((f) => f.ruleId === "W001")?.severity).toBe("info");
  });

  it("exits 2 on usage errors, with a one-line message and no stack", async () => {
    for (const args of [
      ["files", "x.yaml", "--target-runtime", "rkt@1.0"],
      ["files", "x.yaml", "--target-k8s", "one.two"],
      ["files", "x.yaml", "--fail-on", "severe"],
      ["files", "x.yaml", "-o", "html"],
      ["files", "x.yaml", "--no-such-flag"],
      ["files"],
    ]) {
      const r = await run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    }
  });

  it("exits 2 for a missing path but still audits the others", async () => {
    const r = await run(["files", "nope/missing.yaml", "test/fixtures/cli/bad/01-good.yaml", "-o", "json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\/missing\.yaml: no such file or directory/);
    const rep = json(r.stdout);
    expect(rep.findings.map((f) => f.ruleId)).toContain("W001");
    expect(rep.coverage.errors).toEqual([
      { source: "nope/missing.yaml", reason: "no such file or directory" },
    ]);
  });
});

describe("files: bad input never loses the rest", () => {
  it("reports each bad file on one stderr line with file:line and audits everything else", async () => {
    const r = await run(["files", "test/fixtures/cli/bad", "-o", "json"]);
    expect(r.code).toBe(2);
    const rep = json(r.stdout);
    const errLines = r.stderr.trim().split("\n");
    const has = (re: RegExp) =>
      expect(
        errLines.some((l) => re.test(l)),
        `${re} in:\n${r.stderr}`,
      ).toBe(true);
    has(/^kube-runtime-audit: error: test\/fixtures\/cli\/bad\/02-invalid\.yaml:\d+:\d+: invalid YAML/);
    has(/03-helm\.yaml:\d+:\d+: .*helm template/);
    has(/warning: test\/fixtures\/cli\/bad\/04-empty\.yaml: empty file/);
    has(/error: test\/fixtures\/cli\/bad\/05-binary\.yaml: binary file/);
    has(/warning: test\/fixtures\/cli\/bad\/06-nokind\.yaml:1: document has no `kind`/);
    has(/error: test\/fixtures\/cli\/bad\/08-bomb\.yaml:\d+:\d+: .*alias/);
    has(/error: test\/fixtures\/cli\/bad\/09-bad\.json:\d+:\d+: invalid JSON/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack traces for user errors
    // The documents around the broken ones were still audited.
    const names = rep.findings.map((f) => `${f.ruleId}:${f.subject.name}`);
    expect(names).toContain("W001:sock-user");
    expect(names).toContain("W002:after-the-broken-one");
    // the invalid document's error points at its line in the file, not in the document
    const invalid = rep.coverage.errors.find((e) => e.source.endsWith("02-invalid.yaml"));
    expect(invalid?.line).toBeGreaterThanOrEqual(5);
    expect(invalid?.line).toBeLessThanOrEqual(7);
    // unknown kinds are objects, not errors
    expect(rep.coverage.errors.some((e) => e.source.endsWith("07-unknown-kind.yaml"))).toBe(false);
  });

  it("reports a broken symbolic link in a directory and audits the rest", async () => {
    const dir = join(tmp, "walk");
    mkdirSync(join(dir, "sub"), { recursive: true });
    const good = readFileSync(join(ROOT, "test/fixtures/cli/bad/01-good.yaml"), "utf8");
    writeFileSync(join(dir, "sub", "a.yaml"), good);
    writeFileSync(join(dir, "z.yaml"), good);
    symlinkSync(join(tmp, "does-not-exist.yaml"), join(dir, "b.yaml"));
    const r = await run(["files", dir, "-o", "json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${dir}/b.yaml: broken symbolic link`);
    const rep = json(r.stdout);
    expect(rep.coverage.files).toBe(2);
    expect(rep.findings.map((f) => f.origin.file)).toEqual([`${dir}/sub/a.yaml`, `${dir}/z.yaml`]);
  });

  it("audits a 50 MB file", async () => {
    const doc = readFileSync(join(ROOT, "test/fixtures/cli/bad/01-good.yaml"), "utf8");
    const copies = Math.ceil((50 * 1024 * 1024) / doc.length);
    const big = join(tmp, "big.yaml");
    writeFileSync(big, Array.from({ length: copies }, () => doc).join("---\n"));
    const r = await run(["files", big, "-o", "json", "--fail-on", "none"]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect(rep.coverage.documents).toBe(copies);
    expect(rep.findings.length).toBe(copies);
  }, 120_000);
});

describe("files: inputs and suppression", () => {
  it("reads stdin as '-' with positions", async () => {
    const doc = readFileSync(join(ROOT, "test/fixtures/cli/bad/01-good.yaml"), "utf8");
    const r = await run(["files", "-", "-o", "json"], { stdin: `# rendered by helm template\n---\n${doc}` });
    expect(r.code).toBe(1);
    const f = json(r.stdout).findings[0];
    expect(f?.origin).toEqual({ file: "-", line: 21, column: 13 }); // line 19 of the file, after 2 lines of preamble
  });

  it("keeps suppressed findings in the report but not in the gate", async () => {
    const r = await run(["files", "test/fixtures/cli/suppress", "-o", "json"]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect(rep.findings.find((f) => f.ruleId === "W001")).toMatchObject({
      suppressed: true,
      suppressedBy: "annotation",
    });
    expect(rep.summary.suppressed).toBeGreaterThanOrEqual(1);
    const viaFlag = await run([
      "files",
      "test/fixtures/cli/bad/01-good.yaml",
      "--ignore",
      "docker-socket-mount",
      "-o",
      "json",
    ]);
    expect(viaFlag.code).toBe(0);
    expect(json(viaFlag.stdout).findings.every((f) => f.suppressed && f.suppressedBy === "flag")).toBe(true);
    const sarif = await run(["files", "test/fixtures/cli/suppress", "-o", "sarif"]);
    const results = (
      JSON.parse(sarif.stdout) as { runs: { results: { suppressions?: { kind: string }[] }[] }[] }
    ).runs[0]?.results;
    expect(results?.map((x) => x.suppressions?.[0]?.kind)).toContain("inSource");
  });

  it("never writes ANSI colour when stdout is not a terminal", async () => {
    const r = await run(["files", "examples/"]);
    expect(r.stdout.includes("\u001b[")).toBe(false);
    expect(r.stdout.length).toBeGreaterThan(100);
  });
});
