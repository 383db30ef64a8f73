#!/usr/bin/env bash
# The end-to-end benchmark of docs/benchmarks.md, in one run: a fresh server on a free
# loopback port, the bare TLS WebSocket echo baseline, then durable encrypted messages
# at full speed and at a fixed rate, then idle memory per connection.
#
#   bench/e2e.sh [build-dir]           (BENCH_USERS, BENCH_SECONDS, BENCH_IDLE override)
#
# Prints each run's report and writes JSON results to $OUT (default bench-results/).
# Everything is bounded: fixed user counts, fixed durations, loopback only.
set -euo pipefail
build_dir=${1:-build}
wardline="$build_dir/src/cli/wardline"
users=${BENCH_USERS:-200}
seconds=${BENCH_SECONDS:-10}
idle=${BENCH_IDLE:-10000}
rate=${BENCH_RATE:-5000}
out=${OUT:-bench-results}
mkdir -p "$out"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Each idle connection is a socket on both sides of loopback.
ulimit -n $(( idle * 2 + 4096 )) 2>/dev/null || ulimit -n "$(ulimit -Hn)"

accounts=$(( idle > users ? idle : users ))
echo "== setup: $accounts bench users"
"$wardline" bench setup --data-dir "$work/data" --count "$accounts"

# start_server: a fresh server process on a free port (sets server_pid and server).
start_server() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$wardline" serve --data-dir "$work/data" --port "$port" --bench-echo --bench-limits \
    --fast-password-hashing --log-level warn --ws-queue-frames 4096 &
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
  local name=$1; shift
  echo "== $name: wardline bench run $*"
  "$wardline" bench run "${server[@]}" "$@" --json "$out/$name.json"
}

start_server
run echo-max --mode echo --users "$users" --duration "$seconds" --window 8
run messages-max --mode messages --users "$users" --duration "$seconds" --window 8
run echo-rate --mode echo --users "$users" --duration "$seconds" --rate "$rate"
run messages-rate --mode messages --users "$users" --duration "$seconds" --rate "$rate"
stop_server
# Idle memory on fresh servers, so that memory freed by earlier runs (kept by malloc)
# does not hide what the connections cost.
start_server
run idle-echo --mode echo --connections-only "$idle"
stop_server
start_server
run idle-authenticated --mode messages --connections-only "$idle"
stop_server
