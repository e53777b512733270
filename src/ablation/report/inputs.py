"""The tables a report is made of, read once, each optional so a partial study still renders."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from ablation import layout

# The statistics tables of `ablation.stats` (`layout.table_path`) and the
# aggregated tables of `ablation.aggregate`, by the name the report knows them.
TABLES = (
    "metrics",
    "runs",
    "summary",
    "leaderboard",
    "leaderboard_early_stopping",
    "anova",
    "seed_summary",
    "marginal_means",
    "interactions",
    "overfitting",
    "overfitting_configs",
    "regularization_effects",
    "anomalies",
    "confused_pairs",
    "confusion_by_config",  # the Explore section's confusion matrices
    # statistics for any axes (ablation.stats.paired, .factors, .datasize, .transfer)
    "paired_effects",
    "interaction_strength",
    "datasize_curve",
    "datasize_worth",
    "rank_agreement",
    "transfer_findings",
)


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass
class ReportInputs:
    """Every table the report reads; an absent table is an empty DataFrame.

    The report shows the numbers of these tables as they are: it ranks, filters
    and formats them but computes no statistic of its own.
    """

    metrics: pd.DataFrame = field(default_factory=_empty)
    runs: pd.DataFrame = field(default_factory=_empty)
    summary: pd.DataFrame = field(default_factory=_empty)
    leaderboard: pd.DataFrame = field(default_factory=_empty)
    leaderboard_early_stopping: pd.DataFrame = field(default_factory=_empty)
    anova: pd.DataFrame = field(default_factory=_empty)
    seed_summary: pd.DataFrame = field(default_factory=_empty)
    marginal_means: pd.DataFrame = field(default_factory=_empty)
    interactions: pd.DataFrame = field(default_factory=_empty)
    overfitting: pd.DataFrame = field(default_factory=_empty)
    overfitting_configs: pd.DataFrame = field(default_factory=_empty)
    regularization_effects: pd.DataFrame = field(default_factory=_empty)
    anomalies: pd.DataFrame = field(default_factory=_empty)
    confused_pairs: pd.DataFrame = field(default_factory=_empty)
    confusion_by_config: pd.DataFrame = field(default_factory=_empty)
    paired_effects: pd.DataFrame = field(default_factory=_empty)
    interaction_strength: pd.DataFrame = field(default_factory=_empty)
    datasize_curve: pd.DataFrame = field(default_factory=_empty)
    datasize_worth: pd.DataFrame = field(default_factory=_empty)
    rank_agreement: pd.DataFrame = field(default_factory=_empty)
    transfer_findings: pd.DataFrame = field(default_factory=_empty)

    @classmethod
    def fields(cls) -> set[str]:
        """The names of the tables."""
        return {f.name for f in fields(cls)}

    @classmethod
    def from_files(cls, paths: Mapping[str, str | Path]) -> ReportInputs:
        """Read the Parquet files named in `paths` (keys from `TABLES`; others ignored)."""
        known = cls.fields()
        return cls(**{k: pd.read_parquet(p) for k, p in paths.items() if k in known})


def finished_runs(root: str | Path, expected_runs: Sequence[str]) -> list[str]:
    """The planned runs finished under `root`, the runs folder (`layout.is_finished`;
    run ids, in grid order)."""
    root = Path(root)
    return [r for r in expected_runs if layout.is_finished(root / r)]


def finished_digest(root: str | Path, expected_runs: Sequence[str]) -> str:
    """A short text that changes whenever the set of finished runs changes."""
    done = finished_runs(root, expected_runs)
    digest = hashlib.sha256("\n".join(done).encode()).hexdigest()[:16]
    return f"{len(done)} of {len(expected_runs)} runs finished ({digest})"
