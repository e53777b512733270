"""Rule plot_factors: marginal means per axis and two-way interaction plots."""

import pandas as pd

from ablation import logs, plots

logs.setup(snakemake.log[0])
effects = plots.factor_effects(pd.read_parquet(snakemake.input.marginal))
plots.save_figure(effects, snakemake.output.effects)
interactions = plots.interaction_plots(
    pd.read_parquet(snakemake.input.interactions),
    strength=pd.read_parquet(snakemake.input.strength),
)
plots.save_figure(interactions, snakemake.output.interactions)
