#!/usr/bin/env bash
# The end-to-end benchmark of docs/benchmarks.md, in one run: a fresh server on a free
# loopback port, the bare TLS WebSocket echo baseline, then durable encrypted messages
# at full speed (to a person, then to a role), at a fixed rate and at a light rate, then
# group threads, then idle memory per connection.
#
#   bench/e2e.sh [build-dir]
#
# Environment (defaults in brackets):
#   BENCH_USERS [200] BENCH_SECONDS [10] BENCH_RATE [5000] BENCH_IDLE [10000]
#   BENCH_LIGHT_RATE [500]     the light messages run, messages/s
#   BENCH_GROUPS ["50 200"]    group sizes (members, the sender included; at most 500)
#   BENCH_GROUP_RATE [20]      messages/s of each group run
#   BENCH_STORE [sqlite]       sqlite, or postgres: a throwaway PostgreSQL cluster
#   BENCH_SERVER [the build's] the wardline binary that serves (to measure another
#                              commit's server with this load generator)
#   BENCH_RUNS [all]           only these runs, by name ("messages-max group-200")
#   OUT [bench-results]        where the JSON results go
#
# With BENCH_STORE=postgres the script starts a PostgreSQL (the newest of
# /usr/lib/postgresql/*/bin, or $WL_POSTGRES_BIN) in a temporary directory on a free
# loopback port, as the postgres user when run as root, and stops it at exit. Its
# fsync, synchronous_commit and full_page_writes stay ON (PostgreSQL's defaults): the
# runs compare durable stores, as SQLite runs with synchronous=FULL.
#
# Prints each run's report and writes JSON results to $OUT (postgres runs' files are
# prefixed "postgres-"). Everything is bounded: fixed user counts, fixed durations,
# loopback only.
set -euo pipefail
build_dir=${1:-build}
wardline="$build_dir/src/cli/wardline"
server_bin=${BENCH_SERVER:-$wardline}
only=${BENCH_RUNS:-}
users=${BENCH_USERS:-200}
seconds=${BENCH_SECONDS:-10}
idle=${BENCH_IDLE:-10000}
rate=${BENCH_RATE:-5000}
light_rate=${BENCH_LIGHT_RATE:-500}
groups=${BENCH_GROUPS:-50 200}
group_rate=${BENCH_GROUP_RATE:-20}
store=${BENCH_STORE:-sqlite}
out=${OUT:-bench-results}
mkdir -p "$out"
case "$store" in
  sqlite) prefix= ;;
  postgres) prefix=postgres- ;;
  *) echo "BENCH_STORE must be sqlite or postgres" >&2; exit 2 ;;
esac

work=$(mktemp -d)
server_pid=
pg_dir=
pg_bin=
as_postgres=()
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_dir" ]; then
    "${as_postgres[@]}" "$pg_bin/pg_ctl" stop -D "$pg_dir/data" -m fast -s -w -t 30 2>/dev/null || true
    rm -rf "$pg_dir"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_postgres: a throwaway cluster (sets pg_dir, store_args).
start_postgres() {
  pg_bin=${WL_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "no PostgreSQL binaries (install postgresql or set WL_POSTGRES_BIN)" >&2; exit 1
  fi
  pg_dir=$(mktemp -d /tmp/wl-bench-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres: "$pg_dir"
    as_postgres=(runuser -u postgres --)
  fi
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 \
    --locale=C --no-instructions >"$pg_dir/initdb.log" 2>&1
  local port
  port=$(free_port)
  "${as_postgres[@]}" "$pg_bin/pg_ctl" start -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -s \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c max_connections=200 -c shared_buffers=128MB"
  echo "== postgres: $("$pg_bin/postgres" --version), 127.0.0.1:$port, fsync on"
  store_args=(--store "postgresql://postgres@127.0.0.1:$port/postgres")
}

store_args=()
if [ "$store" = postgres ]; then start_postgres; fi

# Each idle connection is a socket on both sides of loopback.
ulimit -n $(( idle * 2 + 4096 )) 2>/dev/null || ulimit -n "$(ulimit -Hn)"

accounts=$(( idle > users ? idle : users ))
for size in $groups; do accounts=$(( size > accounts ? size : accounts )); done
echo "== setup: $accounts bench users ($store)"
"$wardline" bench setup --data-dir "$work/data" "${store_args[@]}" --count "$accounts"

# start_server: a fresh server process on a free port (sets server_pid and server).
start_server() {
  port=$(free_port)
  "$server_bin" serve --data-dir "$work/data" "${store_args[@]}" --port "$port" --bench-echo \
    --bench-limits --fast-password-hashing --log-level warn --ws-queue-frames 4096 &
  server_pid=$!
  for _ in $(seq 1 100); do
    if curl -sk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  server=(--server "https://127.0.0.1:$port" --ca "$work/data/tls/ca.pem" --server-pid "$server_pid")
}
stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}

run() {  # run NAME ARGS...
  if [ -n "$only" ] && [[ " $only " != *" $1 "* ]]; then return; fi
  local name=$prefix$1; shift
  echo "== $name: wardline bench run $*"
  "$wardline" bench run "${server[@]}" "$@" --json "$out/$name.json"
}

start_server
run echo-max --mode echo --users "$users" --duration "$seconds" --window 8
run messages-max --mode messages --users "$users" --duration "$seconds" --window 8
run role-max --mode role --users "$users" --duration "$seconds" --window 8
run echo-rate --mode echo --users "$users" --duration "$seconds" --rate "$rate"
run messages-rate --mode messages --users "$users" --duration "$seconds" --rate "$rate"
run messages-light --mode messages --users "$users" --duration "$seconds" --rate "$light_rate"
for size in $groups; do
  run "group-$size" --mode group --group-size "$size" --duration "$seconds" --rate "$group_rate" \
    --window 64
done
stop_server
# Idle memory on fresh servers, so that memory freed by earlier runs (kept by malloc)
# does not hide what the connections cost.
for idle_run in idle-echo idle-authenticated; do
  if [ -n "$only" ] && [[ " $only " != *" $idle_run "* ]]; then continue; fi
  start_server
  mode=echo
  if [ "$idle_run" = idle-authenticated ]; then mode=messages; fi
  run "$idle_run" --mode "$mode" --connections-only "$idle"
  stop_server
done
