// The files gate on inputs that are not pod templates, Helm leftovers and YAML 1.1 spellings (built CLI).
import { describe, expect, it } from "vitest";
import { run } from "./run.js";

const F = "test/fixtures/crds";

describe("files: CI pipelines and other CRDs", () => {
  it("fails the gate on an Argo Workflow that mounts docker.sock, at the workflow volume's line", async () => {
    const r = await run(["files", `${F}/argo.yaml`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${F}/argo.yaml:13:9`);
    expect(r.stdout).toMatch(/W001 docker-socket-mount Workflow\/ci\/build-\[main\]/);
  });

  it("names the kinds audited by walking them in the JSON coverage", async () => {
    const r = await run(["files", `${F}/generic.yaml`, "-o", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { coverage: { genericKinds?: string[] } };
    expect(report.coverage.genericKinds).toEqual(["BuildRunner.runners.example.com"]);
  });

  it("names them in the coverage of the table and markdown output too, and only when there are some", async () => {
    const table = await run(["files", `${F}/generic.yaml`]);
    // The table wraps at the terminal width: compare the words.
    const coverage = table.stdout.slice(table.stdout.indexOf("COVERAGE")).replace(/\s+/g, " ");
    expect(coverage).toContain(
      "Kinds audited by their containers lists (not in the kind table, so the pod layout is guessed): " +
        "BuildRunner.runners.example.com",
    );
    const md = await run(["files", `${F}/generic.yaml`, "-o", "markdown"]);
    const mdCoverage = md.stdout.slice(md.stdout.indexOf("#### Coverage"));
    expect(mdCoverage).toContain(
      "not in the kind table, so the pod layout is guessed): BuildRunner.runners.example.com.",
    );
    const known = await run(["files", `${F}/argo.yaml`]);
    expect(known.stdout).not.toContain("Kinds audited by their containers lists");
  });
});

describe("files: unrendered Helm templates", () => {
  it("exits 2 naming file:line for a leftover in valid YAML, and still audits the rest", async () => {
    const r = await run(["files", `${F}/template-leftover.yaml`, `${F}/argo.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/template-leftover\.yaml:12:\d+: unrendered Helm template/);
    expect(r.stdout).toContain("W001");
  });

  it("exits 0 when {{ }} belongs to other programs", async () => {
    const r = await run(["files", `${F}/template-legit.yaml`]);
    expect(r.code).toBe(0);
  });
});

describe("files: YAML 1.1 spellings", () => {
  it("hostNetwork: yes gives the same result as true, and quoted 'yes' does not", async () => {
    const doc = (hostNetwork: string) =>
      [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: web}",
        "spec:",
        "  template:",
        "    spec:",
        `      hostNetwork: ${hostNetwork}`,
        "      containers:",
        "        - name: web",
        "          image: registry.example.com/web:1",
        "          env: [{name: DOCKER_HOST, value: 'tcp://localhost:2375'}]",
        "",
      ].join("\n");
    const severities = async (v: string) => {
      const r = await run(["files", "-", "-o", "json"], { stdin: doc(v) });
      return (JSON.parse(r.stdout) as { findings: { severity: string }[] }).findings.map((f) => f.severity);
    };
    const yes = await severities("yes");
    expect(yes).toEqual(await severities("true"));
    expect(yes).not.toEqual(await severities("'yes'"));
  });
});
