#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzzer.cpp) with clang and runs each for a
# bounded time (README.md, "Fuzzing").
#
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]
#
# Each target starts from its seed corpus (fuzz/corpus/NAME) and what earlier runs
# found (BUILD_DIR/fuzz/corpus/NAME), and runs SECONDS (default 60) on one core.
# A crash, sanitizer report, leak or timeout fails the run and leaves the input that
# caused it in BUILD_DIR/fuzz/; replay it with `BUILD_DIR/fuzz/NAME FILE`.
set -euo pipefail
seconds=${1:-60}
build_dir=${2:-build}
clang=${CLANG:-clang++-19}
out="$build_dir/fuzz"
mkdir -p "$out"

if ! command -v "$clang" > /dev/null; then
  echo "fuzz: $clang not found (scripts/setup.sh installs it)" >&2
  exit 1
fi

flags=(-std=c++23 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer -Isrc -DFMT_SHARED)

build() {  # build NAME SOURCES... [-- LINK_FLAGS...]
  local name=$1
  shift
  local sources=() link=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do sources+=("$1"); shift; done
  if [ $# -gt 0 ]; then shift; link=("$@"); fi
  local binary="$out/$name"
  # Rebuilt only when a source is newer than the binary.
  local stale=0
  for source in "${sources[@]}"; do
    if [ ! -e "$binary" ] || [ "$source" -nt "$binary" ]; then stale=1; fi
  done
  if [ "$stale" -eq 1 ]; then
    echo "fuzz: building $name"
    "$clang" "${flags[@]}" "${sources[@]}" -lfmt "${link[@]}" -o "$binary"
  fi
}

run() {  # run NAME
  local name=$1
  local found="$out/corpus/$name"
  mkdir -p "$found"
  echo "fuzz: running $name for ${seconds}s"
  local dictionary=()
  if [ -f "fuzz/$name.dict" ]; then dictionary=(-dict="$PWD/fuzz/$name.dict"); fi
  (cd "$out" && "./$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 "${dictionary[@]}" "corpus/$name" \
    "$OLDPWD/fuzz/corpus/$name")
}

build ws_frame_fuzzer fuzz/ws_frame_fuzzer.cpp src/api/frames.cpp src/api/fields.cpp \
  src/core/status.cpp src/core/time.cpp src/core/utf8.cpp
run ws_frame_fuzzer

# libical and date/tz are the system's builds, so only Wardline's code is instrumented; the
# defines match what date's CMake package gives wl_core (tz.h's layout depends on them).
build schedule_fuzzer fuzz/schedule_fuzzer.cpp src/services/routing/schedule_files.cpp \
  src/core/time_zone.cpp src/core/status.cpp src/core/time.cpp src/core/utf8.cpp \
  -- -DUSE_OS_TZDB=1 -DHAS_STRING_VIEW=1 -DONLY_C_LOCALE=1 -lical -ldate-tz
run schedule_fuzzer

build hl7_fuzzer fuzz/hl7_fuzzer.cpp src/core/hl7/parser.cpp src/core/hl7/datetime.cpp \
  src/core/hl7/mllp.cpp src/core/status.cpp src/core/time.cpp src/core/utf8.cpp
run hl7_fuzzer
