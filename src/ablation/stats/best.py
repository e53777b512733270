"""Which configurations are as good as the best: Hsu's MCB over seeds, equivalence, P(improvement).

The best configuration is the arg-max of validation accuracy. Testing the others
against it on the same data, one paired test each, ignores that choice: under a
global null (24 configurations, 3 seeds) some configuration is then called "worse"
10-12 % of the time at a nominal 5 %. Hsu's *multiple comparisons with the best*
(MCB; Hsu 1984, *Multiple Comparisons*, 1996, ch. 4) gives simultaneous intervals for
``mu_i - max_{j != i} mu_j`` of **every** configuration i, which hold together with
probability ``1 - alpha`` whichever configuration the data make look best, so
choosing the best from the same data costs nothing.

Why MCB rather than a confirmatory split of seeds: with 3-5 seeds, choosing on some
seeds and confirming on the others leaves one or two seeds to confirm on (no
variance, or one degree of freedom). MCB uses every seed for both and still keeps the
family-wise error at ``alpha``.

The seed is the unit: runs with the same seed share their data order and
initialisation, so the scores follow the additive model ``y_is = a_i + b_s + e_is``
(configuration, seed, run noise). The configuration effects ``a_i`` are fitted by
least squares (seed-adjusted means; with every seed present, the configuration means),
the noise variance is pooled from the residuals with ``N - k - S + 1`` degrees of
freedom (46 for 24 configurations x 3 seeds, where one paired test has 2). The
critical value is the one-sided Dunnett quantile for ``k - 1`` comparisons
(equicorrelated, rho = 1/2, `dunnett_quantile`); it is exact when every configuration
has every seed and a close approximation otherwise.

Constrained MCB (Hsu 1996, eq. 4.7-4.8), with ``D_ij = a_i - a_j`` and its standard
error ``se_ij``::

    upper_i = max(0, min_{j != i} (D_ij + d se_ij))
    G       = {i : min_{j != i} (D_ij + d se_ij) > 0}      (those that may be best)
    lower_i = 0 if G = {i}, else min(0, min_{j in G, j != i} (D_ij - d se_ij))

Claims, each family-wise at ``alpha`` together:

- ``worse``: ``min_{j != i}(D_ij + d se_ij) < 0`` (some configuration is better);
- ``equivalent`` (within the margin ``delta``): ``lower_i > -delta``, i.e. ``mu_i`` is
  within ``delta`` of the true best. This is the two one-sided tests (TOST) of
  ``|mu_i - mu_best| < delta`` at the family-wise level: the upper side,
  ``mu_i - mu_best < delta``, holds by definition of the best. It takes precedence
  over ``worse``: a configuration resolved worse by less than the margin is as good
  as the best for the user's purpose (the table still shows the difference);
- ``better`` (the chosen configuration only): every other configuration is worse;
- ``unresolved``: none of these.

P(improvement), the probability that the best beats a configuration on a new seed, is
counted on the test set, which did not take part in the choice (validation counts are
biased: 0.58 under the null, not 0.5). Its exact interval treats ties honestly: the
lower bound is Clopper-Pearson's for the strict wins, the upper one for wins plus
ties, so it covers ``P(win) + P(tie) / 2`` whatever the ties would have been.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

COMPARISONS = ("better", "worse", "equivalent", "unresolved", "not tested")
# quadrature of `dunnett_probability`: Gauss-Hermite nodes over the shared normal; over
# the chi scale, midpoints in v with probability u = v**3, dense where S is small (the
# tail that small alphas live in)
_HERMITE = np.polynomial.hermite_e.hermegauss(96)
_V = (np.arange(2048) + 0.5) / 2048
_CHI_POINTS, _CHI_WEIGHTS = _V**3, 3 * _V**2 / len(_V)


def dunnett_probability(d: float, k: int, df: float) -> float:
    """P(max of k one-sided Dunnett statistics <= d): equicorrelated (rho = 1/2) t's on `df`.

    With ``T_j = (Y_j - Y_0) / (sqrt(2) S)``, ``Y`` independent standard normals and ``S``
    a chi scale on `df` degrees of freedom, this is ``E[Phi(Y_0 + sqrt(2) d S)^k]``.
    """
    nodes, weights = _HERMITE
    if np.isfinite(df):
        scale, chi_weights = np.sqrt(stats.chi2.ppf(_CHI_POINTS, df) / df), _CHI_WEIGHTS
    else:
        scale, chi_weights = np.ones(1), np.ones(1)
    inner = special.ndtr(nodes[None, :] + np.sqrt(2) * d * scale[:, None]) ** k
    return float(chi_weights @ (inner @ weights) / np.sqrt(2 * np.pi))


@lru_cache(maxsize=256)
def dunnett_quantile(k: int, df: float, alpha: float) -> float:
    """One-sided Dunnett critical value for `k` comparisons at level `alpha` on `df`.

    With ``k = 1`` it is the t quantile ``t_{1 - alpha, df}``. The root is bracketed
    and checked: a value whose probability misses ``1 - alpha`` by more than 1e-6 raises.
    """
    if k < 1 or not df > 0:
        return np.nan

    def gap(d: float) -> float:
        return dunnett_probability(d, k, df) - (1 - alpha)

    high = 4.0
    while gap(high) < 0 and high < 1e6:  # heavy tails (df 1-2, tiny alpha) reach far
        high *= 4
    d = optimize.brentq(gap, 0.0, high, xtol=1e-10)
    if abs(gap(d)) > 1e-6:
        raise ArithmeticError(f"Dunnett quantile for k={k}, df={df}, alpha={alpha} not found")
    return d


def mcb(scores: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Hsu's constrained MCB intervals of every configuration, the seed as block.

    Parameters
    ----------
    scores : columns ``config`` (any hashable label), ``seed`` and ``score`` (finite).
    alpha : family-wise level of the simultaneous intervals.

    Returns
    -------
    Indexed by ``config``: ``effect`` (seed-adjusted mean), ``mcb_low``, ``mcb_high``
    (interval of ``mu_i - max_{j != i} mu_j``), ``mcb_raw_high`` (its upper bound before
    clipping at 0: negative means resolved worse), ``mcb_df``, ``mcb_d`` (critical value),
    ``mcb_sigma`` (pooled run-noise sd). NaN bounds when no residual degree of freedom
    is left (one seed) or fewer than two configurations.
    """
    configs = pd.Index(sorted(scores["config"].unique(), key=str))
    seeds = pd.Index(sorted(scores["seed"].unique()))
    k, n = len(configs), len(scores)
    df = n - k - len(seeds) + 1
    out = pd.DataFrame(index=configs.rename("config"))
    effect, cov, sigma = _additive_fit(scores, configs, seeds, df)
    out["effect"] = effect
    if k < 2 or df < 1:
        return out.assign(mcb_low=np.nan, mcb_high=np.nan, mcb_raw_high=np.nan,
                          mcb_df=float(max(df, 0)), mcb_d=np.nan, mcb_sigma=sigma)  # fmt: skip
    d = dunnett_quantile(k - 1, float(df), alpha)
    diff = effect[:, None] - effect[None, :]
    var = np.diag(cov)
    se = np.sqrt(np.maximum(var[:, None] + var[None, :] - 2 * cov, 0.0))
    off = ~np.eye(k, dtype=bool)
    raw_high = np.where(off, diff + d * se, np.inf).min(axis=1)
    contenders = raw_high > 0
    low_terms = np.where(off & contenders[None, :], diff - d * se, np.inf).min(axis=1)
    alone = contenders & (contenders.sum() == 1)
    out["mcb_low"] = np.where(alone, 0.0, np.minimum(0.0, low_terms))
    out["mcb_high"] = np.maximum(0.0, raw_high)
    out["mcb_raw_high"] = raw_high
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
    return beta[: len(configs)], cov, sigma


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
    worse = table["mcb_raw_high"] < 0
    equivalent = table["mcb_low"] > -margin
    claim = np.select([equivalent, worse], ["equivalent", "worse"], default="unresolved")
    claim = pd.Series(claim, index=table.index)
    others = table.index != best
    claim[best] = "better" if worse[others].all() else "unresolved"
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
