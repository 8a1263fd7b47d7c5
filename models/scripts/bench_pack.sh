#!/usr/bin/env bash
# `npm run bench:pack`: builds the ViT-B/32-shaped benchmark pack with Debian's python3, installing
# python3-torch and python3-onnx first when that interpreter cannot import them. Arguments are passed
# to build_benchmark_pack.py (e.g. --out DIR, --bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=/usr/bin/python3
if ! "$python" -c "import torch, onnx" 2>/dev/null; then
  echo "== installing python3-torch python3-onnx (Debian's $python cannot import torch and onnx)"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    python3-torch python3-onnx >/dev/null
  "$python" -c "import torch, onnx"
fi
exec "$python" models/scripts/build_benchmark_pack.py "$@"
