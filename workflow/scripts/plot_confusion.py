"""Rule plot_confusion: confusion matrices of the best and the worst configuration."""

import pandas as pd

from ablation import logs, plots

logs.setup(snakemake.log[0])
matrices = plots.confusion_matrices(
    pd.read_parquet(snakemake.input.by_config), pd.read_parquet(snakemake.input.leaderboard)
)
plots.save_figure(matrices, snakemake.output.matrices)
