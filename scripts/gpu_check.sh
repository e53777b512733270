#!/usr/bin/env bash
# Check the pipeline on a CUDA machine, in under three minutes, offline:
#   1. `ablation bench` on the GPU (tutorial loop, autograd loop, pipeline, floor),
#   2. the same on one CPU thread of this machine, for comparison,
#   3. a 2-epoch training job on the GPU through ablation.runs.run_job (what each
#      Snakemake job runs), checking that its metrics say it ran on CUDA.
# Usage, from the project folder or anywhere:  bash scripts/gpu_check.sh
# Figures and metrics go to $OUT (default: a new temporary folder).
# Needs python with torch (CUDA build); installs this project with pip only if needed,
# and missing dependencies from wheels in $WHEELHOUSE or shared/wheels when offline.
# MNIST's four original files: $MNIST_RAW, shared/data/MNIST/raw or ../shared/data/MNIST/raw.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
say() { printf '\n=== %s\n' "$*"; }

say "python with torch"
PY=""
for candidate in .venv/bin/python python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import torch' 2>/dev/null; then
    PY=$(command -v "$candidate"); break
  fi
done
if [ -z "$PY" ]; then
  echo "no python here imports torch; trying: pip install -e ."
  python3 -m pip install -q -e . || { echo "FAIL: cannot install torch (offline?)"; exit 1; }
  PY=$(command -v python3)
fi
echo "$PY"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda available:", torch.cuda.is_available())'
if ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  if [ "${GPU_CHECK_ALLOW_CPU:-0}" != 1 ]; then echo "FAIL: torch sees no CUDA GPU"; exit 1; fi
  echo "no GPU: running on the CPU (GPU_CHECK_ALLOW_CPU=1)"
fi
"$PY" -c 'import torch; torch.cuda.is_available() and print(torch.cuda.get_device_name(0))'

say "the ablation package"
deps='import ablation.bench, ablation.runs, yaml, jsonschema, pandas, pyarrow'
if ! "$PY" -c "$deps" 2>/dev/null; then
  echo "not importable as installed; trying: pip install -e ."
  "$PY" -m pip install -q -e . 2>&1 | tail -2 || true
fi
if ! "$PY" -c "$deps" 2>/dev/null; then
  echo "using the source tree (PYTHONPATH=src)"
  export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
fi
# Offline machines: dependencies torch's image lacks (e.g. jsonschema) from a folder of wheels.
for wheels in ${WHEELHOUSE:-} shared/wheels ../shared/wheels; do
  "$PY" -c "$deps" 2>/dev/null && break
  [ -d "$wheels" ] || continue
  echo "installing missing dependencies from $wheels"
  missing=$("$PY" -c 'import importlib.util as u
print(" ".join(p for m, p in [("yaml", "pyyaml"), ("jsonschema", "jsonschema"),
      ("pandas", "pandas"), ("pyarrow", "pyarrow")] if u.find_spec(m) is None))')
  "$PY" -m pip install -q --no-index --find-links "$wheels" $missing 2>&1 | tail -2
done
"$PY" -c "$deps" || { echo "FAIL: missing modules (see above); put their wheels in shared/wheels"; exit 1; }

RAW=""
for d in ${MNIST_RAW:-} shared/data/MNIST/raw ../shared/data/MNIST/raw; do
  [ -e "$d/train-images-idx3-ubyte.gz" ] || [ -e "$d/train-images-idx3-ubyte" ] && { RAW=$d; break; }
done
[ -n "$RAW" ] || { echo "FAIL: MNIST raw files not in shared/data/MNIST/raw or ../shared/..."; exit 1; }
echo "MNIST files: $RAW"
DEVICE=cuda
"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' || DEVICE=cpu
status=0

say "ablation bench on $DEVICE (50,000 images, 2 rounds)"
timeout 150 "$PY" -m ablation.bench --local-dir "$RAW" --device "$DEVICE" --repeats 2 \
  --json "$OUT/bench_$DEVICE.json" || { echo "FAIL: bench on $DEVICE"; status=1; }

say "ablation bench on 1 CPU thread (no tutorial loop, 2 rounds)"
timeout 60 "$PY" -m ablation.bench --local-dir "$RAW" --device cpu --threads 1 --repeats 2 \
  --skip-tutorial --json "$OUT/bench_cpu.json" || { echo "FAIL: bench on the CPU"; status=1; }

say "a 2-epoch training job with device auto"
timeout 120 "$PY" - "$RAW" "$OUT" <<'EOF' || status=1
import sys, tempfile, time
from pathlib import Path

import pandas as pd
import torch

from ablation.config import TrainConfig
from ablation.data import prepare_dataset
from ablation.runs import run_job

raw, out = sys.argv[1], Path(sys.argv[2])
data = prepare_dataset("mnist", tempfile.mkdtemp(), raw)
cfg = TrainConfig(epochs=2, milestones=(1, 2), dropout=0.2, train_limit=10_000, validation_size=1000)
started = time.perf_counter()
result = run_job(cfg, data, out / "metrics.parquet", out / "model.pt", out / "confusion.parquet",
                 out / "state.pt", threads=1, device="auto")
seconds = time.perf_counter() - started
metrics = pd.read_parquet(out / "metrics.parquet")
devices = sorted(metrics["device"].unique())
test = metrics[(metrics.split == "test") & (metrics.epoch == 2)].accuracy.item()
print(f"device column: {devices}; test accuracy after 2 epochs on 10,000 images: {test:.4f}; "
      f"job {seconds:.1f} s")
want = "cuda" if torch.cuda.is_available() else "cpu"
ok = all(d.startswith(want) for d in devices) and test > 0.85 and result.status == "completed"
print("OK" if ok else f"FAIL: expected device {want}* and accuracy > 0.85")
sys.exit(0 if ok else 1)
EOF

say "result"
echo "figures and metrics in $OUT"
[ $status = 0 ] && echo "GPU CHECK PASSED" || echo "GPU CHECK FAILED"
exit $status
