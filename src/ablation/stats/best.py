"""Which configurations are as good as the best: comparisons with the best over seeds.

The best configuration is the arg-max of validation accuracy. Testing the others
against it on the same data, one paired test each, ignores that choice: under a
global null (24 configurations, 3 seeds) some configuration is then called "worse"
10-12 % of the time at a nominal 5 %. Here every claim comes from simultaneous
intervals of **all** pairwise differences ``mu_i - mu_j`` (Tukey-Kramer), which hold
together with probability ``1 - alpha`` whichever configuration the data make look
best, so choosing the best from the same data costs nothing. From them follow the
comparisons with the best (Hsu, *Multiple Comparisons*, 1996, sec. 4.1.3: MCB
inference deduced from all-pairwise comparisons), bounds on
``mu_i - max_{j != i} mu_j``::

    low_i  = min_{j != i} (D_ij - c se_ij)        high_i = min_{j != i} (D_ij + c se_ij)

with ``D_ij`` the difference of seed-adjusted means and ``c`` the studentized range
quantile over sqrt 2 (`pairwise_quantile`).

Why not Hsu's own MCB with Dunnett's smaller critical value: its "worse" means
``mu_i <= max_{j != i} mu_j`` (not the best, possibly tied), and read as *strictly*
worse it errs 10 % of the time under a global null, where every configuration ties
(measured, `scripts/bench_stats.py`). Why not a confirmatory split of seeds: with 3-5
seeds, choosing on some and confirming on the others leaves one or two seeds to
confirm on, with no or one degree of freedom.

The seed is the unit: runs with the same seed share their data order and
initialisation, so the scores follow the additive model ``y_is = a_i + b_s + e_is``
(configuration, seed, run noise). The configuration effects ``a_i`` are fitted by
least squares (seed-adjusted means; with every seed present, the configuration means)
and the run noise is pooled over every configuration, with ``N - k - S + 1`` degrees of
freedom (46 for 24 configurations x 3 seeds, where one paired test has 2). Pooling
alone would make the claims about the noisiest configurations too bold where run
noise differs between them, so a pair's standard error is never below what its
members' own residual variances say: each configuration's variance is
``max(own, pooled)`` (its own on its share of the residual degrees of freedom). That
costs a little power where the noise is alike and keeps most of the level where it is
not (both measured in the benchmark).

Claims, family-wise at ``alpha`` together:

- ``worse``: ``high_i < 0``: some configuration is strictly better;
- ``equivalent`` (within the margin ``delta``): ``low_i > -delta``, so ``mu_i`` is
  within ``delta`` of the true best. This is the two one-sided tests (TOST) of
  ``|mu_i - mu_best| < delta`` at the family-wise level: the upper side,
  ``mu_i - mu_best < delta``, holds by definition of the best. It takes precedence over
  ``worse``: a configuration worse by less than the margin is as good as the best for
  the user's purpose (the table still shows the difference);
- ``better`` (the chosen configuration only): ``low_best > 0``, better than every other;
- ``unresolved``: none of these.

P(improvement), the probability that the best beats a configuration on a new seed, is
counted on the test set, which took no part in the choice. Its exact interval treats
ties honestly: the lower bound is Clopper-Pearson's for the strict wins, the upper one
for wins plus ties, so it covers ``P(win) + P(tie) / 2`` whatever the ties would have
been.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

COMPARISONS = ("better", "worse", "equivalent", "unresolved", "not tested")


@lru_cache(maxsize=256)
def pairwise_quantile(k: int, df: float, alpha: float) -> float:
    """Critical value of simultaneous intervals of all differences of `k` means on `df`.

    The studentized range quantile over sqrt 2 (Tukey): with ``k = 2`` it is the
    two-sided t quantile ``t_{1 - alpha / 2, df}``.
    """
    if k < 2 or not df > 0:
        return np.nan
    return float(stats.studentized_range.ppf(1 - alpha, k, df) / np.sqrt(2))


def mcb(scores: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Simultaneous bounds on ``mu_i - max_{j != i} mu_j`` of every configuration, seed as block.

    Parameters
    ----------
    scores : columns ``config`` (any hashable label), ``seed`` and ``score`` (finite).
    alpha : family-wise level of the simultaneous intervals.

    Returns
    -------
    Indexed by ``config``: ``effect`` (seed-adjusted mean), ``mcb_low``, ``mcb_high``
    (the bounds ``low_i``, ``high_i`` of the module docstring), ``mcb_df``, ``mcb_d``
    (critical value), ``mcb_sigma`` (pooled run-noise sd). NaN bounds when no residual
    degree of freedom is left (one seed) or fewer than two configurations.
    """
    configs = pd.Index(sorted(scores["config"].unique(), key=str))
    seeds = pd.Index(sorted(scores["seed"].unique()))
    k, n = len(configs), len(scores)
    df = n - k - len(seeds) + 1
    out = pd.DataFrame(index=configs.rename("config"))
    effect, cov, sigma, inflation = _additive_fit(scores, configs, seeds, df)
    out["effect"] = effect
    if k < 2 or df < 1:
        return out.assign(mcb_low=np.nan, mcb_high=np.nan, mcb_df=float(max(df, 0)),
                          mcb_d=np.nan, mcb_sigma=sigma)  # fmt: skip
    d = pairwise_quantile(k, float(df), alpha)
    diff = effect[:, None] - effect[None, :]
    var = np.diag(cov)
    pooled = np.maximum(var[:, None] + var[None, :] - 2 * cov, 0.0)
    # a pair is as noisy as its noisier-than-pooled members say (never less than pooled)
    se = np.sqrt(pooled * (inflation[:, None] + inflation[None, :]) / 2)
    off = ~np.eye(k, dtype=bool)
    out["mcb_low"] = np.where(off, diff - d * se, np.inf).min(axis=1)
    out["mcb_high"] = np.where(off, diff + d * se, np.inf).min(axis=1)
    return out.assign(mcb_df=float(df), mcb_d=d, mcb_sigma=sigma)


