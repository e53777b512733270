"""Hsu's comparisons with the best, equivalence and P(improvement): known answers, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ablation.stats.best import (
    comparisons,
    improvement_interval,
    mcb,
    pairwise_quantile,
    tost_p,
)


@pytest.mark.parametrize("df", [2, 3, 5, 46])
def test_two_means_need_the_two_sided_t_quantile(df):
    assert pairwise_quantile(2, df, 0.05) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-6)


@pytest.mark.parametrize(("k", "df"), [(24, 46), (5, 2)])
def test_pairwise_quantile_covers_every_difference_at_once(rng, k, df):
    c = pairwise_quantile(k, df, 0.05)
    y = rng.standard_normal((50_000, k))
    scale = np.sqrt(rng.chisquare(df, 50_000) / df)
    widest = (y.max(axis=1) - y.min(axis=1)) / np.sqrt(2) / scale
    assert (widest <= c).mean() == pytest.approx(0.95, abs=3 * np.sqrt(0.95 * 0.05 / 50_000))


def _scores(means: dict[str, float], noise: np.ndarray, seed_effect: np.ndarray):
    rows = [
        {"config": c, "seed": s, "score": m + seed_effect[s] + noise[i, s]}
        for i, (c, m) in enumerate(means.items())
        for s in range(noise.shape[1])
    ]
    return pd.DataFrame(rows)


def test_mcb_balanced_equals_the_closed_form(rng):
    means = {"a": 0.98, "b": 0.979, "c": 0.95}
    noise, seeds = rng.normal(0, 0.002, (3, 4)), rng.normal(0, 0.01, 4)
    scores = _scores(means, noise, seeds)
    table = mcb(scores, alpha=0.05)
    wide = scores.pivot(index="seed", columns="config", values="score")
    resid = wide - wide.mean() - wide.mean(axis=1).to_numpy()[:, None] + wide.to_numpy().mean()
    sigma = np.sqrt((resid.to_numpy() ** 2).sum() / ((3 - 1) * (4 - 1)))
    assert table["mcb_sigma"].iloc[0] == pytest.approx(sigma)
    assert table["mcb_df"].iloc[0] == 6
    c = pairwise_quantile(3, 6, 0.05)
    m = wide.mean()
    # each configuration's own residual variance on its share (6 / 3) of the df, never
    # below the pooled one
    own = (resid**2).sum() / 2
    f = np.maximum(own / sigma**2, 1.0)

    def se(i, j):
        return sigma * np.sqrt(2 / 4) * np.sqrt((f[i] + f[j]) / 2)

    high_c = min(m["c"] - m["a"] + c * se("c", "a"), m["c"] - m["b"] + c * se("c", "b"))
    low_a = min(m["a"] - m["b"] - c * se("a", "b"), m["a"] - m["c"] - c * se("a", "c"))
    assert table.loc["c", "mcb_high"] == pytest.approx(high_c)
    assert table.loc["a", "mcb_low"] == pytest.approx(low_a)
    # seed effects cancel: the seed is the block
    shifted = mcb(_scores(means, noise, seeds + 0.05), alpha=0.05)
    np.testing.assert_allclose(shifted["mcb_low"], table["mcb_low"], atol=1e-12)


def test_claims_better_worse_equivalent_unresolved(rng):
    noise = rng.normal(0, 0.0005, (4, 5))
    means = {"best": 0.980, "twin": 0.9799, "far": 0.95, "near": 0.978}
    table = mcb(_scores(means, noise, np.zeros(5)), alpha=0.05)
    claim = comparisons(table, "best", margin=0.001)
    assert claim["far"] == "worse" and claim["twin"] == "equivalent"
    assert claim["near"] == "worse"  # resolved 0.2 pp worse: beyond the 0.1 pp margin
    assert comparisons(table, "best", margin=0.005)["near"] == "equivalent"
    assert claim["best"] == "unresolved"  # the twin may be the better one
    alone = mcb(_scores({"best": 0.98, "far": 0.95}, noise[:2], np.zeros(5)))
    assert comparisons(alone, "best", 0.001)["best"] == "better"


def test_one_seed_is_not_tested():
    scores = pd.DataFrame({"config": ["a", "b"], "seed": [0, 0], "score": [0.9, 0.8]})
    table = mcb(scores)
    assert table["mcb_low"].isna().all()
    assert set(comparisons(table, "a", 0.005)) == {"not tested"}


def test_tost_p_known_values():
    # mean 0, se 1, margin 2, df 10: both one-sided p are t.sf(2, 10)
    assert tost_p(0.0, 1.0, 10, 2.0) == pytest.approx(stats.t.sf(2.0, 10))
    assert tost_p(1.5, 0.1, 10, 1.0) > 0.5  # outside the margin: not equivalent


def test_improvement_interval_counts_ties_both_ways():
    estimate, low, high = improvement_interval([2], [1], [4], 0.95)
    assert estimate[0] == 0.625
    assert low[0] == pytest.approx(stats.beta.ppf(0.025, 2, 3))  # 2 wins of 4
    assert high[0] == pytest.approx(stats.beta.ppf(0.975, 4, 1))  # 3 wins of 4
    no_ties = improvement_interval([3], [0], [4], 0.95)
    exact = stats.binomtest(3, 4).proportion_ci(0.95, method="exact")
    assert (no_ties[1][0], no_ties[2][0]) == pytest.approx((exact.low, exact.high))
    assert np.isnan(improvement_interval([0], [0], [0])[0][0])
