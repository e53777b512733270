"""Leaderboard, paired tests against the best and Holm's correction, on known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ablation.stats import holm, leaderboard, paired_p
from stats_helpers import final_accuracy_run, per_run, study


def test_holm_on_known_p_values():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_skips_missing_p_values():
    adjusted = holm([0.4, np.nan, 0.2])  # m = 2, not 3
    np.testing.assert_allclose(adjusted, [0.4, np.nan, 0.4])
    assert holm([0.9, 0.8])[0] == 1.0


def test_paired_p_equals_scipy_ttest_rel(rng):
    a = rng.normal(0.97, 0.01, 5)
    b = a - rng.normal(0.004, 0.003, 5)
    d = a - b
    expected = stats.ttest_rel(a, b).pvalue
    assert paired_p([d.mean()], [d.std(ddof=1)], [5])[0] == pytest.approx(expected)


def test_paired_p_known_value_and_edge_cases():
    # differences 1, 2, 3: t = 2 / (1 / sqrt 3) = 3.464 on 2 df -> p = 0.0742
    assert paired_p([2.0], [1.0], [3])[0] == pytest.approx(0.0742, abs=1e-4)
    assert paired_p([0.0], [0.0], [3])[0] == 1.0  # identical pairs: no difference at all
    assert paired_p([0.01], [0.0], [3])[0] == 0.0  # the same nonzero difference every seed
    assert np.isnan(paired_p([0.01], [np.nan], [1])[0])


def _runs(accuracies: dict[tuple[str, str], list[float]]):
    return study(
        *(
            final_accuracy_run(acc, activation=act, optimizer=opt, seed=seed)
            for (act, opt), values in accuracies.items()
            for seed, acc in enumerate(values)
        )
    )


def test_constructed_winner_is_best_and_clear_losers_are_distinguishable():
    metrics = _runs(
        {
            ("relu", "adam"): [0.980, 0.982, 0.981, 0.983],  # the winner
            ("tanh", "adam"): [0.9805, 0.9815, 0.9812, 0.9822],  # close, noisy
            ("sigmoid", "sgd"): [0.900, 0.901, 0.902, 0.900],  # far worse
            ("relu", "sgd"): [0.950, 0.953, 0.951, 0.952],  # worse
        }
    )
    board = leaderboard(per_run(metrics)).set_index(["activation", "optimizer"])
    winner = board.loc[("relu", "adam")]
    assert winner["rank"] == 1 and winner["is_best"] and winner["indistinguishable_from_best"]
    assert winner["diff_from_best"] == 0 and np.isnan(winner["p_value"])
    assert winner["mean"] == pytest.approx(0.9815) and winner["n"] == 4
    assert board.loc[("sigmoid", "sgd"), "rank"] == 4
    for loser in [("sigmoid", "sgd"), ("relu", "sgd")]:
        assert board.loc[loser, "p_holm"] < 0.05
        assert not board.loc[loser, "indistinguishable_from_best"]
    close = board.loc[("tanh", "adam")]
    assert close["indistinguishable_from_best"] and close["p_holm"] >= 0.05
    assert close["p_holm"] >= close["p_value"]
    assert board.loc[("relu", "sgd"), "diff_from_best"] == pytest.approx(0.9815 - 0.9515)
    assert board["n_pairs"].tolist() == [4, 4, 4, 4]


def test_pairing_matches_seeds_not_order():
    # the same seed is 0.01 worse every time; unpaired the seed spread would hide that
    metrics = _runs({("relu", "adam"): [0.90, 0.95, 0.99], ("tanh", "adam"): [0.89, 0.94, 0.98]})
    row = leaderboard(per_run(metrics)).set_index("activation").loc["tanh"]
    assert row["diff_from_best"] == pytest.approx(0.01)
    assert row["diff_ci_high"] - row["diff_ci_low"] == pytest.approx(0.0, abs=1e-9)
    assert row["p_value"] < 1e-6


def test_single_seed_study_cannot_test_anything():
    metrics = _runs({("relu", "adam"): [0.98], ("tanh", "adam"): [0.90]})
    board = leaderboard(per_run(metrics))
    assert board["p_value"].isna().all() and not board["has_interval"].any()
    assert board["indistinguishable_from_best"].all()
    assert board["ci_low"].isna().all()


def test_diverged_seed_is_counted():
    from ablation.stats.synthetic import run_metrics

    metrics = _runs({("relu", "adam"): [0.98, 0.97], ("tanh", "adam"): [0.95]})
    # tanh seed 1 diverged in its first epoch: no milestone, no score
    blown = run_metrics(
        activation="tanh", seed=1, running_loss=[np.inf], milestones=[], train=([], []),
        test=([], []), validation=([], []), status="diverged", diverged_epoch=1,
    )  # fmt: skip
    board = leaderboard(per_run(study(metrics, blown))).set_index("activation")
    assert board.loc["tanh", "n_diverged"] == 1 and board.loc["tanh", "n"] == 1
    assert board.loc["relu", "n_diverged"] == 0
