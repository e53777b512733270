"""Does it transfer? Rank agreement of configurations and findings between datasets.

Accuracies of two datasets are not comparable (Fashion-MNIST is harder than
MNIST), so nothing here pools them: each dataset's own numbers are compared by
rank and by direction.

- Rank agreement: for two datasets, the configurations both ran (every axis but
  ``dataset`` equal) on every seed both ran are ranked by mean final test accuracy over
  seeds on each; Kendall's tau-b of the two rankings is 1 when the order is the same, 0
  when unrelated, -1 when reversed. The tau of observed means understates that of the
  true means (noise breaks ties of order at random), and a bootstrap over 3-5 seeds
  understates it again: its interval covered the true tau 80-85 % of the time. So the
  interval bounds the true tau instead: on each dataset, Tukey's honest significant
  difference (`_resolved_order`, run noise from the additive model configuration +
  seed) resolves the order of the pairs of configurations it can, all claims holding
  together with 1 - alpha/2; a pair resolved on both datasets counts as it is, every other
  pair either way. The true tau lies within the bounds whenever all claims hold, so with
  probability at least 1 - alpha (normal run noise of equal sd; measured by
  ``scripts/bench_stats.py --section tau``). Without run noise the interval is the point;
  with fewer than two shared seeds there is none.
- Findings in three states: each finding is ``holds`` (resolved the same way on every
  dataset), ``reversed`` (resolved in opposite ways on two datasets) or ``unresolved on
  X`` (naming the datasets where the data cannot tell). A paired effect (each level
  against the axis's baseline on final test accuracy, `ablation.stats.paired`) is
  resolved on a dataset when its Holm-adjusted p is below ``analysis.alpha``; agreement
  of sign alone is not transfer. The best level of an axis (by marginal mean) is
  resolved on a dataset only when its interval lies above every other level's; the
  best levels of datasets are compared only where each is resolved.

Output tables:

``results/stats/rank_agreement.{parquet,csv}`` (`rank_agreement`), one row per pair
of datasets: ``dataset_a``, ``dataset_b``, ``n_configs``, ``n_seeds``, ``tau``,
``p_value`` (scipy's test of tau = 0), ``ci_low``, ``ci_high``, ``has_interval``.

``results/stats/transfer_findings.{parquet,csv}`` (`transfer_findings`), one row per
finding and dataset: ``finding`` (``best level`` | ``paired effect``), ``axis``,
``level`` (the best level on that dataset, or the level compared), ``baseline_level``
(paired effects), ``dataset``, ``value`` (the marginal mean, or the mean paired
change), ``ci_low``, ``ci_high``, ``resolved`` (on this dataset), ``state`` (``holds`` |
``reversed`` | ``unresolved on ...``, the same on every row of one finding), ``holds``
(``state == "holds"``).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd
from scipy import stats

from ablation.axes import strata_and_factors
from ablation.stats.paired import resolved

SCORE = "final_test_accuracy"
AGREEMENT_COLUMNS = [
    "dataset_a", "dataset_b", "n_configs", "n_seeds", "tau", "p_value", "ci_low", "ci_high",
    "has_interval",
]  # fmt: skip
FINDING_COLUMNS = [
    "finding", "axis", "level", "baseline_level", "dataset", "value", "ci_low", "ci_high",
    "resolved", "state", "holds",
]  # fmt: skip


def rank_agreement(per_run: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Kendall's tau of configuration ranks between every two datasets, with bounds.

    Returns
    -------
    The ``rank_agreement`` table described in this module's docstring (empty with
    one dataset).
    """
    strata, factors = strata_and_factors(per_run)
    if not strata:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    scores = {
        name: part.pivot_table(index=factors, columns="seed", values=SCORE, aggfunc="mean")
        for name, part in per_run.groupby("dataset", sort=True)
    }
    rows = [
        _agreement(a, b, scores[a], scores[b], confidence)
        for a, b in itertools.combinations(scores, 2)
    ]
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _agreement(name_a, name_b, a, b, confidence) -> dict:
    seeds = a.columns.intersection(b.columns)
    both = pd.concat([a[seeds], b[seeds]], axis=1, join="inner")
    configs = both.index[both.notna().all(axis=1)]  # scored on every shared seed
    x = a.loc[configs, seeds].to_numpy(float)
    y = b.loc[configs, seeds].to_numpy(float)
    tau, p = _tau(x.mean(axis=1), y.mean(axis=1))
    row = dict(
        dataset_a=name_a, dataset_b=name_b, n_configs=len(configs), n_seeds=len(seeds),
        tau=tau, p_value=p, ci_low=np.nan, ci_high=np.nan, has_interval=False,
    )  # fmt: skip
    if len(seeds) >= 2 and len(configs) >= 2:
        if _residual_sd(x) == 0 and _residual_sd(y) == 0:
            low = high = tau  # no run noise: the means, and so their order, are exact
        else:
            # Each dataset's claims hold together with 1 - alpha/2: both with 1 - alpha.
            level = 1 - (1 - confidence) / 2
            low, high = _tau_bounds(_resolved_order(x, level), _resolved_order(y, level))
        row.update(ci_low=low, ci_high=high, has_interval=True)
    return row


