"""What changes when one choice changes, everything else fixed: paired effects of every axis.

For an axis A with levels a_0 < a_1 < ... (``ablation.axes.ordered``: numbers
ascending, names alphabetical; a_0 is the *baseline*: dropout 0, the smallest
training set, the first activation by name), each run with A = a_i (i > 0) is
paired with the run that has A = a_0 and the same value of every other axis and
the same seed. The difference ``delta = treated - baseline`` of such a pair
isolates the change of A: the rest of the configuration and the seed's data order
are shared. Pairs never cross datasets (``dataset`` is fixed like any other axis
and is never itself an axis of these tables: accuracies of two datasets do not
compare). Accuracy deltas are fractions: 0.012 reads as +1.2 percentage points.

Output tables:

``results/stats/paired_runs.parquet`` (`paired_runs`): ``axis``, ``level``,
``baseline_level`` (as in run folders, ``ablation.config.format_value``),
``dataset`` (when the study has several), the treated run's other configuration
axes, ``seed``, ``metric``, ``treated``, ``baseline``, ``delta``. Pairs where either
value is missing are left out.

``results/stats/paired_effects.{parquet,csv}`` (`paired_effects`): ``axis``,
``level``, ``baseline_level``, ``dataset`` (when several), ``metric``, ``n_pairs``,
``mean_treated``, ``mean_baseline``, ``mean_delta``, ``ci_low``, ``ci_high`` (t-interval
of the mean delta, `ablation.stats.seeds.describe`), ``has_interval``, ``p_value``
(paired t-test of the deltas).

Metrics: ``final_gap_accuracy``, ``final_gap_loss``, ``onset_epoch``, ``overfits``
(1 for verdict overfitting, 0 for good fit or underfitting), ``final_test_accuracy``,
``test_accuracy_at_best_val``, from `ablation.stats.overfitting.run_overfitting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ablation.axes import AXES, ordered, strata_and_factors
from ablation.config import format_value
from ablation.stats.compare import paired_p
from ablation.stats.seeds import describe

PAIR_METRICS = (
    "final_gap_accuracy",
    "final_gap_loss",
    "onset_epoch",
    "overfits",
    "final_test_accuracy",
    "test_accuracy_at_best_val",
)
EFFECT_COLUMNS = [
    "n_pairs", "mean_treated", "mean_baseline", "mean_delta", "ci_low", "ci_high",
    "has_interval", "p_value",
]  # fmt: skip


def paired_runs(per_run: pd.DataFrame, baselines: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Pair every run with the run that differs from it only in one axis, set to its baseline.

    Parameters
    ----------
    per_run : one row per run (`ablation.stats.overfitting.run_overfitting`).
    baselines : the baseline level of an axis where it is not the first in order.

    Returns
    -------
    The ``paired_runs`` table described in this module's docstring.
    """
    strata, factors = strata_and_factors(per_run)
    values = per_run.assign(
        onset_epoch=per_run["onset_epoch"].astype(float),
        overfits=per_run["verdict"].map(
            {"overfitting": 1.0, "noisy plateau": 0.0, "good fit": 0.0, "underfitting": 0.0}
        ),
    )
    frames = [
        _pairs_of(values, axis, strata, factors, (baselines or {}).get(axis)) for axis in factors
    ]
    columns = [
        "axis", "level", "baseline_level", *strata, *factors, "seed", "metric",
        "treated", "baseline", "delta",
    ]  # fmt: skip
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _pairs_of(
    values: pd.DataFrame, axis: str, strata: list[str], factors: list[str], baseline: Any
) -> pd.DataFrame:
    levels = ordered(values[axis])
    if len(levels) < 2:
        return pd.DataFrame()
    baseline = levels[0] if baseline is None else baseline
    rest = [*strata, *(f for f in factors if f != axis), "seed"]
    base = values[values[axis] == baseline][[*rest, *PAIR_METRICS]]
    treated = values[values[axis] != baseline][[*rest, axis, *PAIR_METRICS]]
    wide = treated.merge(base, on=rest, suffixes=("", "@baseline"))
    parts = []
    for metric in PAIR_METRICS:
        part = wide[[*rest, axis]].assign(
            metric=metric, treated=wide[metric], baseline=wide[f"{metric}@baseline"]
        )
        parts.append(part.dropna(subset=["treated", "baseline"]))
    long = pd.concat(parts, ignore_index=True)
    long["delta"] = long["treated"] - long["baseline"]
    rank = {level: i for i, level in enumerate(levels)}
    long = long.sort_values(
        [*strata, axis, "metric", *rest[len(strata) :]],
        key=lambda c: c.map(rank) if c.name == axis else c,
        ignore_index=True,
    )
    long.insert(0, "axis", axis)
    long.insert(1, "level", long[axis].map(format_value))
    long.insert(2, "baseline_level", format_value(baseline))
    return long


def paired_effects(pairs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean paired change each level of each axis makes to each metric, with interval and p.

    Parameters
    ----------
    pairs : the `paired_runs` table.
    confidence : coverage of the intervals.

    Returns
    -------
    The ``paired_effects`` table described in this module's docstring: per dataset,
    axes in canonical order and levels in their order.
    """
    strata = ["dataset"] if "dataset" in pairs.columns else []
    by = ["axis", "level", "baseline_level", *strata, "metric"]
    if pairs.empty:
        return pd.DataFrame(columns=[*by, *EFFECT_COLUMNS])
    out = describe(pairs, by, "delta", confidence).rename(
        columns={"n": "n_pairs", "mean": "mean_delta"}
    )
    means = pairs.groupby(by, sort=True)[["treated", "baseline"]].mean()
    means.columns = ["mean_treated", "mean_baseline"]
    out = out.merge(means.reset_index(), on=by, how="left")
    out["p_value"] = paired_p(out["mean_delta"], out["std"], out["n_pairs"])
    order = _level_order(out)
    out = out.iloc[np.lexsort([out["metric"], order, *(out[s] for s in strata[::-1])])]
    return out[[*by, *EFFECT_COLUMNS]].reset_index(drop=True)


def _level_order(table: pd.DataFrame) -> np.ndarray:
    """A sort key: axes in canonical order, within each its levels in order."""
    keys = np.zeros(len(table))
    for axis, part in table.groupby("axis"):
        rank = {level: i for i, level in enumerate(ordered(part["level"]))}
        keys[table["axis"].eq(axis).to_numpy()] = (
            AXES.index(axis) * 1000 + part["level"].map(rank).to_numpy()
        )
    return keys
