// The gate says what it did not check (issue #8, items 4-6): empty inputs, ignore annotations that
// name nothing, and the config file (severities, off, exemptions with a reason, defaults, errors).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, run } from "./run.js";

interface Issue {
  source: string;
  line?: number;
  reason: string;
}
interface Report {
  findings: {
    ruleId: string;
    severity: string;
    subject: { kind: string; name: string };
    suppressed?: boolean;
    suppressedBy?: string;
    suppressionReason?: string;
  }[];
  coverage: { errors: Issue[]; skipped: Issue[]; warnings?: Issue[] };
}
const json = (s: string) => JSON.parse(s) as Report;

const tmp = mkdtempSync(join(tmpdir(), "kra-gate-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(tmp, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const SOCKET_DS = (name: string, annotation?: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  namespace: mon
${annotation ? `  annotations:\n    runtime-audit.io/ignore: "${annotation}"\n` : ""}spec:
  template:
    spec:
      containers:
        - name: agent
          image: registry.example.com/mon/agent:2
      volumes:
        - name: sock
          hostPath:
            path: /var/run/docker.sock
`;

describe("files: inputs without Kubernetes objects", () => {
  it("an empty directory is exit 2 naming it; --allow-empty accepts it", async () => {
    const dir = join(tmp, "empty");
    mkdirSync(dir, { recursive: true });
    const good = write("one/ds.yaml", SOCKET_DS("a"));
    const r = await run(["files", good, dir, "-o", "json", "--fail-on", "none"]);
    expect(r.code).toBe(2);
    const rep = json(r.stdout);
    expect(rep.coverage.errors).toEqual([expect.objectContaining({ source: dir })]);
    expect(rep.coverage.errors[0]?.reason).toMatch(/no Kubernetes objects/);
    // The other input was still audited.
    expect(rep.findings.some((f) => f.ruleId === "W001")).toBe(true);
    expect(r.stderr).toContain(`${dir}: no Kubernetes objects found`);

    const ok = await run(["files", good, dir, "-o", "json", "--fail-on", "none", "--allow-empty"]);
    expect(ok.code).toBe(0);
    expect(json(ok.stdout).coverage.errors).toEqual([]);
  });

  it("a file of documents without kind, or only comments, is exit 2", async () => {
    const noKind = write("nokind.yaml", "foo: bar\n---\n# just a comment\n");
    const r = await run(["files", noKind, "-o", "json"]);
    expect(r.code).toBe(2);
    expect(json(r.stdout).coverage.errors.map((e) => e.source)).toEqual([noKind]);
  });

  it("empty stdin is exit 2", async () => {
    const r = await run(["files", "-", "-o", "json"], { stdin: "" });
    expect(r.code).toBe(2);
    expect(json(r.stdout).coverage.errors.map((e) => e.source)).toEqual(["-"]);
  });

  it("a path typo is one error, not two", async () => {
    const r = await run(["files", join(tmp, "nope.yaml"), "-o", "json"]);
    expect(r.code).toBe(2);
    expect(json(r.stdout).coverage.errors).toHaveLength(1);
  });
});

describe("files: ignore annotations you can trust", () => {
  it("warns about an unknown rule and an entry that suppresses nothing, naming the object and the text", async () => {
    const f = write("ann/ds.yaml", SOCKET_DS("agent", "W001, W0O1, W016"));
    const r = await run(["files", f, "-o", "json", "--fail-on", "none"]);
    expect(r.code).toBe(0);
    const warnings = json(r.stdout).coverage.warnings ?? [];
    expect(warnings.map((w) => w.reason)).toEqual([
      expect.stringMatching(
        /DaemonSet\/mon\/agent: runtime-audit.io\/ignore "W001, W0O1, W016" names unknown rule "W0O1"/,
      ),
      expect.stringMatching(/DaemonSet\/mon\/agent: .*"W016" suppresses nothing/),
    ]);
    expect(warnings[0]).toMatchObject({ source: f, line: 1 });
    expect(r.stderr).toContain('names unknown rule "W0O1"');
    expect(r.stderr).toContain('"W016" suppresses nothing');
    // The entry that did suppress is not warned about, and the finding is suppressed by the annotation.
    expect(r.stderr).not.toContain('"W001" suppresses');
    const w001 = json(r.stdout).findings.find((x) => x.ruleId === "W001");
    expect(w001).toMatchObject({ suppressed: true, suppressedBy: "annotation" });
  });

  it("does not judge image-rule entries when images are not checked", async () => {
    const f = write("ann2/ds.yaml", SOCKET_DS("agent", "W001,I008"));
    const r = await run(["files", f, "-o", "json", "--fail-on", "none"]);
    expect(json(r.stdout).coverage.warnings).toBeUndefined();
  });
});

describe("files: config file", () => {
  const cfgDir = join(tmp, "cfg");
  mkdirSync(cfgDir, { recursive: true });
  const manifests = join(ROOT, "test/fixtures/cli/golden");

  it("applies severities, off and exemptions with their reason, in JSON and SARIF", async () => {
    const cfg = write(
      "cfg/a.yaml",
      `rules:
  W012: off
  docker-log-dependency: low
exemptions:
  - kinds: [Job]
    names: ["image-*"]
    rules: [docker-socket-mount]
    reason: "CI builder, moves to kaniko in OPS-12"
`,
    );
    const r = await run(["files", manifests, "--config", cfg, "-o", "json", "--fail-on", "none"]);
    expect(r.code).toBe(0);
    const rep = json(r.stdout);
    expect(rep.findings.filter((f) => f.ruleId === "W012")).toEqual([]);
    const w007 = rep.findings.filter((f) => f.ruleId === "W007");
    expect(w007.length).toBeGreaterThan(0);
    for (const f of w007) expect(f.severity).toBe("low");
    const sock = rep.findings.find((f) => f.ruleId === "W001" && f.subject.name === "image-build");
    expect(sock).toMatchObject({
      suppressed: true,
      suppressedBy: "config",
      suppressionReason: "CI builder, moves to kaniko in OPS-12",
    });

    const s = await run(["files", manifests, "--config", cfg, "-o", "sarif", "--fail-on", "none"]);
    const sarif = JSON.parse(s.stdout) as {
      runs: { results: { ruleId: string; suppressions?: { kind: string; justification?: string }[] }[] }[];
    };
    const results = sarif.runs[0]?.results ?? [];
    expect(results.flatMap((x) => x.suppressions ?? [])).toContainEqual({
      kind: "external",
      justification: "CI builder, moves to kaniko in OPS-12",
    });
    const table = await run(["files", manifests, "--config", cfg, "--fail-on", "none"]);
    expect(table.stdout).toContain("suppressed by config: CI builder, moves to kaniko in OPS-12");
  });

  it("is found in the working directory; flags win over its defaults", async () => {
    write("cfg/cwd/.runtime-audit.yaml", "failOn: critical\ntargetRuntimes: [containerd@2.1]\n");
    const cwd = join(cfgDir, "cwd");
    const r = await run(
      ["files", join(ROOT, "test/fixtures/rules/W008/fire-node-config.yaml"), "-o", "json"],
      {
        cwd,
      },
    );
    const rep = JSON.parse(r.stdout) as { target: { runtimes: string[] } };
    expect(rep.target.runtimes).toEqual(["containerd@2.1"]);
    // W008 is high: under failOn critical from the file the gate passes; --fail-on high wins.
    expect(r.code).toBe(0);
    const flag = await run(
      ["files", join(ROOT, "test/fixtures/rules/W008/fire-node-config.yaml"), "--fail-on", "high"],
      { cwd },
    );
    expect(flag.code).toBe(1);
  });

  it("a bad config is exit 2 naming file:line and the field", async () => {
    const cfg = write(
      "cfg/bad.yaml",
      `rules:
  W001: severe
exemptions:
  - kinds: [Job]
`,
    );
    const r = await run(["files", manifests, "--config", cfg]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${cfg}:2:3: /rules/W001: must be one of`);
    expect(r.stderr).toContain(`${cfg}:4:5: /exemptions/0: missing required field "reason"`);
  });

  it("an unknown rule in the config is exit 2 naming it", async () => {
    const cfg = write("cfg/unknown.yaml", "exemptions:\n  - rules: [W999]\n    reason: x\n");
    const r = await run(["files", manifests, "--config", cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}:2:13: /exemptions/0/rules/0: unknown rule "W999"`);
  });

  it("--config naming a missing file is exit 2; a missing default file is fine", async () => {
    const r = await run(["files", manifests, "--config", join(cfgDir, "absent.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/absent\.yaml: cannot read the config file/);
  });

  it("a bad default target in the config names the file and the field", async () => {
    write("cfg/badtarget/.runtime-audit.yaml", 'targetK8s: "1.x"\n');
    const r = await run(["files", manifests], { cwd: join(cfgDir, "badtarget") });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.runtime-audit\.yaml.*targetK8s/);
  });
});

describe("files --check-images: images that could not be verified", () => {
  it("each is a warning line on stderr and a row in the report; --fail-on-unknown fails on it", async () => {
    // A port nothing listens on: the registry is unreachable, so the image cannot be verified.
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const a = s.address();
        s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
      });
    });
    const host = `127.0.0.1:${port}`;
    const f = write(
      "unverified/pod.yaml",
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers: [{name: a, image: ${host}/team/app:1}]\n`,
    );
    const args = ["files", f, "--check-images", "--insecure-registry", host, "--registry-timeout", "5"];
    const r = await run([...args, "-o", "json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${host}/team/app:1 \\(.*\\): could not verify: `));
    const rep = JSON.parse(r.stdout) as {
      images: { reference: string; verdicts: { verdict: string }[] }[];
      coverage: { images: { unknown: number } };
    };
    expect(rep.images.map((i) => [i.reference, i.verdicts.every((v) => v.verdict === "unknown")])).toEqual([
      [`${host}/team/app:1`, true],
    ]);
    expect(rep.coverage.images.unknown).toBe(1);
    const table = await run(args);
    expect(table.stdout).toMatch(new RegExp(`${host}/team/app:1\\s+unknown`));
    const gated = await run([...args, "--fail-on-unknown", "-o", "json"]);
    expect(gated.code).toBe(1);
  });
});
