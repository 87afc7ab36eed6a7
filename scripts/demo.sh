#!/usr/bin/env bash
# The first thing to try: installs the tool from this checkout and audits the bundled examples/.
# No cluster and no registry needed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build   # always: a dist/ left from an older checkout would run old code
set +e
npx kube-runtime-audit files examples/ "$@"
status=$?
set -e
# In a new shell the system node may be older than 22.12: bin/ then runs with .tools/node24.
echo "demo: from any shell in this checkout: npx kube-runtime-audit files <paths> (see README)" >&2
case $status in
  0) echo "demo: exit 0, nothing at or above --fail-on" >&2 ;;
  1) echo "demo: exit 1, findings at or above --fail-on (high): this is what a CI gate would stop on" >&2 ;;
  *) echo "demo: exit $status, the audit could not run" >&2; exit "$status" ;;
esac
