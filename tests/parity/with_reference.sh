#!/usr/bin/env bash
# ctest runner of the doctest cases that need the reference itself (named "reference: ...", skipped in
# the plain suites): `with_reference.sh [--live-models] <test binary> <test-case pattern>`. Exits 77
# (ctest: skipped, not passed) when the parity venv of scripts/setup_parity_env.sh is absent.
# --live-models first writes the reference's seeded model sets (gen_models.py live) to a temp folder.
set -euo pipefail
live=0
if [ "${1:-}" = "--live-models" ]; then live=1; shift; fi
bin="$1" pattern="$2"
src="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${YE_PARITY_VENV:-$HOME/.cache/yolo-engine/parity-venv}"
if [ ! -f "$venv/.complete-v1" ] || [ ! -x "$venv/bin/python" ]; then
  echo "skipped: the parity venv ($venv) is absent; scripts/setup_parity_env.sh creates it"
  exit 77
fi
export YE_PARITY_PYTHON="$venv/bin/python"
if [ "$live" = 1 ]; then
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
  "$YE_PARITY_PYTHON" "$src/tests/parity/gen_models.py" live "$dir"
  export YE_PARITY_LIVE_DIR="$dir"
fi
"$bin" --no-skip --test-case="$pattern"
