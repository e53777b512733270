"""Statistics of a finished study: pure functions from its tables to new tables.

Each module documents the tables it produces, column by column. Configurations are
told apart by `ablation.axes.config_keys` (any axis the study varies); a study of
several datasets never pools them:

- `ablation.stats.seeds`: mean, std and t-interval over seeds (``seed_summary``).
- `ablation.stats.compare`: leaderboards chosen on validation and reported on test, paired
  tests against the best, Holm (``leaderboard``, ``leaderboard_early_stopping``).
- `ablation.stats.best`: which configurations are worse than, equivalent to or unresolved
  against the best, with the best chosen from the same data; P(improvement) on test.
- `ablation.stats.power`: seeds needed, minimum detectable difference, probability of
  improvement (columns of the leaderboards; `seeds_overlay` for more seeds).
- `ablation.stats.anova`: type II ANOVA of the factorial design (``anova``).
- `ablation.stats.factors`: marginal means per axis level, two-way tables and how much
  each pair interacts (``marginal_means``, ``interactions``, ``interaction_strength``).
- `ablation.stats.overfitting`: gaps, early stopping, overfitting onset, verdicts and the
  paired effect of dropout and weight decay (``gaps``, ``overfitting``,
  ``overfitting_configs``, ``regularization_pairs``, ``regularization_effects``).
- `ablation.stats.paired`: what one change does, everything else fixed, for every axis
  against its first level (``paired_runs``, ``paired_effects``).
- `ablation.stats.datasize`: more data next to regularization, when ``train_size`` varies
  (``datasize_curve``, ``datasize_worth``).
- `ablation.stats.transfer`: rank agreement and findings across datasets, when
  ``dataset`` varies (``rank_agreement``, ``transfer_findings``).
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
