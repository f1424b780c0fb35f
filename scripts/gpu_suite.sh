#!/usr/bin/env bash
# The GPU suite, run on a GPU machine from the repository root after scripts/make_device_bundle.sh
# built .device/ here (carried with the working tree): every GPU test binary, the CUDA benchmarks,
# and optional end-to-end training runs. Results go to $OUT (default /tmp/ye-gpu-out).
# Usage: scripts/gpu_suite.sh [tests] [bench] [suite] [peer] [train] [profile] [ncu] [ab] [e2e]   (no argument = tests)
# DEADLINE=s bounds the whole run (each mode gets what is left; the device's per-call limit); TESTS="engine
# train" limits tests to those test_<area>_gpu binaries. ncu: the kernel profile of the yolov8s b64 step
# (no recompute) summed by kernel with achieved DRAM GB/s, and each batch-norm launch (NCU_LAUNCHES=re other
# kernels; kernel_profile.txt, scripts/kernel_profile.py); ab: bench_train_step rows under each environment of
# AB ('|'-separated, '' = default) in turn (ab.txt); e2e: bench/e2e/e2e_train.sh.
# suite: the microbenchmark suite through `yolo bench` (bench.md table + JSON in $OUT/suite; FILTER=re
# limits the rows, MIN_TIME the timed seconds per row, default 0.03: each repetition also flushes L2 and
# synchronises, so a row's wall time is several times its timed time; FAMILIES the kernel-family binaries,
# default all of them, not the whole-step benches), then, with several GPUs, `scripts/gpu_ddp_suite.sh
# allreduce` into the same folder.
# profile: `yolo profile` of yolov8s at 640, f16, batch 16 and 64 (per-layer table + CSV, docs/LIBRARY.md).
# BENCHES="bench_a bench_b" limits bench to those binaries (BENCH_FILTER=re their rows, PEER_MODELS=a,b the peer); peer runs bench/peer/torch_train_step.py
# (the reference's own training step) with the wheels carried in .whl/ (ultralytics, ultralytics-thop).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/ye-gpu-out}
mkdir -p "$OUT"
source scripts/gpu_env.sh
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
modes=("$@"); [ ${#modes[@]} -eq 0 ] && modes=(tests)
status=0
t_start=$(date +%s)
left() { echo $(( ${DEADLINE:-86400} - ($(date +%s) - t_start) )); }
for mode in "${modes[@]}"; do
  if [ "$(left)" -lt 20 ]; then echo "=== $mode skipped: DEADLINE reached" | tee -a "$OUT/skipped.txt"; status=1; continue; fi
  case "$mode" in
    tests)
      for t in .device/bin/test_*_gpu; do
        area=$(basename "$t" _gpu); area=${area#test_}
        if [ -n "${TESTS:-}" ] && [[ " $TESTS " != *" $area "* ]]; then continue; fi
        echo "=== $t" | tee -a "$OUT/gpu_tests.txt"
        # From the bin folder: tests that start `yolo` run ./yolo of their working directory.
        (cd "$(dirname "$t")" && timeout "$(( $(left) < ${TEST_LIMIT:-300} ? $(left) : ${TEST_LIMIT:-300} ))" "./$(basename "$t")") >> "$OUT/gpu_tests.txt" 2>&1; rc=$?
        echo "rc=$rc" | tee -a "$OUT/gpu_tests.txt"
        tail -4 "$OUT/gpu_tests.txt" | grep -E "test cases|Status" || true
        [ $rc -ne 0 ] && status=1
      done ;;
    bench)
      for b in .device/bin/bench_*; do
        name=$(basename "$b")
        if [ -n "${BENCHES:-}" ] && [[ " $BENCHES " != *" $name "* ]]; then continue; fi
        echo "=== $name"
        timeout "$(left)" "$b" --benchmark_min_time=${MIN_TIME_BENCH:-0.2} ${BENCH_FILTER:+--benchmark_filter="$BENCH_FILTER"} --benchmark_out="$OUT/$name.json" --benchmark_out_format=json \
          > "$OUT/$name.txt" 2>&1 || status=1
        tail -25 "$OUT/$name.txt"
      done ;;
    suite)
      families=${FAMILIES:-bench_conv bench_bn_silu bench_elementwise bench_resample bench_attention bench_nms bench_loss bench_optim bench_allreduce}
      timeout "$(left)" .device/bin/yolo bench --out "$OUT/suite" --min-time "${MIN_TIME:-0.03}" ${FILTER:+--filter "$FILTER"} \
        $(for f in $families; do echo --only "$f"; done) 2>&1 | tail -30
      [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
      if [ "$(nvidia-smi -L 2>/dev/null | wc -l)" -gt 1 ]; then
        YE_BENCH_CEILINGS="$OUT/suite/ceilings.json" OUT="$OUT/suite" scripts/gpu_ddp_suite.sh allreduce || status=1
      fi ;;
    peer)
      python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/ye-site .whl/*.whl \
        && PYTHONPATH=/tmp/ye-site PYTHONUNBUFFERED=1 timeout "$(left)" python3 bench/peer/torch_train_step.py --out "$OUT/peer_train_step.json" ${PEER_MODELS:+--models "$PEER_MODELS"} \
        > "$OUT/peer_train_step.txt" 2>&1 || status=1
      tail -20 "$OUT/peer_train_step.txt" ;;
    train)
      .device/bin/yolo train --data "$shared/datasets/coco128/coco128.yaml" --model yolov8n --epochs "${EPOCHS:-30}" \
        --batch 16 --imgsz 640 --amp --device 0 --project "$OUT/runs" --name coco128 --workers 12 \
        > "$OUT/train_coco128.txt" 2>&1 || status=1
      tail -40 "$OUT/train_coco128.txt" ;;
    profile)
      for b in 16 64; do
        .device/bin/yolo profile --model yolov8s --batch $b --imgsz 640 --amp --csv "$OUT/profile_yolov8s_b$b.csv" \
          > "$OUT/profile_yolov8s_b$b.txt" 2>&1 || status=1
        tail -30 "$OUT/profile_yolov8s_b$b.txt"
      done ;;
    ncu)
      timeout "$(left)" env YE_RECOMPUTE=0 ncu --profile-from-start off --clock-control none --cache-control none --csv \
        --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum .device/bin/bench_train_step --benchmark_filter=BM_train_step_phases/1/64 \
        --benchmark_min_time=0.01 > "$OUT/ncu.csv" 2> "$OUT/ncu.err" || status=1
      python3 scripts/kernel_profile.py "$OUT/ncu.csv" 60 "${NCU_LAUNCHES:-stats_|backward_|forward_vec|_final}" > "$OUT/kernel_profile.txt"
      head -30 "$OUT/kernel_profile.txt" ;;
    ab)
      # The same bench rows under each environment of AB ("|"-separated, e.g. AB='|YE_CONV_PAD=0|YE_CONV_STRIDED=0';
      # an empty entry is the default), one after the other on this card: a switch's measured effect. An
      # entry bin=PATH runs that bench_train_step instead (an older commit's build, carried in .device/).
      IFS='|' read -r -a settings <<< "${AB:-}"
      i=0
      for setting in "${settings[@]}"; do
        echo "=== ab $i: ${setting:-default}" | tee -a "$OUT/ab.txt"
        bin=.device/bin/bench_train_step
        if [[ "$setting" == bin=* ]]; then bin=${setting#bin=}; setting=; fi
        timeout "$(left)" env $setting "$bin" --benchmark_min_time=${MIN_TIME_BENCH:-0.2} \
          ${BENCH_FILTER:+--benchmark_filter="$BENCH_FILTER"} > "$OUT/ab_$i.txt" 2>&1 || status=1
        grep -E "^BM_" "$OUT/ab_$i.txt" | tee -a "$OUT/ab.txt"
        i=$((i + 1))
      done ;;
    e2e)
      OUT="$OUT/e2e" EPOCHS=${EPOCHS:-4} timeout "$(left)" bench/e2e/e2e_train.sh || status=1 ;;
  esac
done
exit $status
