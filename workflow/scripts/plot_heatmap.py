"""Rule plot_heatmap: test accuracy, activation x optimizer, per regularization setting."""

import pandas as pd

from ablation import logs, plots

logs.setup(snakemake.log[0])
heatmap = plots.accuracy_heatmaps(pd.read_parquet(snakemake.input.leaderboard))
plots.save_figure(heatmap, snakemake.output.heatmap)
