"""Rule train_model: train one grid cell."""

import os

# Before torch loads: its thread pools size themselves at import.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(snakemake.threads)

from ablation import logs  # noqa: E402
from ablation.config import TrainConfig  # noqa: E402
from ablation.runs import run_job  # noqa: E402

logs.setup(snakemake.log[0])
run_job(
    TrainConfig.from_dict(snakemake.params.config),
    dataset=snakemake.input.data,
    metrics=snakemake.output.metrics,
    model=snakemake.output.model,
    confusion=snakemake.output.confusion,
    state=snakemake.params.state,
    threads=snakemake.threads,
    device=snakemake.params.device,
)
