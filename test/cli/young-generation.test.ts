// bin/'s hand-over to a child Node with a capped young generation (--max-semi-space-size): which
// commands get it, that a flag the user gave wins, and that the child's exit and a signal sent to
// the parent alone pass through. A preload module (NODE_OPTIONS=--import) records each Node process
// the command starts: its pid and its execArgv.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, run } from "./run.js";

const tmp = mkdtempSync(join(tmpdir(), "kra-young-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A preload that appends `{pid, execArgv}` of every Node process that loads it to a file. */
function probe(): { options: string; processes: () => { pid: number; execArgv: string[] }[] } {
  const out = join(tmp, `procs-${n++}.jsonl`);
  const mod = join(tmp, `probe-${n}.mjs`);
  writeFileSync(
    mod,
    `import { appendFileSync } from "node:fs";\nappendFileSync(${JSON.stringify(out)}, JSON.stringify({ pid: process.pid, execArgv: process.execArgv }) + "\\n");\n`,
  );
  writeFileSync(out, "");
  return {
    options: `--import=${mod}`,
    processes: () =>
      readFileSync(out, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { pid: number; execArgv: string[] }),
  };
}

const capped = (p: { execArgv: string[] }) => p.execArgv.includes("--max-semi-space-size=8");

describe("the young generation cap (bin/)", () => {
  it("runs a one-shot command in one child Node with --max-semi-space-size, with its exit code and output", async () => {
    const p = probe();
    const r = await run(["files", "examples/", "-o", "json"], { env: { NODE_OPTIONS: p.options } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).kind).toBe("AuditReport");
    const procs = p.processes();
    expect(procs).toHaveLength(2);
    expect(procs.filter(capped)).toHaveLength(1);
  });

  it("keeps a --max-semi-space-size the user gave, in one process", async () => {
    const p = probe();
    const r = await run(["--version"], {
      env: { NODE_OPTIONS: `${p.options} --max-semi-space-size=4` },
    });
    expect(r.code).toBe(0);
    expect(p.processes()).toHaveLength(1);
  });

  it("leaves `controller` in one process (it handles SIGTERM itself)", async () => {
    const p = probe();
    const r = await run(["controller", "--help"], { env: { NODE_OPTIONS: p.options } });
    expect(r.code).toBe(0);
    expect(p.processes()).toHaveLength(1);
    expect(p.processes().filter(capped)).toHaveLength(0);
  });

  it("passes a SIGTERM sent to the parent alone to the child, and ends by it", async () => {
    const p = probe();
    // `files -` waits for stdin, which stays open: the command runs until signalled.
    const parent = spawn(process.execPath, [join(ROOT, "bin/kube-runtime-audit.js"), "files", "-"], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: p.options },
      stdio: ["pipe", "ignore", "ignore"],
    });
    const ended = new Promise<NodeJS.Signals | null>((resolve) => parent.on("exit", (_c, s) => resolve(s)));
    // Both processes have started once the probe recorded two.
    while (p.processes().length < 2) await new Promise((r) => setTimeout(r, 50));
    const child = p.processes().find(capped);
    expect(child).toBeDefined();
    parent.kill("SIGTERM");
    expect(await ended).toBe("SIGTERM");
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // The parent ends only after the child did.
    expect(alive(child?.pid ?? 0)).toBe(false);
    parent.stdin?.destroy();
  });
});
