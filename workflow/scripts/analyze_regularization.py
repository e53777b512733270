"""Rule analyze_regularization: how dropout and weight decay move gaps and onset, paired."""

import pandas as pd

from ablation import logs
from ablation.metrics import write_frame
from ablation.stats import regularization_effects, regularization_pairs

log = logs.setup(snakemake.log[0])
pairs = regularization_pairs(pd.read_parquet(snakemake.input.overfitting))
write_frame(pairs, snakemake.output.pairs)
effects = regularization_effects(pairs, confidence=snakemake.params.confidence)
write_frame(effects, snakemake.output.effects, csv=True)
log.info("%d pairs", len(pairs))
