#!/usr/bin/env bash
# Runs the microbenchmark suite from a build folder (`make bench`): `yolo bench`, which runs every
# bench_* binary of the build (bench_ceilings first) and writes their JSON, bench.md and bench.json
# into <build>/bench-results. Usage: scripts/run_benchmarks.sh [build] [yolo bench options...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
[ $# -gt 0 ] && shift
exec "$BUILD/yolo" bench --out "$BUILD/bench-results" "$@"
