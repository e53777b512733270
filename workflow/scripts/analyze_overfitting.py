"""Rule analyze_overfitting: gaps per milestone, verdict per run and per configuration."""

import pandas as pd

from ablation import logs
from ablation.metrics import read_metrics, write_frame
from ablation.stats import config_overfitting, milestone_gaps, run_overfitting

log = logs.setup(snakemake.log[0])
metrics = read_metrics(snakemake.input.metrics)
gaps = milestone_gaps(metrics)
per_run = run_overfitting(
    metrics,
    pd.read_parquet(snakemake.input.runs),
    gaps,
    onset_tolerance=snakemake.params.onset_tolerance,
    underfit_train_accuracy=snakemake.params.underfit_train_accuracy,
)
write_frame(gaps, snakemake.output.gaps)
write_frame(per_run, snakemake.output.overfitting, csv=True)
write_frame(config_overfitting(per_run), snakemake.output.configs, csv=True)
log.info("verdicts: %s", per_run["verdict"].value_counts().to_dict())
