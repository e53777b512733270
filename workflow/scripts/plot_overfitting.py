"""Rule plot_overfitting: train vs test loss per configuration, and the accuracy gap."""

import pandas as pd

from ablation import logs, plots

logs.setup(snakemake.log[0])
tables = {name: pd.read_parquet(path) for name, path in snakemake.input.items()}
panels = plots.overfitting_panels(tables["gaps"], tables["overfitting"], tables["configs"])
plots.save_figure(panels, snakemake.output.panels)
plots.save_figure(plots.accuracy_gap(tables["seed_summary"]), snakemake.output.gap)
