#!/usr/bin/env bash
# The distributed GPU suite, run on a machine with 2+ GPUs from the repository root after
# scripts/make_device_bundle.sh built .device/ here (like scripts/gpu_suite.sh, whose environment set-up
# it shares): the NCCL tests (test_dist_gpu) and the CPU distributed tests, then short 2-GPU
# `yolo train --device 0,1` runs. NVLink multicast stays off (NCCL_NVLS_ENABLE=0). Results go to $OUT
# (default /tmp/ye-ddp-out): one log per mode plus copies of the runs' results.csv at the top level.
# Usage: scripts/gpu_ddp_suite.sh [tests] [coco8] [coco128] [compare] [interrupt] [kill] [allreduce]
#        [scaling] [peer] [timeline] [coco128all] [killall] [measure]   (none = tests coco8)
#   coco8 / coco128: yolov8s --amp on 2 GPUs (EPOCHS, default 3 / 10; BATCH default 32)
#   compare: the coco128 settings on 1 GPU, for the speed-up (img/s columns of results.csv)
#   interrupt: SIGINT to the launcher mid-run must save last.safetensors and exit 130; --resume finishes
#   kill: SIGKILL of rank 1 mid-run must end the launcher non-zero within 60 s, naming rank 1
#   allreduce: bench_allreduce (ours vs raw NCCL, bus bandwidth) on 2, 4, 8 GPUs (as many as present)
#   scaling: bench_ddp_step (yolov8s/m, 640, f16, per-GPU batch 32/64, SyncBN row) on 1, 2, 4, 8 GPUs,
#            then scaling efficiency = img/s(N) / (N x img/s(1)) into $OUT/scaling.txt
#   peer: the reference's torch DDP step (bench/peer/torch_ddp_train_step.py) on 1, 2, 4, 8 GPUs
#   timeline: nsys trace of the 2-GPU yolov8s b32 step (when nsys is present; the CUDA-event
#             backward_ms / exposed_comm_ms columns of scaling come without it)
#   coco128all / killall: a short coco128 run on all GPUs (every output checked), a killed rank on all
#   measure: allreduce scaling peer timeline coco128all killall (the issue-14 measurements in one call)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/ye-ddp-out}
mkdir -p "$OUT"
source scripts/gpu_env.sh
export YE_DIST_TIMEOUT=${YE_DIST_TIMEOUT:-600}
YOLO=.device/bin/yolo
gpus=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | wc -l)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
nvidia-smi topo -m >> "$OUT/gpu.txt" 2>&1
echo "GPUs: $gpus" | tee -a "$OUT/gpu.txt"
[ "$gpus" -ge 2 ] || { echo "the distributed GPU suite needs 2 GPUs"; exit 77; }

# train <name> <dataset yaml> <epochs> <device> [extra args...]: one run, its log and results.csv in $OUT.
train() {
  local name=$1 data=$2 epochs=$3 device=$4; shift 4
  rm -rf "$OUT/runs/$name"
  $YOLO train --data "$data" --model yolov8s --epochs "$epochs" --batch "${BATCH:-32}" --imgsz 640 --amp \
    --device "$device" --project "$OUT/runs" --name "$name" --workers 8 "$@" > "$OUT/train_$name.txt" 2>&1
  local rc=$?
  cp "$OUT/runs/$name/results.csv" "$OUT/results_$name.csv" 2>/dev/null
  echo "=== train $name (device $device): rc=$rc"; tail -12 "$OUT/train_$name.txt"
  return $rc
}

# The pid of the launcher's child with RANK=<rank>.
rank_pid() {
  for c in $(cat /proc/"$1"/task/"$1"/children 2>/dev/null); do
    tr '\0' '\n' < /proc/"$c"/environ 2>/dev/null | grep -qx "RANK=$2" && { echo "$c"; return; }
  done
}

