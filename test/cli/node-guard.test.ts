// The Node version guard in bin/ (issue #8 item 9): on a Node older than 22.12 the CLI prints one
// line naming the version it needs and how to get it, or, in a checkout where scripts/node-env.sh
// installed Node 24 into .tools/, hands over to that Node. The system node here is older (Debian's
// v20): that is the point of the test, so it is asserted rather than assumed.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./run.js";

const OLD_NODE = "/usr/bin/node";
const BIN = join(ROOT, "bin/kube-runtime-audit.js");
const tmp = mkdtempSync(join(tmpdir(), "kra-guard-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function oldNodeVersion(): number[] {
  return execFileSync(OLD_NODE, ["-p", "process.versions.node"], { encoding: "utf8" })
    .trim()
    .split(".")
    .map(Number);
}

describe("bin/ on a Node older than 22.12", () => {
  it("the system node is older than 22.12 (the case under test)", () => {
    const [major = 0, minor = 0] = oldNodeVersion();
    expect(major < 22 || (major === 22 && minor < 12)).toBe(true);
  });

  it("prints one line naming the required version and how to get it, exit 2", () => {
    // An installed copy: bin/ with no .tools/ beside it.
    mkdirSync(join(tmp, "pkg/bin"), { recursive: true });
    copyFileSync(BIN, join(tmp, "pkg/bin/kube-runtime-audit.js"));
    const r = spawnSync(OLD_NODE, [join(tmp, "pkg/bin/kube-runtime-audit.js"), "files", "x.yaml"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Node\.js >= 22\.12 is required, this is v\d+\./);
    expect(lines[0]).toMatch(/install Node 24/);
    expect(lines[0]).not.toMatch(/undici|TypeError|at /);
  });

  it("in a checkout with .tools/node24 it runs with that Node instead", () => {
    expect(existsSync(join(ROOT, ".tools/node24/node_modules/.bin/node"))).toBe(true);
    const r = spawnSync(OLD_NODE, [BIN, "files", "examples/", "-o", "json"], { encoding: "utf8", cwd: ROOT });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).kind).toBe("AuditReport");
  });

  it("the README's `npx kube-runtime-audit files examples/` works in a new shell with only the system node", () => {
    // What a new terminal has after demo.sh: no node-env.sh sourced, the system node and npm on PATH.
    const r = spawnSync("bash", ["-c", "npx --no-install kube-runtime-audit files examples/ -o json"], {
      encoding: "utf8",
      cwd: ROOT,
      env: { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? tmp },
    });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(0);
  });
});
