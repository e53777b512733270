"""Seeds needed and probability of improvement, against statsmodels, scipy and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import TTestPower

from ablation.stats import leaderboard
from ablation.stats.power import (
    detectable_effect,
    min_detectable_difference,
    probability_of_improvement,
    seeds_needed,
    ttest_power,
)
from stats_helpers import final_accuracy_run, per_run, study


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_detectable_effect_equals_statsmodels(n):
    expected = TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8)
    assert detectable_effect(n, 0.05) == pytest.approx(expected)
    assert min_detectable_difference([0.002], [n], 0.05)[0] == pytest.approx(0.002 * expected)


def test_power_by_hand_with_the_normal_approximation():
    # large n: t ~ normal, power of d at n is Phi(d sqrt(n) - z_{0.975}) (other tail ~0)
    d, n = 0.2, 400
    by_hand = stats.norm.cdf(d * math.sqrt(n) - 1.959964)  # = Phi(2.04) = 0.979
    assert ttest_power(np.array(d), np.array(n), 0.05) == pytest.approx(by_hand, abs=1e-3)
    assert ttest_power(np.array(d), np.array(n), 0.05) == pytest.approx(
        TTestPower().power(effect_size=d, nobs=n, alpha=0.05)
    )


def test_seeds_needed_is_statsmodels_rounded_up():
    # the last needs 751 seeds: far in the noncentral t's tail, where scipy gives NaN
    diff, sd = np.array([0.001, 0.003, 0.0005, 0.00025]), np.array([0.001, 0.002, 0.002, 0.002])
    expected = [
        math.ceil(TTestPower().solve_power(effect_size=d / s, alpha=0.01, power=0.8))
        for d, s in zip(diff, sd, strict=True)
    ]
    assert seeds_needed(diff, sd, 0.01).tolist() == expected


def test_seeds_needed_by_hand():
    # d = 1 at alpha 0.05: n = 10 gives power 0.803 (t crit 2.262, nc 3.162), n = 9: 0.759
    assert seeds_needed([0.01], [0.01], 0.05)[0] == 10
    assert ttest_power(np.array(1.0), np.array(9), 0.05) < 0.8 < ttest_power(1.0, 10, 0.05)


def test_seeds_needed_edge_cases():
    out = seeds_needed([0.0, 0.01, 0.01, 1e-9], [0.01, 0.0, np.nan, 0.01], 0.05)
    assert out[0] == np.inf  # no difference: no number of seeds resolves it
    assert out[1] == 2  # the same difference on every seed
    assert np.isnan(out[2])  # one pair: no spread known
    assert out[3] == np.inf  # beyond MAX_SEEDS


def test_probability_of_improvement_is_clopper_pearson():
    # 3 wins of 4 seeds: 0.75 and the exact binomial interval
    estimate, low, high = probability_of_improvement([3, 4, 0], [4, 4, 4])
    exact = stats.binomtest(3, 4).proportion_ci(0.95, method="exact")
    assert estimate[0] == 0.75
    assert (low[0], high[0]) == pytest.approx((exact.low, exact.high))
    assert high[1] == 1.0 and low[1] == pytest.approx(0.025 ** (1 / 4))  # 4 of 4: (α/2)^(1/n)
    assert low[2] == 0.0 and estimate[2] == 0.0


def test_leaderboard_probability_of_improvement_on_constructed_seeds():
    # best - other per seed: +1, +1, -1, 0 (pp): 2 wins, 1 loss, 1 tie -> 2.5 / 4
    best = [0.980, 0.981, 0.970, 0.975]
    other = [0.970, 0.971, 0.980, 0.975]
    runs = [final_accuracy_run(a, activation="relu", seed=s) for s, a in enumerate(best)]
    runs += [final_accuracy_run(a, activation="tanh", seed=s) for s, a in enumerate(other)]
    row = leaderboard(per_run(study(*runs))).set_index("activation").loc["tanh"]
    assert row["p_improvement"] == pytest.approx(0.625)
    assert row["p_improvement_low"] < 0.625 < row["p_improvement_high"]
    sd = np.std([0.01, 0.01, -0.01, 0.0], ddof=1)
    assert row["diff_std"] == pytest.approx(sd)
    # one comparison: level alpha itself
    assert row["mdd"] == pytest.approx(detectable_effect(4, 0.05) * sd)
    assert row["seeds_needed"] == seeds_needed([0.0025], [sd], 0.05)[0]
