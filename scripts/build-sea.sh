#!/usr/bin/env bash
# Builds the single-file executable `kubectl-runtime_audit` for linux/amd64 with Node's single
# executable application support (https://nodejs.org/api/single-executable-applications.html, the
# Node 24 steps: a CommonJS bundle, `node --experimental-sea-config`, then postject into a copy of the
# node binary), and the release archive the krew manifest (plugins/runtime-audit.yaml) names.
#
# Usage: scripts/build-sea.sh [OUT_DIR]     (default: .cache/sea)
# Output: OUT_DIR/kubectl-runtime_audit                          the executable (no node needed)
#         OUT_DIR/kubectl-runtime_audit-linux-amd64.tar.gz       release artifact (krew, GitHub release)
#         OUT_DIR/kubectl-runtime_audit-linux-amd64.tar.gz.sha256
#         OUT_DIR/runtime-audit.yaml      plugins/runtime-audit.yaml for this build (version, uri, sha256)
# The node binary injected is the one running this script (Node 24 from scripts/node-env.sh), so the
# executable runs that exact Node version. The archive is reproducible (fixed mtime, owner, gzip -n).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/.cache/sea}
die() { echo "build-sea: $*" >&2; exit 1; }
cd "$root"
source scripts/node-env.sh

[ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ] || die "builds linux/amd64 only, on linux/amd64 (this is $(uname -s)/$(uname -m))"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' || die "needs Node >= 24 (have $(node --version))"
[ -x node_modules/.bin/esbuild ] && [ -x node_modules/.bin/postject ] || die "esbuild/postject missing: npm ci first"

rm -rf "$out"; mkdir -p "$out/work"
npm run build >&2
node scripts/sea-bundle.mjs "$out/work/kube-runtime-audit.cjs"

# Relative paths, run from the work directory: the blob records the main script's path, and the
# executable should not depend on where it was built (reproducible archive).
cat > "$out/work/sea-config.json" <<JSON
{
  "main": "kube-runtime-audit.cjs",
  "output": "sea-prep.blob",
  "disableExperimentalSEAWarning": true,
  "useSnapshot": false,
  "useCodeCache": false
}
JSON
(cd "$out/work" && node --experimental-sea-config sea-config.json >&2)

exe=$out/kubectl-runtime_audit
cp "$(node -p process.execPath)" "$exe"
chmod u+w "$exe"
node_modules/.bin/postject "$exe" NODE_SEA_BLOB "$out/work/sea-prep.blob" \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >&2
chmod 0755 "$exe"

archive=kubectl-runtime_audit-linux-amd64.tar.gz
tar --sort=name --mtime='2000-01-01 00:00Z' --owner=0 --group=0 --numeric-owner \
  -C "$out" -cf - kubectl-runtime_audit | gzip -n > "$out/$archive"
(cd "$out" && sha256sum "$archive" > "$archive.sha256")
sha=$(cut -d' ' -f1 "$out/$archive.sha256")
version=v$(node -p 'require("./package.json").version')
sed -E -e "s|^(  version: ).*|\1$version|" \
  -e "s|(/releases/download/)[^/]+/|\1$version/|" \
  -e "s|^(      sha256: ).*|\1$sha|" plugins/runtime-audit.yaml > "$out/runtime-audit.yaml"
rm -rf "$out/work"
echo "$out/$archive"
