"""Rule analyze_factors: marginal means per axis level and two-way interaction tables."""

import pandas as pd

from ablation import logs
from ablation.metrics import write_frame
from ablation.stats import interactions, marginal_means

logs.setup(snakemake.log[0])
per_run = pd.read_parquet(snakemake.input.overfitting)
confidence = snakemake.params.confidence
write_frame(marginal_means(per_run, confidence), snakemake.output.marginal, csv=True)
write_frame(interactions(per_run, confidence), snakemake.output.interactions, csv=True)
