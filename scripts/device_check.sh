#!/usr/bin/env bash
# The one GPU check for LabelLoop. On the GPU machine, from the repository root:
#
#     bash scripts/device_check.sh [extra bench_gpu.py flags, e.g. --compile]
#
# Prints nvidia-smi and the Python/torch versions, then runs benchmarks/bench_gpu.py, writing
# ${OUT:-benchmarks/out}/gpu.json and the whole output to ${OUT:-benchmarks/out}/gpu.log.
# Needs no network (random-init model, locally built tokenizer). Needs a Python with a CUDA
# build of torch plus transformers, tokenizers, numpy and psutil. It tries, in order:
#   1. .venv/bin/python: built on the dev box with the CPU torch wheel, so usually no CUDA
#      (and a 2 GB venv does not travel to the device machine anyway);
#   2. python3: on the rented H100/H200 image this is the interpreter that holds CUDA torch,
#      transformers and tokenizers; the repository goes on PYTHONPATH.
# Nothing is installed: the GPU machine cannot reach a package index. Without a suitable
# Python it stops with a message saying what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/out}"
mkdir -p "$out"

echo "== nvidia-smi"
nvidia-smi || echo "(nvidia-smi not available)"

check='import sys, torch
print(sys.executable, "| python", sys.version.split()[0], "| torch", torch.__version__,
      "| CUDA available:", torch.cuda.is_available())
import numpy, psutil, tokenizers, transformers
print("transformers", transformers.__version__, "| tokenizers", tokenizers.__version__)
sys.exit(0 if torch.cuda.is_available() else 3)'
python=""
for candidate in .venv/bin/python python3; do
    echo "== $candidate"
    if ! command -v "$candidate" >/dev/null 2>&1; then
        echo "not found"
        continue
    fi
    if report=$(PYTHONPATH="$PWD" "$candidate" -c "$check" 2>&1); then
        echo "$report"
        python="$candidate"
        break
    fi
    echo "$report" | tail -n 3
done
if [ -z "$python" ]; then
    echo "ERROR: no Python here has a CUDA build of torch with transformers, tokenizers," \
        "numpy and psutil (see above). Run this on the GPU machine, whose python3 has them." >&2
    exit 1
fi

echo "== using $python"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
"$python" benchmarks/bench_gpu.py --out "$out/gpu.json" "$@" 2>&1 | tee "$out/gpu.log"
