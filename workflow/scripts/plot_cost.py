"""Rule plot_cost: final test accuracy against training time, one point per run."""

import pandas as pd

from ablation import logs, plots

logs.setup(snakemake.log[0])
plots.save_figure(
    plots.accuracy_vs_time(pd.read_parquet(snakemake.input.runs)), snakemake.output.cost
)
