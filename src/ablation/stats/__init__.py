"""Statistics of a finished study: pure functions from its tables to new tables.

Each module documents the tables it produces, column by column:

- `ablation.stats.seeds`: mean, std and t-interval over seeds (``seed_summary``).
- `ablation.stats.compare`: leaderboards chosen on validation and reported on test, paired
  tests against the best, Holm (``leaderboard``, ``leaderboard_early_stopping``).
- `ablation.stats.power`: seeds needed, minimum detectable difference, probability of
  improvement (columns of the leaderboards; `seeds_overlay` for more seeds).
- `ablation.stats.anova`: type II ANOVA of the factorial design (``anova``).
- `ablation.stats.factors`: marginal means per axis level and two-way tables
  (``marginal_means``, ``interactions``).
- `ablation.stats.overfitting`: gaps, early stopping, overfitting onset, verdicts and the
  paired effect of dropout and weight decay (``gaps``, ``overfitting``,
  ``overfitting_configs``, ``regularization_pairs``, ``regularization_effects``).
- `ablation.stats.anomalies`: loss spikes, non-finite losses, accuracy drops (``anomalies``).
- `ablation.stats.confusion`: confusion per configuration, most-confused digit pairs
  (``confusion_by_config``, ``confused_pairs``).

The workflow writes them to ``results/stats/<table>.parquet`` (rules ``analyze_*``).
"""

from ablation.stats.anomalies import find_anomalies
from ablation.stats.anova import anova_table
from ablation.stats.compare import holm, leaderboard, paired_p
from ablation.stats.confusion import confused_pairs, confusion_by_config
from ablation.stats.factors import interactions, marginal_means
from ablation.stats.overfitting import (
    config_overfitting,
    milestone_gaps,
    overfitting_onset,
    regularization_effects,
    regularization_pairs,
    run_overfitting,
    run_table,
)
from ablation.stats.seeds import describe, seed_summary, t_interval

__all__ = [
    "anova_table",
    "config_overfitting",
    "confused_pairs",
    "confusion_by_config",
    "describe",
    "find_anomalies",
    "holm",
    "interactions",
    "leaderboard",
    "marginal_means",
    "milestone_gaps",
    "overfitting_onset",
    "paired_p",
    "regularization_effects",
    "regularization_pairs",
    "run_overfitting",
    "run_table",
    "seed_summary",
    "t_interval",
]
