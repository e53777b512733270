"""Rule analyze_leaderboard: configurations ranked, each tested against the best."""

import pandas as pd

from ablation import logs
from ablation.metrics import write_frame
from ablation.stats import leaderboard
from ablation.stats.transfer import per_dataset

log = logs.setup(snakemake.log[0])
board = per_dataset(  # each dataset its own leaderboard
    leaderboard,
    pd.read_parquet(snakemake.input.overfitting),
    confidence=snakemake.params.confidence,
    alpha=snakemake.params.alpha,
)
write_frame(board, snakemake.output.leaderboard, csv=True)
log.info(
    "%d configurations, %d indistinguishable from the best",
    len(board),
    int(board["indistinguishable_from_best"].sum()),
)