def _additive_fit(scores: pd.DataFrame, configs: pd.Index, seeds: pd.Index, df: int):
    """Least squares of ``score ~ config + seed``: effects, their covariance, residual sd."""
    rows = np.arange(len(scores))
    x = np.zeros((len(scores), len(configs) + len(seeds) - 1))
    x[rows, configs.get_indexer(scores["config"])] = 1.0
    seed_at = seeds.get_indexer(scores["seed"])
    later = seed_at > 0  # the first seed is the reference level
    x[rows[later], len(configs) + seed_at[later] - 1] = 1.0
    y = scores["score"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    sigma = float(np.sqrt(residual @ residual / df)) if df > 0 else np.nan
    cov = np.linalg.pinv(x.T @ x)[: len(configs), : len(configs)] * sigma**2
    # each configuration's own noise, on its share of the residual degrees of freedom
    at = configs.get_indexer(scores["config"])
    own_ss = np.bincount(at, weights=residual**2, minlength=len(configs))
    own_df = df * np.bincount(at, minlength=len(configs)) / len(scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        inflation = np.maximum(own_ss / own_df / sigma**2, 1.0) if df > 0 else np.ones(len(configs))
    inflation = np.nan_to_num(inflation, nan=1.0)
    return beta[: len(configs)], cov, sigma, inflation


def comparisons(table: pd.DataFrame, best: object, margin: float) -> pd.Series:
    """Each configuration's claim against the best, from its `mcb` row.

    Parameters
    ----------
    table : the `mcb` table.
    best : the label of the chosen (arg-max) configuration.
    margin : equivalence margin, as a fraction of accuracy (0.005 = 0.5 pp).

    Returns
    -------
    One of `COMPARISONS` per configuration (see the module docstring).
    """
    if table["mcb_low"].isna().all():
        return pd.Series("not tested", index=table.index)
    worse = table["mcb_high"] < 0
    equivalent = table["mcb_low"] > -margin
    claim = np.select([equivalent, worse], ["equivalent", "worse"], default="unresolved")
    claim = pd.Series(claim, index=table.index)
    claim[best] = "better" if table.loc[best, "mcb_low"] > 0 else "unresolved"
    return claim


def tost_p(mean, se, df, margin: float) -> np.ndarray:
    """p-value of the two one-sided t-tests (TOST) of ``|mu| < margin``: the larger of the two.

    Small p means the effect lies within ``(-margin, margin)``: "no effect" within the margin.
    """
    mean, se, df = (np.asarray(a, dtype=float) for a in (mean, se, df))
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = stats.t.sf((mean + margin) / se, df)
        upper = stats.t.cdf((mean - margin) / se, df)
    return np.maximum(lower, upper)


def improvement_interval(wins, ties, n, confidence: float = 0.95):
    """P(improvement) ``(wins + ties / 2) / n`` and its exact interval, ties counted honestly.

    Lower bound: Clopper-Pearson for `wins` of `n` (ties lost); upper bound:
    Clopper-Pearson for ``wins + ties`` (ties won). Each tail has ``(1 - confidence) / 2``,
    so the interval covers ``P(win) + P(tie) / 2`` at least at `confidence`.
    NaN where ``n == 0``.
    """
    wins, ties, n = (np.asarray(a, dtype=float) for a in (wins, ties, n))
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = (wins + ties / 2) / n
        low = np.where(wins > 0, stats.beta.ppf(tail, wins, n - wins + 1), 0.0)
        up = wins + ties
        high = np.where(up < n, stats.beta.ppf(1 - tail, up + 1, n - up), 1.0)
    empty = n <= 0
    return (np.where(empty, np.nan, estimate), np.where(empty, np.nan, low),
            np.where(empty, np.nan, high))  # fmt: skip
