// Spawns the built CLI (bin/ → dist/) as users run it. `npm run build` must have run.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/kube-runtime-audit.js");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  if (!existsSync(join(ROOT, "dist/cli/main.js")))
    throw new Error("dist/ is missing: run `npm run build` first");
  return spawnCollect(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "", SOURCE_DATE_EPOCH: "1767225600", ...opts.env },
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
  });
}

/** Runs a command to its end and collects stdout, stderr and the exit code. */
export function spawnCollect(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}
