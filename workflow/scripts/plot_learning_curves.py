"""Rule plot_learning_curves: loss and accuracy against epoch, per split, with bands."""

import pandas as pd

from ablation import logs, plots
from ablation.report.build import layout_of

logs.setup(snakemake.log[0])
tables = {name: pd.read_parquet(path) for name, path in snakemake.input.items()}
layout = layout_of(tables)
curves = plots.learning_curve_table(
    tables["seed_summary"], tables["gaps"], snakemake.params.confidence, layout
)
plots.save_figure(plots.learning_curves(curves, "loss", layout), snakemake.output.loss)
plots.save_figure(plots.learning_curves(curves, "accuracy", layout), snakemake.output.accuracy)
