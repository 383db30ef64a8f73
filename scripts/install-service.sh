#!/usr/bin/env bash
# Installs the built server as the systemd service `wardline` (docs/operations.md,
# "Install as a service"). Run as root after `make build`:
#
#   scripts/install-service.sh
#
# Installs /usr/local/bin/wardline, the web app in /usr/local/share/wardline/web, the
# `wardline` system user, /etc/wardline/wardline.toml (only if there is none) and
# /etc/systemd/system/wardline.service, then reloads systemd. It starts nothing: it prints the command that does. Run it again
# after each build to upgrade; every step is idempotent. BUILD_DIR: as in the Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${BUILD_DIR:-build}/src/cli/wardline
web_app=web/dist
unit=dist/systemd/wardline.service
service_config=dist/systemd/wardline.toml

refuse() {
  echo "install-service: $*" >&2
  exit 1
}

[ -x "$binary" ] || refuse "$binary is not built: run 'make build' first"
[ -f "$web_app/index.html" ] || refuse "the web app ($web_app) is not built: run 'make build' first"
[ "$(id -u)" -eq 0 ] || refuse "must run as root (it creates a system user and installs a unit): sudo $0"
command -v adduser >/dev/null || refuse "adduser is missing: apt-get install adduser"

# Replaced by rename, so that a running server keeps the files it started with until
# it is restarted. Without debug information (a quarter of a gigabyte).
install -s -m 0755 "$binary" /usr/local/bin/.wardline.new
mv -f /usr/local/bin/.wardline.new /usr/local/bin/wardline
rm -rf /usr/local/share/wardline/web.new
mkdir -p /usr/local/share/wardline
cp -R "$web_app" /usr/local/share/wardline/web.new
chmod -R u=rwX,go=rX /usr/local/share/wardline/web.new
rm -rf /usr/local/share/wardline/web
mv /usr/local/share/wardline/web.new /usr/local/share/wardline/web
install -D -m 0644 docs/operations.md /usr/local/share/doc/wardline/operations.md

# The service's own user, with no login. systemd creates its home, the data directory
# /var/lib/wardline (StateDirectory=), 0700 at every start.
if ! getent passwd wardline >/dev/null; then
  adduser --system --group --home /var/lib/wardline --no-create-home --quiet wardline
fi
# Root's; the service reads them. The hospital's certificate and key go in tls/.
install -d -m 0755 /etc/wardline
install -d -m 0750 -g wardline /etc/wardline/tls
# The configuration is the site's once written: never replaced. Its generated
# certificate is for this machine's names, if the certificate can hold them.
config=/etc/wardline/wardline.toml
if [ ! -e "$config" ]; then
  install -m 0640 -g wardline "$service_config" "$config.new"
  names=""
  for name in $( (hostname; hostname --fqdn) 2>/dev/null | sort -u); do
    [ "$name" = localhost ] || names+="\"$name\", "
  done
  sed -i "s/^hostname = \[\"localhost\"\]/hostname = [${names}\"localhost\"]/" "$config.new"
  if ! /usr/local/bin/wardline config check "$config.new" >/dev/null 2>&1; then
    install -m 0640 -g wardline "$service_config" "$config.new"
  fi
  mv "$config.new" "$config"
  echo "install-service: wrote $config: check its address and names (docs/operations.md)"
fi

install -m 0644 "$unit" /etc/systemd/system/wardline.service
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
else
  echo "install-service: systemd is not running here; the unit is installed for its next boot"
fi

echo "install-service: installed /usr/local/bin/wardline and /etc/systemd/system/wardline.service"
if [ -d /run/systemd/system ] && systemctl is-active --quiet wardline; then
  echo "install-service: wardline is running the previous version: systemctl restart wardline"
else
  echo "install-service: next: systemctl enable --now wardline"
fi
