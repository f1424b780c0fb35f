#!/usr/bin/env bash
# Idempotent set-up: installs the Debian packages the engine builds against, only those missing.
# Called by the Makefile before every build; safe to run by hand. The CUDA Toolkit (13.x with cuDNN 9
# and NCCL 2) is the one prerequisite not installed here; without it a CPU-only build is made.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libeigen3-dev libtomlplusplus-dev doctest-dev libstb-dev
      libbenchmark-dev libyaml-cpp-dev libturbojpeg0-dev libcli11-dev nlohmann-json3-dev libcairo2-dev
      python3 python3-venv clang libclang-rt-14-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
