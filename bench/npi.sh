#!/usr/bin/env bash
# The provider directory benchmark of docs/benchmarks.md, "NPI import and search": a
# generated NPPES-format file of BENCH_NPI_ROWS rows (the real 330-column header; valid
# check digits; a bad row every 200,000 and a deactivation every 100,000) is
#   1. read and checked only (`admin npi import --dry-run`): the baseline, the same
#      reader and conversion with no store;
#   2. imported into a fresh stopped store (SQLite, the data directory's);
#   3. imported again into that store: the monthly refresh, every row an update;
# and then searched (bench/npi_search_benchmark.cpp): p50/p99 of each kind of search
# against an exact NPI lookup of the same run.
#
#   bench/npi.sh [build-dir]
#
# Environment: BENCH_NPI_ROWS [2000000], BENCH_NPI_QUERIES [2000], OUT [bench-results].
# Bounded: a fixed file in a temporary folder, removed at exit. Needs about 1.2 KB of
# disk per row for the file and 0.3 KB for the store.
set -euo pipefail
build_dir=${1:-build}
wardline="$build_dir/src/cli/wardline"
searcher="$build_dir/bench/wl_npi_search_benchmark"
rows=${BENCH_NPI_ROWS:-2000000}
queries=${BENCH_NPI_QUERIES:-2000}
out=${OUT:-bench-results}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
source "$here/lib.sh"

python3 - "$rows" "$here/../tests/data/npi/npidata_pfile_header_reconstructed.csv" \
  "$work/npidata_pfile_bench.csv" "$work/npis.txt" <<'PY'
import csv, sys
rows, header_path, file_path, npis_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(header_path, newline="") as f:
    header = next(csv.reader(f))
ix = {name: i for i, name in enumerate(header)}
last = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
        "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR",
        "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ",
        "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT",
        "SCOTT", "TORRES", "NGUYEN", "HILL", "FLORES", "GREEN", "ADAMS", "NELSON", "BAKER", "HALL",
        "RIVERA", "CAMPBELL", "MITCHELL", "CARTER", "ROBERTS", "PATEL", "KIM", "SMITHERS", "DANG",
        "MICHAELS", "JOSEPH", "WHEELER", "DAVIDSON", "LEONARD", "MARSH"]
first = ["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA", "DAVID",
         "ELIZABETH", "WILLIAM", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA", "THOMAS",
         "SARAH", "CHARLES", "KAREN", "ANH", "PRIYA", "WEI", "FATIMA", "CARLOS", "SOFIA"]
places = [("NE", "KEARNEY"), ("NY", "NEW YORK"), ("TX", "HOUSTON"), ("CA", "LOS ANGELES"),
          ("OH", "TOLEDO"), ("FL", "MIAMI"), ("IL", "CHICAGO"), ("AZ", "PHOENIX"), ("NE", "OMAHA"),
          ("NY", "BUFFALO"), ("TX", "DALLAS"), ("TX", "AUSTIN"), ("CA", "SAN DIEGO"),
          ("CA", "FRESNO"), ("OH", "COLUMBUS"), ("FL", "TAMPA"), ("IL", "PEORIA"), ("AZ", "TUCSON"),
          ("WA", "SEATTLE"), ("MA", "BOSTON"), ("GA", "ATLANTA"), ("PA", "PHILADELPHIA"),
          ("MN", "MINNEAPOLIS"), ("CO", "DENVER")]
codes = ["207Q00000X", "207R00000X", "207RC0000X", "207X00000X", "208000000X", "363L00000X",
         "163W00000X", "174400000X", "261QP2300X", "282N00000X", "1223G0001X", "225100000X"]

def check_digit(nine):
    total, double = 24, True
    for ch in reversed(nine):
        d = int(ch)
        if double:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
        double = not double
    return str((10 - total % 10) % 10)

