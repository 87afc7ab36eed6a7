#!/usr/bin/env node
// Entry point for both `kube-runtime-audit` and the kubectl plugin `kubectl-runtime_audit`.
//
// Plain JavaScript that any Node can parse, and it checks the version before importing anything of
// ours: the dependencies need Node >= 22.12 and, on an older Node, die with a stack trace from deep
// inside a library before a single line of the CLI runs. In a checkout where scripts/node-env.sh
// installed Node 24 into .tools/node24, an older `node` hands over to that one, so the README's
// commands work in any shell; elsewhere it prints one line saying what to install.
//
// The one-shot commands (scan, files, image) run in a child Node with a capped young generation,
// `--max-semi-space-size` (https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib): on a
// machine with a large heap limit V8 lets the young generation grow to 64 MiB semi-spaces, and
// parsing 100 MiB of list pages then took ~1 s more CPU and ~130 MiB more memory than with 8 MiB
// (README "Benchmark: cluster scan"). V8 reads the flag only when the heap is set up, so neither
// v8.setFlagsFromString nor anything else in this process can change it (measured: no effect).
// Skipped when the flag is already given (NODE_OPTIONS, node's own arguments) and for `controller`,
// which handles SIGTERM itself and runs as PID 1 in its pod.
const REQUIRED = [22, 12];
const YOUNG_GENERATION = "--max-semi-space-size=8";
const [major, minor] = process.versions.node.split(".").map(Number);
const supported = major > REQUIRED[0] || (major === REQUIRED[0] && minor >= REQUIRED[1]);

/** Whether to hand over to a child Node that runs with YOUNG_GENERATION. */
function wantsYoungGenerationCap() {
  if (process.env.KUBE_RUNTIME_AUDIT_REEXEC === "1") return false;
  if (process.argv[2] === "controller") return false;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  return !given.some((a) => /^--max-semi-space-size(=|$)/.test(a));
}

if (supported && wantsYoungGenerationCap()) {
  const { spawn } = await import("node:child_process");
  // argv[1] as invoked (the kubectl-runtime_audit symlink name picks the plugin mode).
  const child = spawn(
    process.execPath,
    [...process.execArgv, YOUNG_GENERATION, process.argv[1], ...process.argv.slice(2)],
    { stdio: "inherit", env: { ...process.env, KUBE_RUNTIME_AUDIT_REEXEC: "1" } },
  );
  // A signal sent to this process alone (kill, a container stop) reaches the child too; one sent to
  // the terminal's process group (Ctrl-C) reaches both, and the child ends on the first.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, () => child.kill(s));
  child.on("error", (e) => {
    process.stderr.write(`kube-runtime-audit: error: cannot start ${process.execPath}: ${e.message}\n`);
    process.exitCode = 2;
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      // End the way the child ended, so the caller sees the same signal.
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exitCode = code ?? 2;
  });
} else if (supported) {
  const { main } = await import("../dist/cli/main.js");
  process.exitCode = await main(process.argv);
} else {
  const { existsSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  const local = fileURLToPath(new URL("../.tools/node24/node_modules/.bin/node", import.meta.url));
  if (existsSync(local) && process.env.KUBE_RUNTIME_AUDIT_REEXEC !== "1") {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: "inherit",
      // Guards against a loop should that binary itself be too old.
      env: { ...process.env, KUBE_RUNTIME_AUDIT_REEXEC: "1" },
    });
    process.exitCode = r.status ?? 2;
  } else {
    process.stderr.write(
      `kube-runtime-audit: error: Node.js >= ${REQUIRED.join(".")} is required, this is ${process.version} (${process.execPath}); ` +
        "install Node 24 LTS (https://nodejs.org/en/download, or your package manager), " +
        "or in a checkout run `source scripts/node-env.sh`\n",
    );
    process.exitCode = 2;
  }
}
