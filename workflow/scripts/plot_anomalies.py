"""Rule plot_anomalies: running training loss of every run with anomalies marked."""

import pandas as pd

from ablation import logs, plots
from ablation.metrics import read_metrics

logs.setup(snakemake.log[0])
timeline = plots.anomaly_timeline(
    read_metrics(snakemake.input.metrics), pd.read_parquet(snakemake.input.anomalies)
)
plots.save_figure(timeline, snakemake.output.timeline)
