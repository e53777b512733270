"""Rule plot_learning_curves: loss and accuracy against epoch, per split, with bands."""

import pandas as pd

from ablation import logs, plots

logs.setup(snakemake.log[0])
curves = plots.learning_curve_table(
    pd.read_parquet(snakemake.input.seed_summary),
    pd.read_parquet(snakemake.input.gaps),
    confidence=snakemake.params.confidence,
)
plots.save_figure(plots.learning_curves(curves, "loss"), snakemake.output.loss)
plots.save_figure(plots.learning_curves(curves, "accuracy"), snakemake.output.accuracy)
