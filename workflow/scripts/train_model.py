"""Rule train_model: train one grid cell (resumes from its saved state, if any)."""

import os
import signal
import sys

# Before torch loads: its thread pools size themselves at import.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(snakemake.threads)

from ablation import logs  # noqa: E402
from ablation.checkpoint import CheckpointError  # noqa: E402
from ablation.config import TrainConfig  # noqa: E402
from ablation.data import DataError  # noqa: E402
from ablation.io import WriteError  # noqa: E402
from ablation.runs import run_job  # noqa: E402
from ablation.train import DeviceError  # noqa: E402

log = logs.setup(snakemake.log[0])


def _terminated(signum, frame):
    # Unwind normally, so half-written temporary files are removed on the way out.
    log.warning("stopped by signal %d; the next snakemake call resumes this run", signum)
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _terminated)
try:
    run_job(
        TrainConfig.from_dict(snakemake.params.config),
        dataset=snakemake.input.data,
        metrics=snakemake.output.metrics,
        model=snakemake.output.model,
        confusion=snakemake.output.confusion,
        state=snakemake.params.state,
        threads=snakemake.threads,
        # A runtime knob, read here rather than passed as a param: changing it must not
        # make Snakemake retrain finished runs.
        device=os.environ.get("ABLATION_DEVICE", "auto"),
    )
except (DataError, WriteError, CheckpointError, DeviceError) as err:
    log.error("%s", err)  # the cause and its fix; a traceback would only bury it
    sys.exit(1)
