#!/usr/bin/env bash
# Builds the GPU bundle: a shared-library CUDA build (small binaries) in build-device/, then copies
# the executables, the engine's libraries and every non-system shared library they need (yaml-cpp,
# turbojpeg, toml++, cairo and its dependencies) into .device/ (git-ignored), ready to be carried to a
# GPU machine together with scripts/gpu_suite.sh. Usage: scripts/make_device_bundle.sh [targets...]
# BUNDLE_FROM=build bundles the static binaries of an existing CUDA build instead (no second build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUNDLE_FROM:-build-device}
OUT=.device
if [ -z "${BUNDLE_FROM:-}" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DYE_CUDA=ON -DBUILD_SHARED_LIBS=ON >/dev/null
fi
cmake --build "$BUILD" -j"$(nproc)" ${1:+--target "$@"}
rm -rf "$OUT" && mkdir -p "$OUT/bin" "$OUT/lib"
find "$BUILD" -maxdepth 3 -type f -executable \( -name 'test_*' -o -name 'bench_*' -o -name yolo \) \
  -exec cp {} "$OUT/bin/" \;
find "$BUILD" -maxdepth 2 -name 'libye_*.so' -exec cp {} "$OUT/lib/" \;
# Non-system dependencies: everything ldd resolves outside the CUDA toolkit and glibc.
for f in "$OUT"/bin/* "$OUT"/lib/*.so; do
  ldd "$f" 2>/dev/null | awk '/=> \// {print $3}' || true
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libgcc_s.so*|libcuda.so*) continue ;;
    libcudart*|libcublas*|libcudnn*|libnccl*|libnvrtc*|libnvJitLink*) continue ;;
  esac
  case "$lib" in "$PWD"/*) continue ;; esac
  cp -L "$lib" "$OUT/lib/"
done
strip --strip-unneeded "$OUT"/bin/* "$OUT"/lib/*.so* 2>/dev/null || true
cp -r configs "$OUT/"
du -sh "$OUT"
