"""Rule plot_overfitting: train vs test loss per configuration, and the accuracy gap."""

import pandas as pd

from ablation import logs, plots
from ablation.report.build import layout_of

logs.setup(snakemake.log[0])
tables = {name: pd.read_parquet(path) for name, path in snakemake.input.items()}
panels = plots.overfitting_panels(tables["gaps"], tables["overfitting"], tables["configs"])
plots.save_figure(panels, snakemake.output.panels)
layout = layout_of(tables)
gap = plots.accuracy_gap(tables["seed_summary"], layout=layout, gaps=tables["gaps"])
plots.save_figure(gap, snakemake.output.gap)
