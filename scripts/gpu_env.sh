# Sourced by scripts/gpu_suite.sh and scripts/gpu_ddp_suite.sh on the GPU machine (repository root as
# the working directory, .device/ carried there): library path for the bundle and the torch venv's
# cuDNN/NCCL, NVLink multicast off, and the build-time source and dataset paths recreated as links so
# tests find their goldens. Sets $shared (the folder holding datasets/).
NV=/opt/torch/.venv/lib/python3.12/site-packages/nvidia
libs=$PWD/.device/lib
for d in "$NV"/*/lib /usr/local/cuda/lib64; do [ -d "$d" ] && libs="$libs:$d"; done
export LD_LIBRARY_PATH="$libs:${LD_LIBRARY_PATH:-}"
export NCCL_NVLS_ENABLE=0
probe=$(ls .device/bin/test_*_gpu 2>/dev/null | head -1)
src_dir=$(strings "${probe:-/dev/null}" 2>/dev/null | grep -m1 -o '^/[^ ]*/main$' || echo /work/main)
if [ "$src_dir" != "$PWD" ] && [ ! -e "$src_dir" ]; then mkdir -p "$(dirname "$src_dir")" && ln -sfn "$PWD" "$src_dir"; fi
shared="$(dirname "$src_dir")/shared"
if [ ! -e "$shared/datasets" ] && [ -d .device/datasets ]; then mkdir -p "$shared" && ln -sfn "$PWD/.device/datasets" "$shared/datasets"; fi
