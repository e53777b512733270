#!/usr/bin/env bash
# Check the pipeline on a CUDA machine and measure the default study on it, offline:
#   1. a python with torch (CUDA build) and this project (pip only if needed; missing
#      dependencies from wheels in $WHEELHOUSE or shared/wheels),
#   2. the GPU-marked tests: a stacked pack reruns identically, equals its runs alone up
#      to float reordering, and agrees with the CPU pipeline within seed noise; a run
#      and a workflow on the GPU (tests/training/test_pack.py, test_stacked.py, test_device.py),
#   3. `ablation bench` on the GPU (one epoch, the pipeline's loop next to autograd), and
#      `ablation bench --pack`: the default study's first pack (36 runs), one epoch,
#      its members one after another next to stacked (the GPU's way),
#   4. the default study end to end through Snakemake, packed, device auto, with all
#      cores: wall time split into start-up, training, evaluation and analysis/report
#      tail (`ablation bench --study --ways packed`),
#   5. the same study scaled to 2 epochs, packed next to one job per run.
# Usage, from the project folder or anywhere:  bash scripts/gpu_check.sh
# STUDY_EPOCHS (default 100) scales step 4 where GPU time is short; SKIP_COMPARE=1 skips 5.
# Figures go to $OUT (default: a new temporary folder). MNIST's four original files:
# $ABLATION_DATA_DIR/MNIST/raw, $MNIST_RAW, shared/data/MNIST/raw or ../shared/data/MNIST/raw.
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
deps='import ablation.bench.epoch, ablation.training.job, snakemake, pytest, yaml, jsonschema, pandas, pyarrow, statsmodels, seaborn'
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
      ("pandas", "pandas"), ("pyarrow", "pyarrow"), ("snakemake", "snakemake"),
      ("pytest", "pytest"), ("statsmodels", "statsmodels"), ("seaborn", "seaborn")]
      if u.find_spec(m) is None))')
  "$PY" -m pip install -q --no-index --find-links "$wheels" $missing 2>&1 | tail -2
done
"$PY" -c "$deps" || { echo "FAIL: missing modules (see above); put their wheels in shared/wheels"; exit 1; }

RAW=""
for d in ${ABLATION_DATA_DIR:+$ABLATION_DATA_DIR/MNIST/raw} ${MNIST_RAW:-} shared/data/MNIST/raw ../shared/data/MNIST/raw; do
  [ -e "$d/train-images-idx3-ubyte.gz" ] || [ -e "$d/train-images-idx3-ubyte" ] && { RAW=$d; break; }
done
[ -n "$RAW" ] || { echo "FAIL: MNIST raw files not found (set ABLATION_DATA_DIR or MNIST_RAW)"; exit 1; }
echo "MNIST files: $RAW"
export ABLATION_DATA_DIR=${ABLATION_DATA_DIR:-$(cd "$RAW/../.." && pwd)}
DEVICE=cuda
"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' || DEVICE=cpu
CORES=$(nproc)
status=0

say "GPU-marked tests on $DEVICE (stacked packs: reruns identical, close to runs alone, agree with the CPU)"
timeout 400 "$PY" -m pytest -q -m gpu -rs tests/training/test_pack.py tests/training/test_stacked.py tests/training/test_device.py 2>&1 | tail -5 \
  || { echo "FAIL: GPU tests"; status=1; }

say "ablation bench on $DEVICE (50,000 images, 2 rounds)"
timeout 150 "$PY" -m ablation.bench.epoch --local-dir "$RAW" --device "$DEVICE" --repeats 2 \
  --skip-tutorial --json "$OUT/bench_$DEVICE.json" || { echo "FAIL: bench on $DEVICE"; status=1; }

say "a pack of 36 runs on $DEVICE: one after another next to stacked (one epoch, 2 rounds)"
timeout 300 "$PY" -m ablation.bench.epoch --pack config/config.yaml --local-dir "$RAW" --device "$DEVICE" \
  --repeats 2 --json "$OUT/pack_$DEVICE.json" || { echo "FAIL: pack bench on $DEVICE"; status=1; }

say "the default study, ${STUDY_EPOCHS:-100} epochs, packed, --cores $CORES, device auto"
started=$(date +%s)
timeout 1800 "$PY" -m ablation.bench.epoch --study config/config.yaml --epochs "${STUDY_EPOCHS:-100}" \
  --cores "$CORES" --device auto --ways packed --local-dir "$RAW" --json "$OUT/study.json" \
  || { echo "FAIL: the default study"; status=1; }
echo "(this step: $(( $(date +%s) - started )) s, dataset preparation included)"

if [ "${SKIP_COMPARE:-0}" != 1 ]; then
  say "the default study scaled to 2 epochs: packed next to one job per run"
  timeout 1200 "$PY" -m ablation.bench.epoch --study config/config.yaml --epochs 2 \
    --cores "$CORES" --device auto --local-dir "$RAW" --json "$OUT/study_2_epochs.json" \
    || { echo "FAIL: the scaled comparison"; status=1; }
fi

say "result"
echo "figures in $OUT"
[ $status = 0 ] && echo "GPU CHECK PASSED" || echo "GPU CHECK FAILED"
exit $status
