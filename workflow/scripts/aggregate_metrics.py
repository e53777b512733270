"""Rule aggregate_metrics: all runs into one table, one row per run and per configuration."""

import pandas as pd

from ablation import logs
from ablation.aggregate import config_summary, run_summary
from ablation.metrics import read_metrics, write_frame

log = logs.setup(snakemake.log[0])
out = snakemake.output
metrics = read_metrics(snakemake.input.metrics)
write_frame(metrics, out.metrics)
runs = run_summary(metrics)
write_frame(runs, out.runs)
write_frame(pd.concat(map(pd.read_parquet, snakemake.input.confusion)), out.confusion)
summary = config_summary(runs)
write_frame(summary, out.summary_parquet, csv=True)
log.info("%d runs, %d configurations", len(runs), len(summary))
