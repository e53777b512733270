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

Axes are every configuration axis of the study (`ablation.axes.config_keys`). A
study of several datasets gets each table per dataset (a leading ``dataset``
column): a level's mean never pools two datasets.

``results/stats/marginal_means.{parquet,csv}`` (`marginal_means`): ``metric``,
``axis``, ``level``, ``n``, ``n_configs``, ``mean``, ``std``, ``ci_low``, ``ci_high``,
``has_interval``.

``results/stats/interactions.{parquet,csv}`` (`interactions`): ``metric``, ``axis_a``,
``level_a``, ``axis_b``, ``level_b``, ``n``, ``n_configs``, ``mean``, ``std``,
``ci_low``, ``ci_high``, ``has_interval``; every pair of axes once, ``axis_a`` before
``axis_b`` in the canonical order of `ablation.axes.AXES`.

``results/stats/interaction_strength.{parquet,csv}`` (`interaction_strength`): how
much each pair of axes interacts, strongest first (what the figures show first).

Metrics: ``final_test_accuracy``, ``final_test_loss``, ``final_gap_accuracy``
(train minus test accuracy at the end), from the per-run table of
`ablation.stats.overfitting.run_overfitting`.
"""

from __future__ import annotations

import itertools

import pandas as pd

from ablation.axes import AXES, ordered, strata_and_factors
from ablation.config import format_value
from ablation.stats.seeds import DESCRIBE_COLUMNS, describe

FACTOR_METRICS = ("final_test_accuracy", "final_test_loss", "final_gap_accuracy")


def _long(per_run: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    strata, factors = strata_and_factors(per_run)
    long = per_run.melt(
        id_vars=[*strata, *factors, "seed"], value_vars=list(FACTOR_METRICS), var_name="metric"
    )
    long["config"] = long.groupby([*strata, *factors], sort=False, dropna=False).ngroup()
    for axis in factors:
        long[axis] = long[axis].map(format_value)
    return long, strata, factors


def _grouped(long: pd.DataFrame, by: list[str], confidence: float) -> pd.DataFrame:
    out = describe(long, by, "value", confidence)
    with_value = long[long["value"].notna()]
    configs = with_value.groupby(by, sort=True)["config"].nunique().rename("n_configs")
    out = out.merge(configs.reset_index(), on=by, how="left")
    out["n_configs"] = out["n_configs"].fillna(0).astype("int64")
    return out


def _level_sorted(table: pd.DataFrame, level: str, axis: str, first: list[str]) -> pd.DataFrame:
    """Rows ordered by `first`, then each axis's levels in their order (numbers ascending)."""
    rank = {}
    for name, part in table.groupby(axis):
        rank.update({(name, lv): i for i, lv in enumerate(ordered(part[level]))})
    pairs = zip(table[axis], table[level], strict=True)
    key = [rank[(a, lv)] + AXES.index(a) * 1000 for a, lv in pairs]
    return table.assign(_key=key).sort_values([*first, "_key"], kind="stable").drop(columns="_key")


def marginal_means(per_run: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of each metric per level of each axis, pooled over runs.

    Returns
    -------
    The ``marginal_means`` table described in this module's docstring.
    """
    long, strata, factors = _long(per_run)
    frames = []
    for axis in factors:
        renamed = long.rename(columns={axis: "level"})
        part = _grouped(renamed, [*strata, "metric", "level"], confidence)
        part.insert(len(strata) + 1, "axis", axis)
        frames.append(part)
    columns = [*strata, "metric", "axis", "level", "n", "n_configs", *DESCRIBE_COLUMNS[1:]]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return _level_sorted(out, "level", "axis", [*strata, "metric"]).reset_index(drop=True)


def interactions(per_run: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of each metric for every pair of levels of every pair of axes.

    Returns
    -------
    The ``interactions`` table described in this module's docstring.
    """
    long, strata, factors = _long(per_run)
    frames = []
    for axis_a, axis_b in itertools.combinations(factors, 2):
        renamed = long.rename(columns={axis_a: "level_a", axis_b: "level_b"})
        part = _grouped(renamed, [*strata, "metric", "level_a", "level_b"], confidence)
        part.insert(len(strata) + 1, "axis_a", axis_a)
        part.insert(len(strata) + 3, "axis_b", axis_b)
        frames.append(part)
    columns = [
        *strata, "metric", "axis_a", "level_a", "axis_b", "level_b", "n", "n_configs",
        *DESCRIBE_COLUMNS[1:],
    ]  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def interaction_strength(
    interactions: pd.DataFrame, metric: str = "final_test_accuracy"
) -> pd.DataFrame:
    """How far each pair of axes is from acting independently, strongest first.

    In the two-way table of cell means m_ij of a pair, additivity means
    ``m_ij = r_i + c_j - g`` (row means r, column means c, grand mean g). The
    strength is the root mean square of the departures
    ``m_ij - r_i - c_j + g`` over the cells: 0 for parallel lines in an interaction
    plot, in the metric's unit otherwise (accuracy: a fraction).

    Returns
    -------
    ``dataset`` (when several), ``axis_a``, ``axis_b``, ``strength``, ``n_cells``;
    sorted by strength, descending (per dataset).
    """
    strata = ["dataset"] if "dataset" in interactions.columns else []
    columns = [*strata, "axis_a", "axis_b", "strength", "n_cells"]
    rows = interactions[interactions["metric"] == metric].dropna(subset=["mean"])
    if rows.empty:
        return pd.DataFrame(columns=columns)
    m = rows["mean"].astype(float)
    pair = [*strata, "axis_a", "axis_b"]
    r = m.groupby([rows[k] for k in [*pair, "level_a"]]).transform("mean")
    c = m.groupby([rows[k] for k in [*pair, "level_b"]]).transform("mean")
    g = m.groupby([rows[k] for k in pair]).transform("mean")
    departure = (m - r - c + g) ** 2
    out = departure.groupby([rows[k] for k in pair]).agg(["mean", "size"])
    out = out.rename(columns={"mean": "strength", "size": "n_cells"}).reset_index()
    out["strength"] = out["strength"] ** 0.5
    return out.sort_values([*strata, "strength"], ascending=[*[True] * len(strata), False])[
        columns
    ].reset_index(drop=True)
