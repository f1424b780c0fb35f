#!/usr/bin/env bash
# Creates (once, cached) the Python environment that holds the reference implementation used as a
# test oracle: ultralytics==8.3.166 with torch, safetensors, tensorboard and pycocotools.
# Never a runtime dependency of the engine. Prints the venv's python path on success; exits 3 when
# the package index cannot be reached (the parity tests then report themselves skipped).
set -euo pipefail
VENV="${YE_PARITY_VENV:-$HOME/.cache/yolo-engine/parity-venv}"
STAMP="$VENV/.complete-v1"
if [ -f "$STAMP" ]; then echo "$VENV/bin/python"; exit 0; fi
PY="$(command -v python3 || true)"
[ -n "$PY" ] || { echo "setup_parity_env: python3 not found" >&2; exit 3; }
mkdir -p "$(dirname "$VENV")"
"$PY" -m venv "$VENV" >&2
# A quick probe first, so a machine without the index gives up in seconds rather than retrying for minutes.
"$VENV/bin/pip" download -q --retries 1 --timeout 20 --no-deps -d "$VENV/.probe" "six" >&2 \
  || { echo "setup_parity_env: package index unreachable" >&2; exit 3; }
rm -rf "$VENV/.probe"
"$VENV/bin/pip" install -q "ultralytics==8.3.166" "torch==2.7.1" "torchvision==0.22.1" \
    safetensors tensorboard pycocotools "numpy<2.3" >&2 \
  || { echo "setup_parity_env: could not install the reference packages" >&2; exit 3; }
touch "$STAMP"
echo "$VENV/bin/python"
