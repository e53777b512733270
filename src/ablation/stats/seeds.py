"""Across seeds: mean, spread and t-interval of every configuration's numbers.

A configuration is a grid cell without its seed; its seeds are the replicates.
The interval is the two-sided Student t confidence interval of the mean,
``mean ± t_{(1+c)/2, n-1} · std / sqrt(n)`` with the sample standard deviation
(ddof 1). With fewer than two finite values there is no interval: ``ci_low`` and
``ci_high`` are NaN and ``has_interval`` is False, but the row is kept.

Output table ``results/stats/seed_summary.parquet`` (`seed_summary`), one row per
configuration, point, epoch and metric:

- the configuration: its axes (`ablation.axes.config_keys`: the core four and any
  other that varies, ``dataset`` first when there are several).
- ``point``: ``"milestone"`` (the value measured at milestone ``epoch``) or
  ``"best_validation"`` (each seed at its own epoch of lowest validation loss,
  the epoch early stopping would keep; ``epoch`` is then NA).
- ``epoch``: the milestone epoch (nullable integer).
- ``metric``: at milestones ``test_accuracy``, ``test_loss``, ``gap_accuracy_test``,
  ``gap_loss_test``, ``gap_accuracy_validation``, ``gap_loss_validation`` (see
  `ablation.stats.overfitting.milestone_gaps`); at ``best_validation``
  ``test_accuracy``, ``test_loss`` and ``epoch`` (the chosen epoch itself).
- ``n_runs``: seeds of the configuration that reached this point (diverged runs
  stop contributing after their last finite milestone).
- ``n``: seeds with a finite value (the interval's sample size).
- ``mean``, ``std``, ``ci_low``, ``ci_high``, ``has_interval``.

Without a validation split there are no ``best_validation`` rows and the
validation gaps are NaN (``n`` = 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ablation.axes import config_keys

MILESTONE_METRICS = (
    "test_accuracy",
    "test_loss",
    "gap_accuracy_test",
    "gap_loss_test",
    "gap_accuracy_validation",
    "gap_loss_validation",
)
BEST_VALIDATION_METRICS = {
    "test_accuracy_at_best_val": "test_accuracy",
    "test_loss_at_best_val": "test_loss",
    "best_val_epoch": "epoch",
}
DESCRIBE_COLUMNS = ["n", "mean", "std", "ci_low", "ci_high", "has_interval"]


def t_interval(
    mean: np.ndarray | pd.Series,
    std: np.ndarray | pd.Series,
    n: np.ndarray | pd.Series,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided t confidence interval of a mean, element-wise.

    Parameters
    ----------
    mean, std, n : sample mean, sample standard deviation (ddof 1) and size.
    confidence : coverage, e.g. 0.95.

    Returns
    -------
    (low, high) arrays; NaN where ``n < 2``.
    """
    mean, std, n = (np.asarray(a, dtype=float) for a in (mean, std, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf((1 + confidence) / 2, n - 1) * std / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def describe(
    frame: pd.DataFrame, by: Sequence[str], value: str = "value", confidence: float = 0.95
) -> pd.DataFrame:
    """Count, mean, std and t-interval of `value` per group of `by` (one groupby, vectorized).

    Non-finite values are ignored (they count in no ``n``); groups whose values
    are all missing are kept with ``n`` = 0.

    Returns
    -------
    DataFrame with the `by` columns and ``n``, ``mean``, ``std``, ``ci_low``,
    ``ci_high``, ``has_interval``.
    """
    values = frame[value].astype(float).where(np.isfinite(frame[value].astype(float)))
    grouped = values.groupby([frame[key] for key in by], sort=True, dropna=False)
    out = grouped.agg(["count", "mean", "std"]).rename(columns={"count": "n"})
    out["n"] = out["n"].astype("int64")
    out["ci_low"], out["ci_high"] = t_interval(out["mean"], out["std"], out["n"], confidence)
    out["has_interval"] = out["n"] >= 2
    return out.reset_index()[[*by, *DESCRIBE_COLUMNS]]


def seed_summary(
    gaps: pd.DataFrame, per_run: pd.DataFrame, confidence: float = 0.95
) -> pd.DataFrame:
    """Per configuration: statistics over seeds at every milestone and at the best-validation epoch.

    Parameters
    ----------
    gaps : one row per run and milestone (`ablation.stats.overfitting.milestone_gaps`).
    per_run : one row per run (`ablation.stats.overfitting.run_overfitting`), for
        the best-validation values.
    confidence : coverage of the intervals.

    Returns
    -------
    The ``seed_summary`` table described in this module's docstring.
    """
    keys = config_keys(per_run)
    at_milestones = gaps.melt(
        id_vars=[*keys, "seed", "epoch"],
        value_vars=list(MILESTONE_METRICS),
        var_name="metric",
    )
    milestones = _with_run_counts(
        describe(at_milestones, [*keys, "epoch", "metric"], confidence=confidence),
        at_milestones,
        [*keys, "epoch", "metric"],
    )
    milestones.insert(len(keys), "point", "milestone")
    chosen = per_run[per_run["validation_available"] & per_run["best_val_epoch"].notna()]
    at_best = chosen.melt(
        id_vars=[*keys, "seed"],
        value_vars=list(BEST_VALIDATION_METRICS),
        var_name="metric",
    )
    at_best["metric"] = at_best["metric"].map(BEST_VALIDATION_METRICS)
    best = _with_run_counts(
        describe(at_best, [*keys, "metric"], confidence=confidence),
        at_best,
        [*keys, "metric"],
    )
    best.insert(len(keys), "point", "best_validation")
    best.insert(len(keys) + 1, "epoch", pd.NA)
    out = pd.concat([milestones, best], ignore_index=True)
    out["epoch"] = out["epoch"].astype("Int64")
    columns = [*keys, "point", "epoch", "metric", "n_runs", *DESCRIBE_COLUMNS]
    return out[columns].sort_values([*keys, "point", "epoch", "metric"], ignore_index=True)


def _with_run_counts(described: pd.DataFrame, long: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    counts = long.groupby(by, sort=True, dropna=False).size().rename("n_runs").reset_index()
    return described.merge(counts, on=by, how="left")
