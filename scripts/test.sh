#!/usr/bin/env bash
# Runs every suite and ends with one line totalling them: "N passed, N failed".
# Exits non-zero if anything failed or nothing ran.
set -uo pipefail
build_dir=${1:-build}
passed=0
failed=0
failed_suites=()

record() {  # record NAME PASSED FAILED
  passed=$((passed + $2))
  failed=$((failed + $3))
  if [ "$3" -ne 0 ]; then failed_suites+=("$1"); fi
}

# 1. The layer check: one test.
if bash tools/check_layers; then record check_layers 1 0; else record check_layers 0 1; fi

# 2. Every GoogleTest binary.
for binary in "$build_dir"/tests/*_tests; do
  [ -x "$binary" ] || continue
  name=$(basename "$binary")
  report=$(mktemp)
  echo "== $name"
  "$binary" --gtest_brief=1 --gtest_output="json:$report" 2>&1 | tail -n 40
  status=${PIPESTATUS[0]}
  if [ -s "$report" ]; then
    read -r tests failures errors < <(python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))
print(r.get("tests",0), r.get("failures",0), r.get("errors",0))' "$report")
    suite_failed=$((failures + errors))
    suite_passed=$((tests - suite_failed))
    if [ "$status" -ne 0 ] && [ "$suite_failed" -eq 0 ]; then suite_failed=1; fi
    record "$name" "$suite_passed" "$suite_failed"
  else
    echo "$name produced no report (exit $status)"
    record "$name" 0 1
  fi
  rm -f "$report"
done

if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]}"
fi
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
