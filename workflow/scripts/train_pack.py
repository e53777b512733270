"""Rules train_pack_*: train a pack of grid cells in one process (each resumes from its state)."""

import os
import signal
import sys

# Before torch loads: its thread pools size themselves at import.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(snakemake.threads)

from ablation import environment, logs  # noqa: E402
from ablation.config import TrainConfig  # noqa: E402
from ablation.data import DataError  # noqa: E402
from ablation.io import WriteError  # noqa: E402
from ablation.packs.devices import job_device, visible_gpus
from ablation.packs.plan import load_plan
from ablation.training.checkpoint import CheckpointError  # noqa: E402
from ablation.training.job import run_pack_job  # noqa: E402
from ablation.training.loop import DeviceError  # noqa: E402

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
# The device its plan gave the pack, saved by the Snakemake that planned it, and not a
# param: a param changed by another machine would make Snakemake retrain finished runs.
planned = load_plan(snakemake.rule.removeprefix("train_pack_")).device
setting = environment.device()
try:
    run_pack_job(
        members,
        dataset=snakemake.input.data,
        threads=snakemake.threads,
        device=job_device(planned, setting, visible_gpus),
        # Runtime knobs too: changing them must not retrain finished runs.
        stacked=environment.stacking(),
    )
except DeviceError as err:
    log.error(
        "%s\n(this pack was planned for %s where Snakemake ran, with ABLATION_DEVICE=%s, "
        "ABLATION_GPUS=%s: set ABLATION_GPUS=0 or ABLATION_DEVICE=cpu to plan for the CPU)",
        err,
        planned,
        setting,
        environment.value(environment.GPUS),
    )
    sys.exit(1)
except (DataError, WriteError, CheckpointError) as err:
    log.error("%s", err)  # the cause and its fix; a traceback would only bury it
    sys.exit(1)
