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
    sd_interval,
    seeds_needed,
    shrunk_differences,
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


def _simulated_power(effect: float, n: int, alpha: float, studies: int, rng) -> float:
    """Share of simulated paired studies (differences ~ N(effect, 1)) a t-test rejects."""
    diffs = rng.normal(effect, 1.0, size=(studies, n))
    t = diffs.mean(axis=1) / (diffs.std(axis=1, ddof=1) / math.sqrt(n))
    return float(np.mean(2 * stats.t.sf(np.abs(t), n - 1) < alpha))


@pytest.mark.parametrize("alpha", [0.05, 0.05 / 15, 0.05 / 100])
def test_detectable_effect_has_its_power_by_monte_carlo(alpha):
    # n = 2..10 down to alpha/m = 0.05/100: the root's power is 80 % within 4 Monte
    # Carlo standard errors (0.025 at 4,000 studies), where statsmodels' solver
    # returned roots with a third of that power
    rng = np.random.default_rng(20)
    for n in range(2, 11):
        effect = detectable_effect(n, alpha)
        assert ttest_power(np.array(effect), np.array(n), alpha) == pytest.approx(0.8, abs=1e-6)
        assert _simulated_power(effect, n, alpha, 4000, rng) == pytest.approx(0.8, abs=0.025)


def test_known_wrong_root_is_gone():
    # n = 3 at Holm's strictest level over 15 comparisons: the exact d is 12.7, not 5.5
    assert detectable_effect(3, 0.05 / 15) == pytest.approx(12.68, abs=0.01)


@pytest.mark.parametrize("n, m, effect", [(3, 35, 4.0), (4, 20, 2.5), (5, 5, 1.5), (3, 10, 8.0)])
def test_power_where_the_lower_tail_was_nan_matches_monte_carlo(n, m, effect):
    # scipy's noncentral-t cdf is NaN far in the lower tail here; the power must still
    # be exact (no normal fallback), checked against 20,000 simulated studies
    rng = np.random.default_rng(n * 100 + m)
    exact = float(ttest_power(np.array(effect), np.array(n), 0.05 / m))
    assert np.isfinite(exact)
    assert _simulated_power(effect, n, 0.05 / m, 20000, rng) == pytest.approx(exact, abs=0.012)


@pytest.mark.parametrize("n", [3, 5])
def test_sd_interval_covers_the_true_spread(n):
    rng = np.random.default_rng(n)
    sd = rng.normal(0.0, 2.0, size=(20000, n)).std(axis=1, ddof=1)
    low, high = sd_interval(sd, np.full(sd.shape, n))
    assert np.mean((low <= 2.0) & (high >= 2.0)) == pytest.approx(0.95, abs=0.006)
    low3, high3 = sd_interval(np.array([1.0]), np.array([3]))  # 2 df: about x0.52 to x6.3
    assert low3[0] == pytest.approx(0.52, abs=0.01) and high3[0] == pytest.approx(6.28, abs=0.05)


def test_shrunk_differences_pull_noise_to_zero_and_keep_real_gaps():
    rng = np.random.default_rng(5)
    se = np.full(24, 0.002)
    noise = np.abs(rng.normal(0, 0.002, 24))  # gaps to a best chosen from noise alone
    assert np.all(shrunk_differences(noise, se) <= noise)
    assert np.mean(shrunk_differences(noise, se)) < 0.5 * np.mean(noise)
    real = 0.05 + rng.normal(0, 0.002, 24)  # real gaps dwarf the noise: barely moved
    assert shrunk_differences(real, se) == pytest.approx(real, rel=0.01)
    assert np.isnan(shrunk_differences([np.nan], [0.1])).all()


def test_leaderboard_plans_seeds_as_a_range():
    rng = np.random.default_rng(3)
    runs = [
        final_accuracy_run(0.97 - 0.004 * i + rng.normal(0, 0.002), activation=act, seed=seed)
        for i, act in enumerate(["relu", "tanh", "gelu", "sigmoid"])
        for seed in range(3)
    ]
    board = leaderboard(per_run(study(*runs)))
    others = board[~board["is_best"] & board["tested"]]
    assert (others["seeds_needed_low"] <= others["seeds_needed_high"]).all()
    assert (others["mdd_low"] < others["mdd"]).all() and (others["mdd"] < others["mdd_high"]).all()
    assert (others["diff_shrunk"].abs() <= others["diff_from_best"].abs() + 1e-12).all()
