"""Rule plot_anomalies: running training loss of every run with anomalies marked."""

import pandas as pd

from ablation import logs, plots
from ablation.metrics import read_metrics
from ablation.report.build import layout_of

logs.setup(snakemake.log[0])
tables = {
    name: pd.read_parquet(snakemake.input[name]) for name in ("overfitting", "marginal_means")
}
timeline = plots.anomaly_timeline(
    read_metrics(snakemake.input.metrics),
    pd.read_parquet(snakemake.input.anomalies),
    layout_of(tables),
)
plots.save_figure(timeline, snakemake.output.timeline)
