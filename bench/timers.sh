#!/usr/bin/env bash
# The escalation timer benchmark of docs/benchmarks.md: about BENCH_TIMERS pending
# escalation timers falling due while the server runs the messages benchmark at full
# speed, against the same load without timers.
#
#   bench/timers.sh [build-dir]
#
# Environment (defaults in brackets): BENCH_USERS [200], BENCH_TIMERS [100000],
# BENCH_PRELOAD_RATE [2500] (urgent messages/s that start the timers; the preload lasts
# BENCH_TIMERS / BENCH_PRELOAD_RATE seconds), BENCH_SECONDS [30] (the baseline run),
# BENCH_LOAD_RATE [unset: full speed] (the baseline and loaded runs at this fixed
# messages/s instead), BENCH_PERF [unset] (a file: perf record -g of the server during
# the loaded run),
# OUT [bench-results]. The delay an urgent message may stay unread is the preload's
# length plus 5 s, so that no timer falls due before the loaded run; that run lasts
# the preload's length plus 10 s, so that all of them fall due inside it.
#
# 1. baseline: messages-max, normal messages (the Bench org's policy escalates only
#    urgent ones, after the delay, and does not re-alert).
# 2. preload: urgent messages at BENCH_PRELOAD_RATE/s until BENCH_TIMERS are sent. Nobody
#    reads them, so each holds a pending escalation timer due the delay after it was
#    sent; the bench users have no backups, so each ends with its sender's
#    `unanswered` (and its audit entry).
# 3. loaded: messages-max again, over the window in which those timers fall due.
#
# Then, with the server stopped, how late each timer fired (its `message.unanswered`
# audit entry's time against the message's time plus the delay) is read from the
# database with sqlite3. Bounded: fixed counts and durations, loopback only.
set -euo pipefail
build_dir=${1:-build}
wardline="$build_dir/src/cli/wardline"
users=${BENCH_USERS:-200}
timers=${BENCH_TIMERS:-100000}
preload_rate=${BENCH_PRELOAD_RATE:-2500}
seconds=${BENCH_SECONDS:-30}
preload_seconds=$(( (timers + preload_rate - 1) / preload_rate ))
delay=$(( preload_seconds + 5 ))
loaded_seconds=$(( preload_seconds + 10 ))
load=(--window 8)
load_name=messages-max
if [ -n "${BENCH_LOAD_RATE:-}" ]; then
  load=(--rate "$BENCH_LOAD_RATE")
  load_name="messages at $BENCH_LOAD_RATE/s"
fi
out=${OUT:-bench-results}
mkdir -p "$out"
source "$(dirname "$0")/lib.sh"  # $work, $server_pid, free_port, wait_for_server

"$wardline" bench setup --data-dir "$work/data" --count "$users" > /dev/null
"$wardline" admin --data-dir "$work/data" escalation policy --org Bench --urgent-after "$delay" \
  --normal-after 0 --realert-every 0

port=$(free_port)
"$wardline" serve --data-dir "$work/data" --port "$port" --bench-limits --fast-password-hashing \
  --log-level warn --ws-queue-frames 4096 &
server_pid=$!
wait_for_server "$port"
server=(--server "https://127.0.0.1:$port" --ca "$work/data/tls/ca.pem" --server-pid "$server_pid")
database="$work/data/wardline.db"
pending() { sqlite3 "$database" "SELECT count(*) FROM timers WHERE kind = 'message.escalation'"; }

echo "== baseline: $load_name without timers, ${seconds} s"
"$wardline" bench run "${server[@]}" --mode messages --users "$users" --duration "$seconds" \
  "${load[@]}" --json "$out/timers-baseline.json"

echo "== preload: urgent messages at $preload_rate/s for $preload_seconds s (+2 s warm-up)"
"$wardline" bench run "${server[@]}" --mode messages --users "$users" --rate "$preload_rate" \
  --duration "$preload_seconds" --urgent --json "$out/timers-preload.json" > /dev/null
echo "   pending escalation timers: $(pending)"

echo "== loaded: $load_name while they fall due, ${loaded_seconds} s"
perf_pid=
if [ -n "${BENCH_PERF:-}" ]; then
  perf record -g -o "$BENCH_PERF" -p "$server_pid" -- sleep "$loaded_seconds" > /dev/null 2>&1 &
  perf_pid=$!
fi
"$wardline" bench run "${server[@]}" --mode messages --users "$users" --duration "$loaded_seconds" \
  "${load[@]}" --json "$out/timers-loaded.json"
if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi

# Whatever is still pending fires now, unloaded (bounded wait).
for _ in $(seq 1 120); do
  [ "$(pending)" -eq 0 ] && break
  sleep 1
done
echo "   pending after the runs: $(pending)"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=

# Lateness in ms of each fired timer: its audit time - (message time + delay).
sqlite3 "$database" "SELECT a.at - e.created_at - $delay * 1000000 FROM audit a JOIN events e \
  ON e.id = CAST(substr(a.target, 9) AS INTEGER) WHERE a.action = 'message.unanswered'" |
  sort -n | awk -v out="$out/timers-lateness.json" '
    { v[NR] = $1 / 1000.0; if ($1 > 1000000) late++ }
    END {
      if (NR == 0) { print "no timer fired"; exit 1 }
      p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]; max = v[NR]
      printf "== lateness of %d timers: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d later than 1 s\n",
        NR, p50, p99, max, late + 0
      printf "{\"timers\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"later_than_1s\":%d}\n",
        NR, p50, p99, max, late + 0 > out
    }'
