#!/usr/bin/env bash
# End-to-end training benchmark: our `yolo train` against the reference's own `yolo train`
# (ultralytics 8.3.166, wheels in .whl/) on the same GPU, dataset, model and settings (workers and
# cache equal, plots off), over coco128 replicated to a few thousand images. Wall time, epoch time and
# images/s (data loading and validation included) and the mean GPU utilisation sampled by nvidia-smi
# go to $OUT/e2e_summary.txt. Usage (GPU machine, bundle in .device/):
#   EPOCHS=3 COPIES=24 MODEL=yolov8s BATCH=64 WORKERS=8 bench/e2e/e2e_train.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/ye-e2e}; EPOCHS=${EPOCHS:-3}; COPIES=${COPIES:-24}; MODEL=${MODEL:-yolov8s}
BATCH=${BATCH:-64}; WORKERS=${WORKERS:-8}; CACHE=${CACHE:-ram}
mkdir -p "$OUT"
source scripts/gpu_env.sh
DATA=/tmp/ye-e2e-data
[ -e "$DATA/data.yaml" ] || python3 bench/e2e/replicate_dataset.py "$shared/datasets/coco128/coco128.yaml" "$DATA" "$COPIES" \
  | tee "$OUT/dataset.txt"
python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/ye-site .whl/*.whl 2>/dev/null

sample_gpu() {  # mean utilisation of GPU 0 every 0.5 s until killed
  while true; do nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -i 0; sleep 0.5; done > "$1"
}
run_timed() {  # name, command...
  local name=$1; shift
  sample_gpu "$OUT/$name.util" & local sampler=$!
  local t0=$(date +%s.%N)
  "$@" > "$OUT/$name.log" 2>&1; local rc=$?
  local t1=$(date +%s.%N)
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
  local util=$(awk '{s+=$1; n++} END {if (n) printf "%.0f", s/n; else print "n/a"}' "$OUT/$name.util")
  local wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  local n=$(grep -o '[0-9]* train images' "$OUT/dataset.txt" | head -1 | cut -d' ' -f1)
  local ips=$(awk -v n="$n" -v e="$EPOCHS" -v w="$wall" 'BEGIN {printf "%.1f", n * e / w}')
  echo "$name rc=$rc wall_s=$wall images_per_s=$ips (train images x epochs / wall, val and start-up included) gpu_util_mean=$util%" \
    | tee -a "$OUT/e2e_summary.txt"
}
common_ours=(--data "$DATA/data.yaml" --model "$MODEL" --epochs "$EPOCHS" --batch "$BATCH" --imgsz 640 --amp
             --device 0 --workers "$WORKERS" --cache "$CACHE" --plots false --exist-ok)
run_timed ours .device/bin/yolo train "${common_ours[@]}" --project "$OUT/runs" --name ours
HOME=/tmp YOLO_OFFLINE=1 PYTHONPATH=/tmp/ye-site run_timed reference python3 -c "
from ultralytics import YOLO
YOLO('$MODEL.yaml').train(data='$DATA/data.yaml', epochs=$EPOCHS, batch=$BATCH, imgsz=640, amp=True, device=0,
    workers=$WORKERS, cache='$CACHE', plots=False, pretrained=False, project='$OUT/runs', name='reference', exist_ok=True)"
n_train=$(grep -o '[0-9]* train images' "$OUT/dataset.txt" | head -1 | cut -d' ' -f1)
for r in ours reference; do
  f=$(find "$OUT/runs/$r" -name results.csv | head -1)
  [ -z "$f" ] && continue
  # results.csv's time column is cumulative: epochs after the first (warm-up, caching, graph capture).
  awk -F, -v r="$r" -v n="$n_train" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "time") c = i; next}
       {t[NR - 1] = $c} END {e = NR - 1; if (e > 1) {s = (t[e] - t[1]) / (e - 1);
       printf "%s steady_epoch_s=%.2f images_per_s=%.0f (epochs 2-%d, validation included)\n", r, s, n / s, e}}' "$f" \
    | tee -a "$OUT/e2e_summary.txt"
  { echo "--- $r results.csv"; cat "$f"; } >> "$OUT/e2e_summary.txt"
done
cat "$OUT/e2e_summary.txt"
