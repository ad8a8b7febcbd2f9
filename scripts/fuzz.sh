#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer drivers of tests/fuzz (clang, -DWX_FUZZ=ON, ASan+UBSan) in
# $BUILD_FUZZ and runs each for FUZZ_SECONDS (default 600), one after another, with its seed
# corpus and dictionary. New inputs go to $BUILD_FUZZ/fuzz-corpus/<name> (the seeds in the repo
# stay small); a crash stops the run and leaves crash-* in $BUILD_FUZZ/fuzz-out/<name>: add it to
# tests/fuzz/corpus/<name> as a regression once fixed. FUZZ_DRIVERS picks some ("url jws").
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_FUZZ="${BUILD_FUZZ:-$ROOT/build-fuzz}"
FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
DRIVERS="${FUZZ_DRIVERS:-url cookie redirect wechat jws jwk ini admin log wxmsg}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

if [ ! -f "$BUILD_FUZZ/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD_FUZZ" -DCMAKE_BUILD_TYPE=Debug -DWX_FUZZ=ON -DWX_WERROR=ON \
    -DCMAKE_C_COMPILER=clang >/dev/null
fi
targets=()
for d in $DRIVERS; do targets+=("fuzz_$d"); done
cmake --build "$BUILD_FUZZ" -j "$JOBS" --target "${targets[@]}"

status=0
for d in $DRIVERS; do
  work="$BUILD_FUZZ/fuzz-corpus/$d" out="$BUILD_FUZZ/fuzz-out/$d"
  mkdir -p "$work" "$out"
  dict=()
  [ -f "$ROOT/tests/fuzz/dict/$d.dict" ] && dict=(-dict="$ROOT/tests/fuzz/dict/$d.dict")
  echo "fuzz: $d for ${FUZZ_SECONDS}s" >&2
  # -rss_limit_mb: ASan's shadow counts too; -max_len: our parsers refuse far less than this.
  if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "$BUILD_FUZZ/tests/fuzz/fuzz_$d" \
      -max_total_time="$FUZZ_SECONDS" -max_len=16384 -rss_limit_mb=2048 -print_final_stats=1 \
      "${dict[@]}" "$work" "$ROOT/tests/fuzz/corpus/$d" 2>&1 | tee "$out/log.txt" | \
      grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|Test unit written)' >&2); then
    :
  fi
  if ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* >/dev/null 2>&1; then
    echo "fuzz: $d FOUND something: $(ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null | tr '\n' ' ')" >&2
    status=1
  fi
done
exit $status