# ranks <n> <command...>: n processes of <command> as ranks 0..n-1 on GPUs 0..n-1 (RANK, WORLD_SIZE,
# LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT as torchrun sets them); "%r" in an argument
# becomes the rank. Returns the largest exit status.
ranks() {
  local n=$1; shift
  local port=$((29600 + RANDOM % 2000)) pids=() rc=0 r
  for r in $(seq 0 $((n - 1))); do
    RANK=$r WORLD_SIZE=$n LOCAL_RANK=$r LOCAL_WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "${@//%r/$r}" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { local s=$?; [ $s -gt $rc ] && rc=$s; }; done
  return $rc
}
# GPU counts to measure: 1 (with first=1), 2, 4, 8, as many as present.
counts() { local c; for c in ${1:+1} 2 4 8; do [ "$c" -le "$gpus" ] && echo "$c"; done; }
peer_env() {
  [ -d /tmp/ye-site ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/ye-site .whl/*.whl
}

modes=("$@"); [ ${#modes[@]} -eq 0 ] && modes=(tests coco8)
[ "${modes[*]}" = measure ] && modes=(allreduce scaling peer timeline coco128all killall)
status=0
for mode in "${modes[@]}"; do
  case "$mode" in
    tests)
      for t in .device/bin/test_dist_gpu .device/bin/test_dist; do
        echo "=== $t" | tee -a "$OUT/ddp_tests.txt"
        "$t" >> "$OUT/ddp_tests.txt" 2>&1; rc=$?
        echo "rc=$rc" | tee -a "$OUT/ddp_tests.txt"
        tail -4 "$OUT/ddp_tests.txt" | grep -E "test cases|Status|SKIPPED" || true
        [ $rc -ne 0 ] && status=1
      done ;;
    coco8) train ddp_coco8 "$shared/datasets/coco8/coco8.yaml" "${EPOCHS:-3}" 0,1 || status=1 ;;
    coco128) train ddp_coco128 "$shared/datasets/coco128/coco128.yaml" "${EPOCHS:-10}" 0,1 || status=1 ;;
    compare) train single_coco128 "$shared/datasets/coco128/coco128.yaml" "${EPOCHS:-10}" 0 || status=1 ;;
    interrupt)
      rm -rf "$OUT/runs/ddp_int"
      $YOLO train --data "$shared/datasets/coco128/coco128.yaml" --model yolov8s --epochs 20 --batch 32 --amp \
        --device 0,1 --project "$OUT/runs" --name ddp_int > "$OUT/train_ddp_int.txt" 2>&1 &
      pid=$!
      for _ in $(seq 600); do grep -q " 2/20" "$OUT/train_ddp_int.txt" && break; sleep 0.5; done
      kill -INT $pid; wait $pid; rc=$?
      echo "=== interrupt: rc=$rc (want 130)"; tail -5 "$OUT/train_ddp_int.txt"
      [ $rc -eq 130 ] && [ -f "$OUT/runs/ddp_int/weights/last.safetensors" ] || status=1
      $YOLO train --resume "$OUT/runs/ddp_int/weights/last.safetensors" > "$OUT/train_ddp_resume.txt" 2>&1; rc=$?
      echo "=== resume: rc=$rc"; tail -8 "$OUT/train_ddp_resume.txt"
      cp "$OUT/runs/ddp_int/results.csv" "$OUT/results_ddp_int.csv" 2>/dev/null
      [ $rc -eq 0 ] || status=1 ;;
    kill)
      rm -rf "$OUT/runs/ddp_kill"
      $YOLO train --data "$shared/datasets/coco128/coco128.yaml" --model yolov8s --epochs 50 --batch 32 --amp \
        --device 0,1 --project "$OUT/runs" --name ddp_kill > "$OUT/train_ddp_kill.txt" 2>&1 &
      pid=$!
      for _ in $(seq 600); do grep -q "1/50" "$OUT/train_ddp_kill.txt" && break; sleep 0.5; done
      sleep 5; victim=$(rank_pid $pid 1); kill -9 "$victim"; start=$(date +%s)
      ( sleep 90; kill -9 $pid 2>/dev/null ) & guard=$!
      wait $pid; rc=$?; kill $guard 2>/dev/null
      took=$(( $(date +%s) - start ))
      echo "=== kill rank 1 (pid $victim): launcher rc=$rc after ${took}s (want non-zero, < 60 s)"
      grep -E "error" "$OUT/train_ddp_kill.txt" | tail -5
      { [ $rc -ne 0 ] && [ $took -lt 60 ] && grep -q "rank 1" "$OUT/train_ddp_kill.txt"; } || status=1 ;;
    allreduce)
      for n in $(counts); do
        ranks "$n" .device/bin/bench_allreduce --benchmark_out="$OUT/allreduce_r${n}_rank%r.json" \
          --benchmark_out_format=json > "$OUT/allreduce_r$n.txt" 2>&1 || status=1
        echo "=== allreduce on $n GPUs"; grep -E "v8s_arena|256MiB" "$OUT/allreduce_r$n.txt" | head -8
      done ;;
    scaling)
      for n in $(counts 1); do
        ranks "$n" .device/bin/bench_ddp_step --benchmark_out="$OUT/ddp_step_r${n}_rank%r.json" \
          --benchmark_out_format=json > "$OUT/ddp_step_r$n.txt" 2>&1 || status=1
        echo "=== ddp step on $n GPU(s)"; grep -E "ddp_step/" "$OUT/ddp_step_r$n.txt" | head -6
      done
      python3 scripts/ddp_scaling.py "$OUT" | tee "$OUT/scaling.txt" ;;
    peer)
      peer_env
      for n in $(counts 1); do
        PYTHONPATH=/tmp/ye-site PYTHONUNBUFFERED=1 python3 -m torch.distributed.run --nproc_per_node "$n" \
          --master_port $((29600 + RANDOM % 2000)) bench/peer/torch_ddp_train_step.py \
          --out "$OUT/peer_ddp_r$n.json" > "$OUT/peer_ddp_r$n.txt" 2>&1 || status=1
        echo "=== reference torch DDP on $n GPU(s)"; grep '^{' "$OUT/peer_ddp_r$n.txt"
      done
      python3 scripts/ddp_scaling.py "$OUT" | tee "$OUT/scaling.txt" ;;
    timeline)
      if command -v nsys > /dev/null; then
        ranks 2 nsys profile -t cuda,nvtx,osrt -o "$OUT/ddp_timeline_rank%r" --force-overwrite true \
          .device/bin/bench_ddp_step --benchmark_filter='yolov8s/f16/b32/ranks2/iter' > "$OUT/timeline.txt" 2>&1 || status=1
        ls -la "$OUT"/ddp_timeline_rank* 2>/dev/null
      else
        echo "=== timeline: no nsys here; see backward_ms / exposed_comm_ms of the scaling rows"
      fi ;;
    coco128all)
      all=$(seq -s, 0 $((gpus - 1)))
      BATCH=$((32 * gpus)) train ddp_all "$shared/datasets/coco128/coco128.yaml" "${EPOCHS:-3}" "$all" || status=1
      for f in args.yaml results.csv results.png weights/last.safetensors weights/best.safetensors; do
        [ -e "$OUT/runs/ddp_all/$f" ] || { echo "missing $f"; status=1; }
      done
      ls "$OUT/runs/ddp_all" | grep -q tfevents || { echo "missing the TensorBoard events"; status=1; }
      grep -q "^world: $gpus" "$OUT/runs/ddp_all/args.yaml" || status=1 ;;
    killall)
      all=$(seq -s, 0 $((gpus - 1))); last=$((gpus - 1))
      rm -rf "$OUT/runs/ddp_killall"
      $YOLO train --data "$shared/datasets/coco128/coco128.yaml" --model yolov8s --epochs 50 --batch $((32 * gpus)) \
        --amp --device "$all" --project "$OUT/runs" --name ddp_killall > "$OUT/train_ddp_killall.txt" 2>&1 &
      pid=$!
      for _ in $(seq 600); do grep -q "1/50" "$OUT/train_ddp_killall.txt" && break; sleep 0.5; done
      sleep 5; victim=$(rank_pid $pid $last); kill -9 "$victim"; start=$(date +%s)
      ( sleep 90; kill -9 $pid 2>/dev/null ) & guard=$!
      wait $pid; rc=$?; kill $guard 2>/dev/null
      took=$(( $(date +%s) - start ))
      left=$(pgrep -c -f "ddp_killall" || true)
      echo "=== kill rank $last of $gpus (pid $victim): launcher rc=$rc after ${took}s, processes left: $left"
      { [ $rc -ne 0 ] && [ $took -lt 60 ] && [ "${left:-0}" -eq 0 ] && grep -q "rank $last" "$OUT/train_ddp_killall.txt"; } \
        || status=1 ;;
  esac
done
exit $status
