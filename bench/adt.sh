#!/usr/bin/env bash
# The ADT ingest benchmark of docs/benchmarks.md: generated ADT traffic over MLLP into a
# running server that stores every message and its effect before it acknowledges it,
# against the same load generator and connections answered at once without storing
# (`bench mllp --echo`), in the same run.
#
#   bench/adt.sh [build-dir]
#
# Environment (defaults in brackets): BENCH_MESSAGES [100000], BENCH_CONNECTIONS [32],
# BENCH_PATIENTS [20000], BENCH_STORE [unset: SQLite; or a postgres:// URI],
# OUT [bench-results]. Bounded: fixed counts, a time limit, loopback only.
set -euo pipefail
build_dir=${1:-build}
wardline="$build_dir/src/cli/wardline"
messages=${BENCH_MESSAGES:-100000}
connections=${BENCH_CONNECTIONS:-32}
patients=${BENCH_PATIENTS:-20000}
out=${OUT:-bench-results}
mkdir -p "$out"
source "$(dirname "$0")/lib.sh"

load=(--messages "$messages" --connections "$connections" --patients "$patients" --time-limit 600)

echo "== baseline: the same load, ACKed at once without storing"
"$wardline" bench mllp --echo "${load[@]}" | tee "$out/adt-echo.txt"

port=$(free_port)
hl7_port=$(free_port)
store_args=()
if [ -n "${BENCH_STORE:-}" ]; then store_args=(--store "$BENCH_STORE"); fi
"$wardline" serve --demo --data-dir "$work/data" --port "$port" --hl7-port "$hl7_port" \
  --fast-password-hashing --log-level warn "${store_args[@]}" > "$work/serve.log" 2>&1 &
server_pid=$!
wait_for_server "$port"

echo "== stored: every message and its effect durable before its ACK"
"$wardline" bench mllp --port "$hl7_port" "${load[@]}" | tee "$out/adt-stored.txt"
