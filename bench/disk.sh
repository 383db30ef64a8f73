#!/usr/bin/env bash
# Disk per message of the SQLite store (docs/operations.md, "Capacity"): a fresh server,
# BENCH_MESSAGES direct messages of BENCH_BODY bytes between bench pairs at a fixed
# rate, read by nobody (each message, its event, its delivery receipts and its audit
# entry), then a clean stop (which checkpoints and truncates the WAL) and the size of
# wardline.db against the same store before the load.
#
#   bench/disk.sh [build-dir]
#
# Environment: BENCH_MESSAGES [200000], BENCH_RATE [4000], BENCH_BODY [100], BENCH_USERS [200].
# Bounded: a fixed count at a fixed rate, loopback only.
set -euo pipefail
build_dir=${1:-build}
wardline="$build_dir/src/cli/wardline"
messages=${BENCH_MESSAGES:-200000}
rate=${BENCH_RATE:-4000}
body=${BENCH_BODY:-100}
users=${BENCH_USERS:-200}
source "$(dirname "$0")/lib.sh"  # $work, $server_pid, free_port, wait_for_server
start() {
  port=$(free_port)
  "$wardline" serve --data-dir "$work/data" --port "$port" --bench-limits --fast-password-hashing \
    --log-level warn > /dev/null &
  server_pid=$!
  wait_for_server "$port"
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }
size() { stat -c %s "$work/data/wardline.db"; }

"$wardline" bench setup --data-dir "$work/data" --count "$users" > /dev/null
start; stop
before=$(size)
before_messages=$(sqlite3 "$work/data/wardline.db" "SELECT count(*) FROM events WHERE seq IS NOT NULL")
start
seconds=$(python3 -c "print($messages / $rate)")
"$wardline" bench run --server "https://127.0.0.1:$port" --ca "$work/data/tls/ca.pem" \
  --mode messages --users "$users" --rate "$rate" --duration "$seconds" --warmup 0 \
  --body-bytes "$body" --json "$work/run.json" > /dev/null
stop
after=$(size)
# What the store holds, whatever the window counted: every message event.
sent=$(sqlite3 "$work/data/wardline.db" "SELECT count(*) FROM events WHERE seq IS NOT NULL")
python3 - "$before" "$after" "$((sent - before_messages))" "$body" <<'PY'
import sys
before, after, sent, body = (int(x) for x in sys.argv[1:])
per = (after - before) / sent
print(f"== {sent} messages of {body} bytes: store {before} -> {after} bytes, "
      f"{per:.0f} bytes per message, {per * 1e6 / 2**30:.2f} GiB per million messages")
PY
