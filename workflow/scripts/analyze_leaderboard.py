"""Rule analyze_leaderboard: configurations chosen on validation, reported on test.

Two views: the final epoch, and each run's best-validation epoch (early stopping).
"""

import pandas as pd

from ablation import logs
from ablation.metrics import write_frame
from ablation.stats import leaderboard

log = logs.setup(snakemake.log[0])
per_run = pd.read_parquet(snakemake.input.overfitting)
settings = dict(confidence=snakemake.params.confidence, alpha=snakemake.params.alpha)
board = leaderboard(per_run, **settings)
write_frame(board, snakemake.output.leaderboard, csv=True)
early = leaderboard(per_run, **settings, view="early_stopping")
write_frame(early, snakemake.output.early_stopping, csv=True)
log.info(
    "%d configurations selected on %s, %d indistinguishable from the best",
    len(board),
    board["selected_on"].iloc[0] if len(board) else "nothing",
    int(board["indistinguishable_from_best"].sum()),
)
