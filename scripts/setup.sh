#!/usr/bin/env bash
# Installs every Debian package Wardline needs to build, test and run (the web app's
# npm packages come from web/package-lock.json, and a newer Node.js if the system's is
# too old: scripts/web.sh).
# Idempotent: packages already present are skipped, so `make run` and `make test`
# can call it every time at almost no cost.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsodium-dev libsqlite3-dev sqlite3 libpq-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libical-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql openssl
  systemd  # systemd-analyze checks the service unit (tests/integration/service_test.cpp)
  clang-19 libclang-rt-19-dev
  chromium libnss3-tools fonts-dejavu-core
)

# The web app's build needs node and npm: Debian's (18) will do, since scripts/web.sh
# then fetches the Node.js 20 it pins. A node from elsewhere (NodeSource, nvm) is kept.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run 'make run' or 'make test' as root once, or install them with apt-get." >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
