"""Rule plot_heatmap: test accuracy, activation x optimizer, per regularization setting."""

import pandas as pd

from ablation import logs, plots
from ablation.report.build import layout_of

logs.setup(snakemake.log[0])
tables = {name: pd.read_parquet(path) for name, path in snakemake.input.items()}
heatmap = plots.accuracy_heatmaps(tables["leaderboard"], layout_of(tables))
plots.save_figure(heatmap, snakemake.output.heatmap)