empty = ['""'] * len(header)
q = lambda v: '"' + v + '"'
with open(file_path, "w", newline="") as out, open(npis_path, "w") as npis:
    out.write(",".join(q(h) for h in header) + "\r\n")
    for k in range(rows):
        nine = str(100000000 + k * 7 % 900000000)
        npi = nine + check_digit(nine)
        if k % 200000 == 199999:
            out.write(",".join(['"' + nine + str((int(npi[9]) + 1) % 10) + '"', '"1"', '"BAD"'] + empty[3:]) + "\r\n")
            continue
        row = empty[:]
        row[ix["NPI"]] = q(npi)
        if k % 100000 == 99999:
            row[ix["NPI Deactivation Date"]] = '"05/01/2019"'
        elif k % 10 == 9:
            row[ix["Entity Type Code"]] = '"2"'
            row[ix["Provider Organization Name (Legal Business Name)"]] = q(last[k % len(last)] + " MEDICAL GROUP " + str(k))
        else:
            row[ix["Entity Type Code"]] = '"1"'
            row[ix["Provider Last Name (Legal Name)"]] = q(last[(k * 31) % len(last)])
            row[ix["Provider First Name"]] = q(first[(k * 17) % len(first)])
            row[ix["Provider Middle Name"]] = q(chr(65 + k % 26))
            row[ix["Provider Credential Text"]] = '"M.D."'
        if k % 100000 != 99999:
            state, city = places[(k * 13) % len(places)]
            row[ix["Provider Business Practice Location Address City Name"]] = q(city)
            row[ix["Provider Business Practice Location Address State Name"]] = q(state)
            row[ix["Provider Business Practice Location Address Postal Code"]] = '"688472944"'
            row[ix["Provider Business Practice Location Address Telephone Number"]] = q("308%07d" % (k % 10000000))
            row[ix["Healthcare Provider Taxonomy Code_1"]] = q(codes[(k * 7) % len(codes)])
            row[ix["Healthcare Provider Primary Taxonomy Switch_1"]] = '"Y"'
            if k % 3 == 0:
                row[ix["Healthcare Provider Taxonomy Code_2"]] = q(codes[(k * 11) % len(codes)])
                row[ix["Healthcare Provider Primary Taxonomy Switch_2"]] = '"N"'
            if k % 50 == 0:
                npis.write(npi + "\n")
        out.write(",".join(row) + "\r\n")
PY
size=$(stat -c %s "$work/npidata_pfile_bench.csv")
echo "== npi: $rows rows, $((size / 1024 / 1024)) MiB of NPPES file, SQLite store"

measure() {  # measure NAME ADMIN_ARGS IMPORT_ARGS: runs the import, prints its counts and rows/s
  local name=$1 admin_args=$2 import_args=$3
  local started ended
  started=$(date +%s.%N)
  # shellcheck disable=SC2086 # the arguments are words on purpose
  "$wardline" admin $admin_args npi import $import_args "$work/npidata_pfile_bench.csv" \
    2> /dev/null > "$work/$name.txt"
  ended=$(date +%s.%N)
  grep -E '^(rows read|used|usable|rejected)' "$work/$name.txt" | sed 's/^/  /'
  python3 -c "
import json
seconds = $ended - $started
print('  %s: %.1f s, %.0f rows/s' % ('$name', seconds, $rows / seconds))
json.dump({'run': '$name', 'rows': $rows, 'seconds': seconds, 'rows_per_second': $rows / seconds},
          open('$out/npi-$name.json', 'w'))
"
}
measure read-only "" "--dry-run"
measure import "--data-dir $work/data --create-data-dir" ""
measure refresh "--data-dir $work/data" ""
python3 -c "
import json
base = json.load(open('$out/npi-read-only.json'))['rows_per_second']
for run in ('import', 'refresh'):
    rate = json.load(open('$out/npi-%s.json' % run))['rows_per_second']
    print('  %s / read-only: %.2f' % (run, rate / base))
"
echo "== search: $queries queries of each kind, against an exact NPI lookup"
"$searcher" "$work/data/wardline.db" "$work/npis.txt" "$queries" | tee "$out/npi-search.jsonl"
du -sh "$work/data" | sed 's/^/  store: /'
