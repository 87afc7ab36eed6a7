#!/usr/bin/env node
// Entry point for both `kube-runtime-audit` and the kubectl plugin `kubectl-runtime_audit`.
//
// Plain JavaScript that any Node can parse, and it checks the version before importing anything of
// ours: the dependencies need Node >= 22.12 and, on an older Node, die with a stack trace from deep
// inside a library before a single line of the CLI runs. In a checkout where scripts/node-env.sh
// installed Node 24 into .tools/node24, an older `node` hands over to that one, so the README's
// commands work in any shell; elsewhere it prints one line saying what to install.
const REQUIRED = [22, 12];
const [major, minor] = process.versions.node.split(".").map(Number);
const supported = major > REQUIRED[0] || (major === REQUIRED[0] && minor >= REQUIRED[1]);

if (supported) {
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
