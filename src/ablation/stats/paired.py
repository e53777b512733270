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

The unit of replication is the *seed*, not the pair. The pairs of one seed share
its data order and initialisation, so a seed that happens to favour a level does
so in every configuration: treating configurations x seeds as independent pairs
(df = pairs - 1) turns such a seed x choice interaction into a spurious effect.
So, for each axis, level and metric, the deltas are first averaged within each
seed over the other axes' configurations (only those run at both levels with
that seed, which is what a pair is), and the test and interval are the one-sample
t of those per-seed contrasts (df = seeds - 1). With the 3 to 5 seeds of a
study this is exact for normal per-seed means, where a mixed model's
random-effect variance would rest on too few seeds and its Wald tests assume
large samples. The p-values are then Holm-adjusted over the *whole* output table
(every axis, level, metric and dataset in it), so a reader may scan it for the
``p_holm`` under the study's ``analysis.alpha``.

Output tables:

``results/stats/paired_runs.parquet`` (`paired_runs`): ``axis``, ``level``,
``baseline_level`` (as in run folders, ``ablation.config.format_value``),
``dataset`` (when the study has several), the treated run's other configuration
axes, ``seed``, ``metric``, ``treated``, ``baseline``, ``delta``. Pairs where either
value is missing are left out.

``results/stats/paired_effects.{parquet,csv}`` (`paired_effects`): ``axis``,
``level``, ``baseline_level``, ``dataset`` (when several), ``metric``, ``n_pairs``
(paired runs), ``n_seeds`` (seeds with at least one pair: the replicates),
``mean_treated``, ``mean_baseline``, ``mean_delta`` (means over seeds of the
per-seed means), ``ci_low``, ``ci_high`` (t-interval over the seeds' mean deltas,
`ablation.stats.seeds.describe`), ``has_interval``, ``p_value`` (t-test of the
seeds' mean deltas against 0), ``p_holm`` (Holm over the whole table).

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
from ablation.stats.compare import holm, paired_p
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
    "n_pairs", "n_seeds", "mean_treated", "mean_baseline", "mean_delta", "ci_low", "ci_high",
    "has_interval", "p_value", "p_holm",
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
    """Mean paired change each level of each axis makes to each metric, tested over seeds.

    Parameters
    ----------
    pairs : the `paired_runs` table.
    confidence : coverage of the intervals.

    Returns
    -------
    The ``paired_effects`` table described in this module's docstring: per dataset,
    axes in canonical order and levels in their order; ``p_holm`` over all its rows.
    """
    strata = ["dataset"] if "dataset" in pairs.columns else []
    by = ["axis", "level", "baseline_level", *strata, "metric"]
    if pairs.empty:
        return pd.DataFrame(columns=[*by, *EFFECT_COLUMNS])
    per_seed = _seed_contrasts(pairs, by)
    out = describe(per_seed, by, "delta", confidence).rename(
        columns={"n": "n_seeds", "mean": "mean_delta"}
    )
    sums = per_seed.groupby(by, sort=True, dropna=False).agg(
        n_pairs=("n_pairs", "sum"), mean_treated=("treated", "mean"),
        mean_baseline=("baseline", "mean"),
    )  # fmt: skip
    out = out.merge(sums.reset_index(), on=by, how="left")
    out["p_value"] = paired_p(out["mean_delta"], out["std"], out["n_seeds"])
    out["p_holm"] = holm(out["p_value"])
    order = _level_order(out)
    out = out.iloc[np.lexsort([out["metric"], order, *(out[s] for s in strata[::-1])])]
    return out[[*by, *EFFECT_COLUMNS]].reset_index(drop=True)


def resolved(effects: pd.DataFrame, alpha: float) -> pd.Series:
    """Whether each paired change is told apart from none: its Holm-adjusted p (over the
    whole table; the raw p where a table has none) below `alpha`, and a mean change that
    is not exactly zero. The one rule the transfer states and the report's sentences use.
    """
    p = effects["p_holm"] if "p_holm" in effects else effects["p_value"]
    delta = effects["mean_delta"]
    return ((p < alpha) & delta.notna() & delta.ne(0)).astype(bool)


def _seed_contrasts(pairs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of `by` and seed: the mean treated, baseline and delta of its pairs.

    Averaging within a seed first makes the seed the replicate: its pairs share the
    seed's data order, so they are not independent of one another.
    """
    grouped = pairs.groupby([*by, "seed"], sort=True, dropna=False)
    return grouped.agg(
        n_pairs=("delta", "size"), treated=("treated", "mean"),
        baseline=("baseline", "mean"), delta=("delta", "mean"),
    ).reset_index()  # fmt: skip


def _level_order(table: pd.DataFrame) -> np.ndarray:
    """A sort key: axes in canonical order, within each its levels in order."""
    keys = np.zeros(len(table))
    for axis, part in table.groupby("axis"):
        rank = {level: i for i, level in enumerate(ordered(part["level"]))}
        keys[table["axis"].eq(axis).to_numpy()] = (
            AXES.index(axis) * 1000 + part["level"].map(rank).to_numpy()
        )
    return keys
