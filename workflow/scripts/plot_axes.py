"""Rule plot_axes: paired effects of every axis, more data, transfer between datasets."""

import pandas as pd

from ablation import logs, plots
from ablation.report.axes_sections import AXES_FIGURES

logs.setup(snakemake.log[0])
tables = {name: pd.read_parquet(path) for name, path in snakemake.input.items()}
for name, (make, _) in AXES_FIGURES.items():  # a study without what one shows: a note
    plots.save_figure(make(tables, snakemake.params.confidence), snakemake.output[name])
