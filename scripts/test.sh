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

# 3. The web app: unit tests (vitest) and browser end-to-end tests (vitest driving
# Debian's Chromium through playwright-core against a server each test starts).
web_reports=$(mktemp -d)
echo "== web"
WARDLINE_BIN=$(realpath "$build_dir/src/cli/wardline") bash scripts/web.sh test "$web_reports"
web_status=$?
web_failed=0
for suite in unit e2e; do
  report="$web_reports/$suite.json"
  if [ -s "$report" ]; then
    read -r tests failures < <(python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))
print(r.get("numTotalTests",0), r.get("numFailedTests",0) + r.get("numRuntimeErrorTestSuites",0))' "$report")
    record "web-$suite" $((tests - failures)) "$failures"
    web_failed=$((web_failed + failures))
  else
    echo "web $suite tests produced no report"
    record "web-$suite" 0 1
    web_failed=$((web_failed + 1))
  fi
done
# A failure the reports do not count (a crashed runner) still fails the run.
if [ "$web_status" -ne 0 ] && [ "$web_failed" -eq 0 ]; then record web 0 1; fi
rm -rf "$web_reports"

# 4. Fuzzing: each libFuzzer target for a bounded time (scripts/fuzz.sh; longer runs
# on request: README.md, "Fuzzing").
echo "== fuzz"
if bash scripts/fuzz.sh "${WL_FUZZ_SECONDS:-60}" "$build_dir"; then record fuzz 1 0; else record fuzz 0 1; fi

if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]}"
fi
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
