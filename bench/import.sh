#!/usr/bin/env bash
# The schedule import benchmark of docs/benchmarks.md: a generated iCalendar file of
# BENCH_SHIFTS shifts (one VEVENT each, TZID times in America/New_York) imported into a
# stopped store with `wardline admin schedule import`, then imported again. The second
# import reads, matches and compares every shift but writes none: the same run's
# baseline, so the ratio of the two is what the writes cost.
#
#   bench/import.sh [build-dir]
#
# Environment: BENCH_SHIFTS [100000], BENCH_USERS [200] (users and roles of the Bench
# org), OUT [bench-results]. Bounded: a fixed file, a temporary data directory.
set -euo pipefail
build_dir=${1:-build}
wardline="$build_dir/src/cli/wardline"
shifts=${BENCH_SHIFTS:-100000}
users=${BENCH_USERS:-200}
out=${OUT:-bench-results}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$wardline" bench setup --data-dir "$work/data" --count "$users" > /dev/null
# Shift k: role "Bench role (k mod users)", held by that role's pair partner, 12 hours
# from 2027-01-01 07:00 local plus 12 hours per round of roles.
python3 - "$shifts" "$users" > "$work/shifts.ics" <<'PY'
import sys, datetime
shifts, users = int(sys.argv[1]), int(sys.argv[2])
start = datetime.datetime(2027, 1, 1, 7, 0)
out = sys.stdout
out.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Wardline bench//EN\r\n")
for k in range(shifts):
    role = k % users
    holder = role ^ 1
    begin = start + datetime.timedelta(hours=12 * (k // users))
    end = begin + datetime.timedelta(hours=12)
    out.write("BEGIN:VEVENT\r\nUID:bench-%d@wardline.example\r\nDTSTAMP:20261201T000000Z\r\n" % k)
    out.write("DTSTART;TZID=America/New_York:%s\r\n" % begin.strftime("%Y%m%dT%H%M%S"))
    out.write("DTEND;TZID=America/New_York:%s\r\n" % end.strftime("%Y%m%dT%H%M%S"))
    out.write("SUMMARY:Bench role %d\r\n" % role)
    out.write("ATTENDEE;CN=Bench User %d:mailto:bench-%d@wardline.example\r\nEND:VEVENT\r\n" % (holder, holder))
out.write("END:VCALENDAR\r\n")
PY
size=$(stat -c %s "$work/shifts.ics")
echo "== import: $shifts shifts, $((size / 1024 / 1024)) MiB of iCalendar"

measure() {  # measure NAME: runs the import, prints its report and the seconds it took
  local name=$1
  local started ended
  started=$(date +%s.%N)
  "$wardline" admin --data-dir "$work/data" schedule import --org Bench --time-zone UTC \
    "$work/shifts.ics" 2> /dev/null | head -3
  ended=$(date +%s.%N)
  python3 -c "
import json, sys
seconds = $ended - $started
print('  %s: %.2f s, %.0f shifts/s' % ('$name', seconds, $shifts / seconds))
json.dump({'run': '$name', 'shifts': $shifts, 'seconds': seconds,
           'shifts_per_second': $shifts / seconds}, open('$out/import-$name.json', 'w'))
"
}
measure first
measure again
