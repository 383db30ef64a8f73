#!/usr/bin/env bash
# The web app (web/): install its npm packages from web/package-lock.json, build it
# into web/dist, or run its tests.
#
#   scripts/web.sh build
#   scripts/web.sh test REPORT_DIR     writes unit.json and e2e.json (vitest's JSON reports)
set -euo pipefail
cd "$(dirname "$0")/../web"

require_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "web: Node.js 20 and npm are required (node and npm not found)" >&2
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "web: Node.js 20 or newer is required (found $(node --version))" >&2
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
