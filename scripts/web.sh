#!/usr/bin/env bash
# The web app (web/): install its npm packages from web/package-lock.json, build it
# into web/dist, or run its tests.
#
#   scripts/web.sh build
#   scripts/web.sh test REPORT_DIR     writes unit.json and e2e.json (vitest's JSON reports)
set -euo pipefail
cd "$(dirname "$0")/../web"

# The web app's toolchain (vite 8, rolldown) runs on Node.js ^20.19.0 || >=22.12.0.
node_fits() {
  node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23 ? 0 : 1);
  ' 2>/dev/null
}

# Uses the system's Node.js if it fits. Otherwise (Debian 12's own is 18) installs the
# Node.js 20 and npm pinned in tools/node/package-lock.json into tools/node, checked
# against the lock file's integrity hashes, and puts them first on PATH.
require_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "web: node and npm not found; to install them (as root): apt-get install nodejs npm" >&2
    exit 1
  fi
  if node_fits; then
    return
  fi
  local pinned=../tools/node
  if [ ! -f "$pinned/node_modules/.package-lock.json" ] ||
    [ "$pinned/package-lock.json" -nt "$pinned/node_modules/.package-lock.json" ]; then
    echo "web: Node.js $(node --version) is too old for the web app; installing the pinned Node.js 20 into tools/node"
    if ! (cd "$pinned" && npm ci --no-audit --no-fund --loglevel=error); then
      echo "web: could not install it (is the npm registry reachable?); retry with: (cd tools/node && npm ci)" >&2
      echo "web: or install Node.js 20.19 or newer yourself" >&2
      exit 1
    fi
  fi
  # npm does not link a bin named node into .bin: the binary's own folder goes first.
  local folder
  for folder in "$pinned"/node_modules/.bin "$pinned"/node_modules/node-linux-*/bin; do
    if [ -d "$folder" ]; then
      PATH="$(cd "$folder" && pwd):$PATH"
    fi
  done
  if ! node_fits; then
    # npm skips an optional package quietly: one for another machine, or one that
    # failed its integrity check.
    echo "web: tools/node holds no Node.js 20 for $(uname -m) (only x86_64 and aarch64 have one)" >&2
    echo "web: to see why: rm -rf tools/node/node_modules && (cd tools/node && npm ci --loglevel=verbose)" >&2
    echo "web: or install Node.js 20.19 or newer yourself" >&2
    exit 1
  fi
}

# npm ci only when the lock file changed since the last install.
install() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

case "${1:-}" in
  build)
    require_node
    install
    npm run --silent build
    ;;
  test)
    require_node
    install
    reports=${2:?report directory}
    mkdir -p "$reports"
    status=0
    npm run --silent test:unit -- --reporter=default --reporter=json --outputFile="$reports/unit.json" || status=1
    npm run --silent test:e2e -- --reporter=default --reporter=json --outputFile="$reports/e2e.json" || status=1
    exit $status
    ;;
  *)
    echo "usage: scripts/web.sh build | test REPORT_DIR" >&2
    exit 2
    ;;
esac
