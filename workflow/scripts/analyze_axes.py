"""Rule analyze_axes: paired effects of every axis, interaction strength, more data, transfer."""

import pandas as pd

from ablation import logs
from ablation.metrics import write_frame
from ablation.stats.datasize import datasize_curve, datasize_worth
from ablation.stats.factors import interaction_strength
from ablation.stats.paired import paired_effects, paired_runs
from ablation.stats.transfer import rank_agreement, transfer_findings

log = logs.setup(snakemake.log[0])
out = snakemake.output
confidence = snakemake.params.confidence
per_run = pd.read_parquet(snakemake.input.overfitting)
pairs = paired_runs(per_run)
effects = paired_effects(pairs, confidence)
write_frame(pairs, out.paired_runs)
write_frame(effects, out.paired_effects, csv=True)
strength = interaction_strength(pd.read_parquet(snakemake.input.interactions))
write_frame(strength, out.interaction_strength, csv=True)
write_frame(datasize_curve(per_run, confidence), out.datasize_curve, csv=True)
write_frame(datasize_worth(effects), out.datasize_worth, csv=True)
write_frame(rank_agreement(per_run, confidence=confidence), out.rank_agreement, csv=True)
marginal = pd.read_parquet(snakemake.input.marginal)
write_frame(transfer_findings(marginal, effects), out.transfer_findings, csv=True)
log.info("%d paired effects", len(effects))