def _resolved_order(scores: np.ndarray, level: float) -> np.ndarray:
    """For every pair of configurations i < j: +1 where i is resolved above j, -1 below,
    0 where the data cannot tell; all claims hold together with probability `level`.

    Tukey's honest significant difference over the configuration means of a
    configurations x seeds table: the residual sd of the additive model (configuration +
    seed, so seed effects shared by a seed's runs cancel) with (k - 1)(n - 1) degrees of
    freedom, and the studentized range quantile for k means.
    """
    k, n = scores.shape
    means = scores.mean(axis=1)
    i, j = np.triu_indices(k, k=1)
    diff = means[i] - means[j]
    honest = _studentized_range(level, k, (k - 1) * (n - 1)) * _residual_sd(scores)
    return np.where(np.abs(diff) > honest / np.sqrt(n), np.sign(diff), 0).astype(int)


@functools.cache
def _studentized_range(level: float, k: int, df: int) -> float:
    return float(stats.studentized_range.ppf(level, k, df))  # ~0.3 s: a study asks again


def _residual_sd(scores: np.ndarray) -> float:
    """Run noise of a configurations x seeds table: the residual sd of configuration +
    seed (0 below rounding: scores that differ between seeds by a seed offset only)."""
    k, n = scores.shape
    residual = scores - scores.mean(axis=1)[:, None] - scores.mean(axis=0)[None, :]
    residual += scores.mean()
    sd = float(np.sqrt((residual**2).sum() / ((k - 1) * (n - 1))))
    return 0.0 if sd <= 1e-12 * max(float(np.abs(scores).max()), 1.0) else sd


def _tau_bounds(order_a: np.ndarray, order_b: np.ndarray) -> tuple[float, float]:
    """The least and greatest Kendall tau of true means that agree with both resolved
    orders: a pair resolved on both datasets counts as it is, any other pair either way."""
    known = (order_a != 0) & (order_b != 0)
    agreement = (order_a * order_b)[known].sum()
    unknown = (~known).sum()
    pairs = len(order_a)
    return float((agreement - unknown) / pairs), float((agreement + unknown) / pairs)


