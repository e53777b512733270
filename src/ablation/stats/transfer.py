"""Does it transfer? Rank agreement of configurations and findings between datasets.

Accuracies of two datasets are not comparable (Fashion-MNIST is harder than
MNIST), so nothing here pools them: each dataset's own numbers are compared by
rank and by direction.

- Rank agreement: for two datasets, the configurations both ran (every axis but
  ``dataset`` equal) are ranked by mean final test accuracy over seeds on each;
  Kendall's tau-b of the two rankings is 1 when the order is the same, 0 when
  unrelated, -1 when reversed. Its interval is a percentile bootstrap over seeds:
  ``n_boot`` times, draw the seeds both datasets ran with replacement (the same
  draw for both), recompute every configuration's mean on each dataset and the
  tau. With fewer than two shared seeds there is no interval. Means over resampled
  seeds are noisier than the real ones, so the interval leans towards less agreement.
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

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from ablation.axes import strata_and_factors

SCORE = "final_test_accuracy"
AGREEMENT_COLUMNS = [
    "dataset_a", "dataset_b", "n_configs", "n_seeds", "tau", "p_value", "ci_low", "ci_high",
    "has_interval",
]  # fmt: skip
FINDING_COLUMNS = [
    "finding", "axis", "level", "baseline_level", "dataset", "value", "ci_low", "ci_high",
    "resolved", "state", "holds",
]  # fmt: skip


def rank_agreement(
    per_run: pd.DataFrame, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Kendall's tau of configuration ranks between every two datasets, bootstrap over seeds.

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
    rng = np.random.default_rng(seed)
    rows = [
        _agreement(a, b, scores[a], scores[b], n_boot, confidence, rng)
        for a, b in itertools.combinations(scores, 2)
    ]
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _agreement(name_a, name_b, a, b, n_boot, confidence, rng) -> dict:
    configs = a.index.intersection(b.index)
    seeds = a.columns.intersection(b.columns)
    x = a.loc[configs, seeds].to_numpy(float)
    y = b.loc[configs, seeds].to_numpy(float)
    tau, p = _tau(np.nanmean(x, axis=1), np.nanmean(y, axis=1))
    row = dict(
        dataset_a=name_a, dataset_b=name_b, n_configs=len(configs), n_seeds=len(seeds),
        tau=tau, p_value=p, ci_low=np.nan, ci_high=np.nan, has_interval=False,
    )  # fmt: skip
    if len(seeds) >= 2 and len(configs) >= 2:
        draws = rng.integers(0, len(seeds), size=(n_boot, len(seeds)))
        taus = _taus_b(_means_of(x, draws), _means_of(y, draws))
        taus = taus[np.isfinite(taus)]
        if len(taus):
            tail = (1 - confidence) / 2 * 100
            row.update(
                ci_low=np.percentile(taus, tail),
                ci_high=np.percentile(taus, 100 - tail),
                has_interval=True,
            )
    return row


def _means_of(values: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Each configuration's mean over the seeds of each draw: (draws, configurations)."""
    counts = np.stack([np.bincount(d, minlength=values.shape[1]) for d in draws])
    finite = np.isfinite(values)
    total = counts @ np.where(finite, values, 0.0).T
    n = counts @ finite.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / n  # NaN for a configuration without a score in this draw


def _taus_b(x: np.ndarray, y: np.ndarray, chunk: int = 200) -> np.ndarray:
    """Kendall's tau-b of the rows of `x` against those of `y` (as scipy's, vectorized).

    Configurations missing in either row are left out of that row's pairs.
    """
    i, j = np.triu_indices(x.shape[1], k=1)
    out = []
    for start in range(0, len(x), chunk):
        a, b = x[start : start + chunk], y[start : start + chunk]
        sa, sb = np.sign(a[:, i] - a[:, j]), np.sign(b[:, i] - b[:, j])
        valid = np.isfinite(sa) & np.isfinite(sb)
        sa, sb = np.where(valid, sa, 0.0), np.where(valid, sb, 0.0)
        pairs = valid.sum(axis=1)
        untied_a = pairs - (valid & (sa == 0)).sum(axis=1)
        untied_b = pairs - (valid & (sb == 0)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((sa * sb).sum(axis=1) / np.sqrt(untied_a * untied_b))
    return np.concatenate(out)


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
        p = rows["p_holm"] if "p_holm" in rows else rows["p_value"]
        sure = rows.assign(sure=(p < alpha) & np.sign(rows["mean_delta"]).ne(0))
        counts = sure.groupby(["axis", "dataset"])["sure"].agg(["size", "all"])
        two = counts[counts["size"] == 1]["all"]  # one level against the baseline
        paired = cell.map(two)
        apart = paired.where(paired.notna(), apart)
    return apart.fillna(False).astype(bool)


def _effect_directions(effects: pd.DataFrame, alpha: float) -> pd.DataFrame:
    rows = effects[effects["metric"] == SCORE].dropna(subset=["mean_delta"])
    p = rows["p_holm"] if "p_holm" in rows else rows["p_value"]
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
            "resolved": (p < alpha) & np.sign(rows["mean_delta"]).ne(0),
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
