# Source me: puts a Node >= 22.12 first on PATH. The system node may be older (Debian ships 20), so
# when it is, Node 24 LTS is installed from the npm registry (package `node`, which ships the real
# binary) into .tools/node24 of this checkout. Nothing outside the checkout is changed.
_kra_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_kra_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}
if [ -x "$_kra_root/.tools/node24/node_modules/.bin/node" ]; then
  PATH="$_kra_root/.tools/node24/node_modules/.bin:$PATH"
fi
if ! _kra_node_ok; then
  echo "node-env: system node is $(node --version 2>/dev/null || echo missing); installing Node 24 from the npm registry into .tools/node24" >&2
  command -v npm >/dev/null 2>&1 || { echo "node-env: npm is needed to bootstrap Node 24 (apt-get install -y npm)" >&2; return 1; }
  mkdir -p "$_kra_root/.tools/node24"
  npm install --prefix "$_kra_root/.tools/node24" --no-audit --no-fund --loglevel=error node@24 >&2 || {
    echo "node-env: could not install node@24 from the npm registry" >&2; return 1; }
  PATH="$_kra_root/.tools/node24/node_modules/.bin:$PATH"
  _kra_node_ok || { echo "node-env: Node 24 install did not give a usable node" >&2; return 1; }
fi
export PATH
