"""Rules train_pack_*: train a pack of grid cells in one process (each resumes from its state)."""

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
from ablation.runs import run_pack_job  # noqa: E402
from ablation.train import DeviceError  # noqa: E402

log = logs.setup(snakemake.log[0])


def _terminated(signum, frame):
    # Unwind normally, so half-written temporary files are removed on the way out.
    log.warning("stopped by signal %d; the next snakemake call resumes these runs", signum)
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _terminated)
members = [
    dict(member, config=TrainConfig.from_dict(member["config"]))
    for member in snakemake.params.members
]
try:
    run_pack_job(
        members,
        dataset=snakemake.input.data,
        threads=snakemake.threads,
        # A runtime knob, read here rather than passed as a param: changing it must not
        # make Snakemake retrain finished runs.
        device=os.environ.get("ABLATION_DEVICE", "auto"),
    )
except (DataError, WriteError, CheckpointError, DeviceError) as err:
    log.error("%s", err)  # the cause and its fix; a traceback would only bury it
    sys.exit(1)
