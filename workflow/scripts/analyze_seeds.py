"""Rule analyze_seeds: per configuration, statistics over seeds at every milestone."""

import pandas as pd

from ablation import logs
from ablation.metrics import write_frame
from ablation.stats import seed_summary

log = logs.setup(snakemake.log[0])
summary = seed_summary(
    pd.read_parquet(snakemake.input.gaps),
    pd.read_parquet(snakemake.input.overfitting),
    confidence=snakemake.params.confidence,
)
write_frame(summary, snakemake.output.summary, csv=True)
log.info("%d rows", len(summary))