def _tau(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 2:
        return np.nan, np.nan
    result = stats.kendalltau(x[keep], y[keep])
    return float(result.statistic), float(result.pvalue)


def transfer_findings(
    marginal_means: pd.DataFrame, paired_effects: pd.DataFrame, alpha: float = 0.05
) -> pd.DataFrame:
    """Which findings hold, are reversed or are unresolved across datasets (module docstring).

    Parameters
    ----------
    marginal_means : `ablation.stats.factors.marginal_means` of a study with several datasets.
    paired_effects : `ablation.stats.paired.paired_effects` of the same study.
    alpha : level under which a paired effect's Holm-adjusted p resolves it.

    Returns
    -------
    The ``transfer_findings`` table (empty unless both have a ``dataset`` column).
    """
    frames = []
    if "dataset" in marginal_means and len(marginal_means):
        frames.append(_best_levels(marginal_means, paired_effects, alpha))
    if "dataset" in paired_effects and len(paired_effects):
        frames.append(_effect_directions(paired_effects, alpha))
    if not frames:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return pd.concat(frames, ignore_index=True)[FINDING_COLUMNS]


def _best_levels(marginal: pd.DataFrame, effects: pd.DataFrame, alpha: float) -> pd.DataFrame:
    rows = marginal[(marginal["metric"] == SCORE)].dropna(subset=["mean"])
    rows = rows[rows.groupby("axis")["level"].transform("nunique") > 1]
    best = rows.loc[rows.groupby(["axis", "dataset"], sort=False)["mean"].idxmax()]
    out = pd.DataFrame(
        {
            "finding": "best level",
            "axis": best["axis"],
            "level": best["level"],
            "baseline_level": pd.NA,
            "dataset": best["dataset"],
            "value": best["mean"],
            "ci_low": best["ci_low"],
            "ci_high": best["ci_high"],
        }
    )
    out["resolved"] = _best_resolved(out, rows.drop(index=best.index), effects, alpha)
    direction = out["level"].astype(str)
    return _with_states(out, ["axis"], direction, marginal["dataset"].unique())


def _best_resolved(
    best: pd.DataFrame, others: pd.DataFrame, effects: pd.DataFrame, alpha: float
) -> pd.Series:
    """Whether each dataset's best level is told apart from the others.

    Two levels: the paired effect between them (over seeds, Holm) is resolved. More
    levels: conservatively, the best's interval lies above every other level's (the
    paired effects compare each level with the baseline only).
    """
    runner_up = others.groupby(["axis", "dataset"])["ci_high"].max()
    cell = pd.Series(list(zip(best["axis"], best["dataset"], strict=True)), index=best.index)
    apart = best["ci_low"] > cell.map(runner_up).astype(float)
    rows = effects[effects["metric"] == SCORE] if len(effects) else effects
    if len(rows) and "dataset" in rows:
        sure = rows.assign(sure=resolved(rows, alpha))
        counts = sure.groupby(["axis", "dataset"])["sure"].agg(["size", "all"])
        two = counts[counts["size"] == 1]["all"]  # one level against the baseline
        paired = cell.map(two)
        apart = paired.where(paired.notna(), apart)
    return apart.fillna(False).astype(bool)


def _effect_directions(effects: pd.DataFrame, alpha: float) -> pd.DataFrame:
    rows = effects[effects["metric"] == SCORE].dropna(subset=["mean_delta"])
    out = pd.DataFrame(
        {
            "finding": "paired effect",
            "axis": rows["axis"],
            "level": rows["level"],
            "baseline_level": rows["baseline_level"],
            "dataset": rows["dataset"],
            "value": rows["mean_delta"],
            "ci_low": rows["ci_low"],
            "ci_high": rows["ci_high"],
            "resolved": resolved(rows, alpha),
        }
    )
    direction = np.sign(out["value"]).astype(str)
    return _with_states(out, ["axis", "level"], direction, effects["dataset"].unique())


def _with_states(
    rows: pd.DataFrame, finding: list[str], direction: pd.Series, datasets
) -> pd.DataFrame:
    """Each finding's state from its rows: holds, reversed, or unresolved on the others."""
    states = {}
    for key, part in rows.groupby(finding, sort=False):  # keys are tuples
        resolved = part[part["resolved"]]
        ways = direction[resolved.index].nunique()
        missing = sorted(set(map(str, datasets)) - set(map(str, resolved["dataset"])))
        if ways > 1:
            states[key] = "reversed"
        elif missing:
            states[key] = "unresolved on " + ", ".join(missing)
        else:
            states[key] = "holds"
    keys = pd.Series(list(zip(*(rows[k] for k in finding), strict=True)), index=rows.index)
    rows = rows.assign(state=keys.map(states))
    return rows.assign(holds=rows["state"].eq("holds"))
