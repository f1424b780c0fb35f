#!/usr/bin/env bash
# The sanitizer and fuzzing leg of `make test`: an ASan+UBSan clang build of the CPU tree (build-asan/,
# with libFuzzer coverage so the fuzz/ targets link against the same libraries), the CPU suite under
# it (the slowest training tests excluded, see SLOW below), then for every fuzz/ target: each committed
# seed once (the regression inputs of past findings), and a short exploration with a fixed -seed (the
# same mutation sequence on every run, so CI does not turn red at random), at most FUZZ_RUNS inputs or
# the given seconds. Usage: scripts/sanitize_and_fuzz.sh [seconds per fuzz target (25)]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_ASAN:-build-asan}
FUZZ_SECONDS=${1:-25}
FUZZ_RUNS=${FUZZ_RUNS:-200000}
FUZZ_SEED=${FUZZ_SEED:-1}
JOBS=${JOBS:-$(nproc)}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DYE_CUDA=OFF -DYE_BUILD_BENCH=OFF \
    -DYE_FUZZ=ON -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" -DCMAKE_C_FLAGS_RELEASE="-O1 -g" \
    -DCMAKE_CXX_FLAGS="$SAN -fsanitize=fuzzer-no-link" -DCMAKE_C_FLAGS="$SAN" \
    -DCMAKE_EXE_LINKER_FLAGS="$SAN" >/dev/null
fi
cmake --build "$BUILD" -j"$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
# fontconfig (under cairo's text rendering in the plots) keeps its caches until exit: not ours.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# SLOW: real multi-epoch trainings (tests/train) and the parity/install entries (a venv, a second
# CMake build) take most of the sanitizer time and exercise no reader; their code paths run under
# the sanitizers through tests/robustness (training start, checkpoints, resume, SIGTERM, full disk).
SLOW='^(train|parity_.*|install_package)$'
ctest --test-dir "$BUILD" -L cpu -E "$SLOW" --output-on-failure

for target in fuzz/*_fuzz.cpp; do
  name=$(basename "$target" .cpp)
  work=$(mktemp -d)
  echo "fuzz: $name: the committed seeds once each"
  (cd "$work" && "$OLDPWD/$BUILD/fuzz/$name" -rss_limit_mb=4096 -malloc_limit_mb=4096 -timeout=20 \
      "$OLDPWD/fuzz/corpus/$name"/* 2>&1 | tail -n 3)
  echo "fuzz: $name: -seed=$FUZZ_SEED, at most $FUZZ_RUNS inputs or ${FUZZ_SECONDS}s"
  # New inputs go to a scratch folder; the committed seeds stay as they are.
  (cd "$work" && "$OLDPWD/$BUILD/fuzz/$name" -seed="$FUZZ_SEED" -runs="$FUZZ_RUNS" -max_total_time="$FUZZ_SECONDS" \
      -rss_limit_mb=4096 -malloc_limit_mb=4096 -timeout=20 -print_final_stats=1 "$work" "$OLDPWD/fuzz/corpus/$name" \
      2>&1 | tail -n 12)
  rm -rf "$work"
done
