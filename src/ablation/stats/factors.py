"""Factor effects: what each level of an axis gives on average, alone and in pairs.

A marginal mean pools every run that has the level: all configurations with it
(every combination of the other axes) times all their seeds, each run counted
once, so ``n`` = configurations x seeds. In a full grid every level sees the same
mix of the other axes, so the means are comparable. The t-interval is over those
pooled runs: it describes how much a run with this level varies across the rest
of the grid and across seeds, not seed noise alone (for that, see the paired tests
of `ablation.stats.compare` and the seed intervals of `ablation.stats.seeds`).
Two-way tables do the same for every pair of levels of two axes, which shows
interactions (e.g. sigmoid hurting SGD far more than Adam).

Levels are written as in run folders (``format_value``: ``0.0001``, ``0.2``, ``relu``).
Runs without a value (diverged before any milestone) count in no ``n``.

Output tables:

``results/stats/marginal_means.{parquet,csv}`` (`marginal_means`): ``metric``,
``axis``, ``level``, ``n``, ``n_configs``, ``mean``, ``std``, ``ci_low``, ``ci_high``,
``has_interval``.

``results/stats/interactions.{parquet,csv}`` (`interactions`): ``metric``, ``axis_a``,
``level_a``, ``axis_b``, ``level_b``, ``n``, ``n_configs``, ``mean``, ``std``,
``ci_low``, ``ci_high``, ``has_interval``; every pair of axes once, ``axis_a`` before
``axis_b`` in the order activation, optimizer, weight_decay, dropout.

Metrics: ``final_test_accuracy``, ``final_test_loss``, ``final_gap_accuracy``
(train minus test accuracy at the end), from the per-run table of
`ablation.stats.overfitting.run_overfitting`.
"""

from __future__ import annotations

import itertools

import pandas as pd

from ablation.aggregate import CONFIG_KEYS
from ablation.config import format_value
from ablation.stats.seeds import DESCRIBE_COLUMNS, describe

FACTOR_METRICS = ("final_test_accuracy", "final_test_loss", "final_gap_accuracy")


def _long(per_run: pd.DataFrame) -> pd.DataFrame:
    long = per_run.melt(
        id_vars=[*CONFIG_KEYS, "seed"], value_vars=list(FACTOR_METRICS), var_name="metric"
    )
    long["config"] = long.groupby(CONFIG_KEYS, sort=False).ngroup()
    for axis in CONFIG_KEYS:
        long[axis] = long[axis].map(format_value)
    return long


def _grouped(long: pd.DataFrame, by: list[str], confidence: float) -> pd.DataFrame:
    out = describe(long, by, "value", confidence)
    with_value = long[long["value"].notna()]
    configs = with_value.groupby(by, sort=True)["config"].nunique().rename("n_configs")
    out = out.merge(configs.reset_index(), on=by, how="left")
    out["n_configs"] = out["n_configs"].fillna(0).astype("int64")
    return out


def marginal_means(per_run: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of each metric per level of each axis, pooled over runs.

    Returns
    -------
    The ``marginal_means`` table described in this module's docstring.
    """
    long = _long(per_run)
    frames = []
    for axis in CONFIG_KEYS:
        part = _grouped(long.rename(columns={axis: "level"}), ["metric", "level"], confidence)
        part.insert(1, "axis", axis)
        frames.append(part)
    columns = ["metric", "axis", "level", "n", "n_configs", *DESCRIBE_COLUMNS[1:]]
    return pd.concat(frames, ignore_index=True)[columns]


def interactions(per_run: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of each metric for every pair of levels of every pair of axes.

    Returns
    -------
    The ``interactions`` table described in this module's docstring.
    """
    long = _long(per_run)
    frames = []
    for axis_a, axis_b in itertools.combinations(CONFIG_KEYS, 2):
        renamed = long.rename(columns={axis_a: "level_a", axis_b: "level_b"})
        part = _grouped(renamed, ["metric", "level_a", "level_b"], confidence)
        part.insert(1, "axis_a", axis_a)
        part.insert(3, "axis_b", axis_b)
        frames.append(part)
    columns = [
        "metric", "axis_a", "level_a", "axis_b", "level_b", "n", "n_configs",
        *DESCRIBE_COLUMNS[1:],
    ]  # fmt: skip
    return pd.concat(frames, ignore_index=True)[columns]
