"""Leaderboard, paired tests against the best and Holm's correction, on known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ablation.stats import holm, leaderboard, paired_p
from ablation.stats.compare import DIVERGED_SCORE
from stats_helpers import curve_run, final_accuracy_run, per_run, study


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
    from synthetic import run_metrics

    metrics = _runs({("relu", "adam"): [0.98, 0.97], ("tanh", "adam"): [0.95]})
    # tanh seed 1 diverged in its first epoch: no milestone, and it scores the lowest
    blown = run_metrics(
        activation="tanh", seed=1, running_loss=[np.inf], milestones=[], train=([], []),
        test=([], []), validation=([], []), status="diverged", diverged_epoch=1,
    )  # fmt: skip
    board = leaderboard(per_run(study(metrics, blown))).set_index("activation")
    assert board.loc["tanh", "n_diverged"] == 1 and board.loc["tanh", "n"] == 2
    assert board.loc["tanh", "mean"] == pytest.approx((0.95 + DIVERGED_SCORE) / 2)
    assert board.loc["relu", "n_diverged"] == 0


def test_a_run_that_diverged_late_never_keeps_its_last_finite_score():
    # tanh beats relu on every finite milestone, but one of its three seeds diverged
    # after them: it must rank below the configuration that always delivered
    runs = [_val_test_run(0.97, 0.97, activation="relu", seed=s) for s in range(3)]
    runs += [_val_test_run(0.99, 0.99, activation="tanh", seed=s) for s in range(3)]
    metrics = study(*runs)
    late = (metrics["activation"] == "tanh") & (metrics["seed"] == 2)
    metrics.loc[late, "status"] = "diverged"
    board = leaderboard(per_run(metrics))
    assert board.iloc[0]["activation"] == "relu"
    tanh = board.set_index("activation").loc["tanh"]
    assert tanh["n_diverged"] == 1 and tanh["mean"] == pytest.approx(0.99 * 2 / 3)


def _val_test_run(val_acc: float, test_acc: float, **cell):
    """A two-milestone run whose final validation and test accuracies are given."""
    from synthetic import run_metrics

    return run_metrics(
        **cell, running_loss=[0.5, 0.2], milestones=[1, 2], train=([0.3, 0.1], [0.9, 0.99]),
        validation=([0.3, 0.2], [0.5, val_acc]), test=([0.3, 0.2], [0.5, test_acc]),
    )  # fmt: skip


def test_selection_is_on_validation_and_the_estimate_is_test():
    # validation prefers relu (by 1 pp every seed); test prefers tanh (by 2 pp every seed)
    runs = [
        _val_test_run(val, test, activation=act, seed=seed)
        for seed in range(3)
        for act, val, test in [("relu", 0.97 + seed / 1e3, 0.95), ("tanh", 0.96 + seed / 1e3, 0.97)]
    ]  # fmt: skip
    board = leaderboard(per_run(study(*runs))).set_index("activation")
    assert board.loc["relu", "rank"] == 1 and board.loc["relu", "is_best"]
    assert board.loc["relu", "test_rank"] == 2 and board.loc["tanh", "test_rank"] == 1
    assert board.loc["relu", "mean"] == pytest.approx(0.95)  # reported: its test accuracy
    assert board.loc["relu", "selection_mean"] == pytest.approx(0.971)
    assert board.loc["tanh", "diff_from_best"] == pytest.approx(0.01)  # on validation
    assert board.loc["tanh", "test_diff_from_best"] == pytest.approx(-0.02)
    assert (board["selected_on"] == "validation").all()
    assert not board.loc["tanh", "indistinguishable_from_best"]  # p = 0: same gap every seed


def test_early_stopping_view_selects_on_validation_at_the_best_epoch():
    from synthetic import run_metrics

    def run(act, seed, val_acc, test_acc):
        # validation loss lowest at epoch 1: early stopping keeps epoch 1's numbers
        return run_metrics(
            activation=act, seed=seed, running_loss=[0.5, 0.2], milestones=[1, 2],
            train=([0.3, 0.1], [0.9, 0.99]), validation=([0.1, 0.2], [val_acc, 0.9]),
            test=([0.1, 0.2], [test_acc, 0.9]),
        )  # fmt: skip

    runs = [run("relu", s, 0.95, 0.93) for s in range(2)] + [
        run("tanh", s, 0.94, 0.96) for s in range(2)
    ]
    board = leaderboard(per_run(study(*runs)), view="early_stopping").set_index("activation")
    assert board.loc["relu", "is_best"] and board.loc["relu", "mean"] == pytest.approx(0.93)
    assert (board["view"] == "early_stopping").all()


def test_without_validation_selection_falls_back_to_test_and_says_so():
    metrics = study(
        *(curve_run(None, activation=a, seed=s) for a in ("relu", "tanh") for s in range(2))
    )
    board = leaderboard(per_run(metrics))
    assert (board["selected_on"] == "test (optimistic)").all()
    assert board["selection_mean"].tolist() == board["mean"].tolist()


def test_one_leaderboard_per_dataset():
    import pandas as pd

    tables = []
    for dataset, best in [("mnist", "relu"), ("fashion_mnist", "tanh")]:
        runs = [
            final_accuracy_run(
                (0.98 if act == best else 0.90) - 0.1 * (dataset != "mnist") + seed / 1000,
                activation=act,
                seed=seed,
            )  # fmt: skip
            for act in ("relu", "tanh")
            for seed in range(2)
        ]
        tables.append(per_run(study(*runs)).assign(dataset=dataset))
    board = leaderboard(pd.concat(tables, ignore_index=True))
    assert "dataset" in board and len(board) == 4
    best = board[board["is_best"]].set_index("dataset")["activation"]
    assert best.to_dict() == {"fashion_mnist": "tanh", "mnist": "relu"}
    assert board.groupby("dataset")["rank"].apply(list).tolist() == [[1, 2], [1, 2]]


def test_one_seed_is_not_tested():
    metrics = _runs({("relu", "adam"): [0.98], ("tanh", "adam"): [0.90]})
    board = leaderboard(per_run(metrics))
    assert not board["tested"].any()
    assert board["mdd"].isna().all() and board["seeds_needed"].isna().all()
