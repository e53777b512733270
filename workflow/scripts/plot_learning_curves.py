"""Rule plot_learning_curves."""

import pandas as pd

from ablation import logs
from ablation.plots import learning_curves, save_figure

logs.setup(snakemake.log[0])
save_figure(learning_curves(pd.read_parquet(snakemake.input.metrics)), snakemake.output.figure)
