#!/usr/bin/env bash
# Install-and-link test of the CMake package (ctest install_package): `cmake --install <build>` into a
# temporary prefix, examples/ configured with only that prefix on CMAKE_PREFIX_PATH (find_package
# (yolo_engine), yolo_engine::yolo_engine), built, and both examples run on the CPU from outside the tree.
set -euo pipefail
build=$(cd "$1" && pwd)
examples=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
test -f "$work/prefix/include/yolo_engine/yolo_engine.h"
test -f "$work/prefix/include/yolo_engine/engine/tensor.h"
test -f "$work/prefix/share/yolo_engine/configs/yolov8.toml"
config=$(find "$work/prefix" -name yolo_engineConfig.cmake)
test -n "$config"
if grep -rq "$(dirname "$examples")" "$(dirname "$config")"; then
  echo "the installed package names the source tree:" && grep -rl "$(dirname "$examples")" "$(dirname "$config")"
  exit 1
fi

cmake -S "$examples" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" -j2 >"$work/build.log" || { cat "$work/build.log"; exit 1; }

cd "$work"  # no configs/ here or above: the model configs must come from the package
unset YE_CONFIG_DIR
./build/layer_timing "$work/timing.csv" yolov8s 1 64 cpu
rows=$(tail -n +2 "$work/timing.csv" | wc -l)
[ "$rows" -eq 23 ] || { echo "layer_timing.csv: $rows layer rows, expected 23 (yolov8s)"; exit 1; }
grep -q '^22,model.22 Detect,' "$work/timing.csv" || { echo "no Detect row in layer_timing.csv"; exit 1; }
./build/custom_train_loop 6
echo "install_package: installed, built and ran examples/ against $work/prefix"
