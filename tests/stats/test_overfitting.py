"""Gaps, overfitting onset, verdicts and the paired effect of regularization, on built curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation.stats import (
    config_overfitting,
    milestone_gaps,
    overfitting_onset,
    regularization_effects,
    regularization_pairs,
)
from stats_helpers import curve_run, per_run, study
from synthetic import run_metrics

FALLING = [0.5, 0.3, 0.2, 0.1, 0.05, 0.02]  # training loss at milestones 1, 2, 3, 10, 20, 30


def one(metrics: pd.DataFrame, **thresholds) -> pd.Series:
    table = per_run(metrics, **thresholds)
    assert len(table) == 1
    return table.iloc[0]


def test_onset_at_epoch_10_by_construction():
    run = one(curve_run([0.5, 0.3, 0.2, 0.1, 0.15, 0.2], FALLING))
    assert run["onset_epoch"] == 10 and run["onset_detected_epoch"] == 20
    assert run["verdict"] == "overfitting" and "epoch 10" in run["reason"]
    assert run["best_val_epoch"] == 10
    assert run["final_val_loss_rise"] == pytest.approx(1.0)  # 0.2 / 0.1 - 1


def test_rise_within_tolerance_is_no_onset():
    val = [0.5, 0.3, 0.2, 0.1, 0.102, 0.104]  # +2 %, then +4 %: both < 5 %
    run = one(curve_run(val, FALLING), onset_tolerance=0.05)
    assert pd.isna(run["onset_epoch"]) and run["verdict"] == "good fit"
    strict = one(curve_run(val, FALLING), onset_tolerance=0.03)
    assert strict["onset_epoch"] == 10 and strict["onset_detected_epoch"] == 30


def test_rise_with_training_loss_rising_too_is_no_onset():
    val = [0.5, 0.3, 0.2, 0.1, 0.15, 0.2]
    train = [0.5, 0.3, 0.2, 0.05, 0.06, 0.07]  # training got worse as well: not overfitting
    assert pd.isna(one(curve_run(val, train))["onset_epoch"])


def test_onset_is_the_running_minimum_before_the_first_real_rise():
    # a blip inside the tolerance at 20, a new minimum at 30, then a real rise at 50
    milestones = (1, 10, 20, 30, 40, 50)
    val = [0.5, 0.10, 0.104, 0.09, 0.093, 0.2]
    train = [0.5, 0.1, 0.08, 0.06, 0.05, 0.04]
    gaps = milestone_gaps(curve_run(val, train, milestones=milestones))
    onset = overfitting_onset(gaps, tolerance=0.05).iloc[0]
    assert onset["onset_epoch"] == 30 and onset["onset_detected_epoch"] == 50


def test_onsets_of_many_runs_at_once():
    metrics = study(
        curve_run([0.5, 0.3, 0.2, 0.1, 0.15, 0.2], FALLING, seed=0),
        curve_run([0.5, 0.3, 0.4, 0.1, 0.08, 0.07], FALLING, seed=1),  # rise at epoch 3
        curve_run([0.5, 0.3, 0.2, 0.1, 0.08, 0.07], FALLING, seed=2),  # never rises
    )
    rises = overfitting_onset(milestone_gaps(metrics)).set_index("run_id")
    assert rises["onset_epoch"].dropna().tolist() == [10]  # seed 0
    # seed 1 rose at epoch 3 and came back below: a noisy rise, not an onset
    assert rises["noisy_rise_epoch"].dropna().tolist() == [3]
    assert len(rises) == 2


# The issue's example: relu / adam / wd 1e-4 / dropout 0.2, seed 1 of the default study.
PLATEAU_EPOCHS = (1, 2, 3, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
PLATEAU_VAL = [0.30, 0.20, 0.15, 0.08, 0.066, 0.0625, 0.0611, 0.0671, 0.0591, 0.0600, 0.0612,
               0.0591, 0.0591]  # fmt: skip
PLATEAU_TRAIN = np.geomspace(0.3, 0.001, len(PLATEAU_EPOCHS))


def test_noisy_plateau_of_the_issue_is_not_overfitting():
    run = one(curve_run(PLATEAU_VAL, PLATEAU_TRAIN, milestones=PLATEAU_EPOCHS))
    assert run["best_val_epoch"] == 60  # lowest at 60 (again at 90 and 100)
    assert pd.isna(run["onset_epoch"]) and run["noisy_rise_epoch"] == 50
    assert run["verdict"] == "noisy plateau"
    assert "epoch 50" in run["reason"] and "epoch 60" in run["reason"]


def test_sustained_rise_by_trend_although_the_last_milestone_is_in_band():
    # lowest (0.100) at 20; above the 5 % band only at 40; the last value (0.104) back in
    # the band, but the later milestones rise steadily: Kendall's test confirms the rise
    milestones = (1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    after = [0.101, 0.1065, 0.102, 0.1025, 0.103, 0.1033, 0.1036, 0.104]
    train = np.geomspace(0.5, 0.01, len(milestones))
    run = one(curve_run([0.5, 0.2, 0.100, *after], train, milestones=milestones))
    assert run["onset_epoch"] == 20 and run["onset_detected_epoch"] == 40
    assert run["verdict"] == "overfitting" and run["best_val_epoch"] == 20
    # the same values in an order without a trend: the rise came back, a noisy plateau
    shuffled = [0.104, 0.1065, 0.1033, 0.102, 0.1036, 0.101, 0.103, 0.1025]
    noisy = one(curve_run([0.5, 0.2, 0.100, *shuffled], train, milestones=milestones))
    assert noisy["verdict"] == "noisy plateau" and pd.isna(noisy["onset_epoch"])


def test_verdict_never_contradicts_the_best_validation_epoch(rng):
    runs = []
    for seed in range(30):
        val = 0.06 + 0.5 / np.asarray(PLATEAU_EPOCHS) + rng.normal(0, 0.004, len(PLATEAU_EPOCHS))
        runs.append(curve_run(val, PLATEAU_TRAIN, milestones=PLATEAU_EPOCHS, seed=seed))
    table = per_run(study(*runs))
    over = table[table["verdict"] == "overfitting"]
    assert (over["onset_epoch"] == over["best_val_epoch"]).all()
    assert (table["verdict"] == "noisy plateau").any()


def test_early_stopping_numbers():
    acc = [0.80, 0.90, 0.93, 0.96, 0.95, 0.94]
    run = one(curve_run([0.5, 0.3, 0.2, 0.1, 0.15, 0.2], FALLING, test_accuracy=acc))
    assert run["test_accuracy_at_best_val"] == 0.96 and run["final_test_accuracy"] == 0.94
    assert run["early_stopping_gain"] == pytest.approx(0.02)
    assert run["test_loss_at_best_val"] == pytest.approx(0.1)
    assert run["final_gap_accuracy"] == pytest.approx(0.99 - 0.94)
    assert run["final_gap_loss"] == pytest.approx(0.2 - 0.02)


def test_gaps_have_the_documented_signs():
    gaps = milestone_gaps(curve_run([0.5, 0.3, 0.2, 0.1, 0.15, 0.2], FALLING, train_accuracy=0.99))
    last = gaps[gaps["epoch"] == 30].iloc[0]
    assert last["gap_loss_validation"] == pytest.approx(0.2 - 0.02)
    assert last["gap_accuracy_validation"] == pytest.approx(0.99 - 0.97)
    assert last["gap_accuracy_test"] == pytest.approx(0.99 - 0.97)


def test_underfitting_verdict_uses_the_threshold():
    curves = curve_run([0.5, 0.3, 0.2, 0.1, 0.15, 0.2], FALLING, train_accuracy=0.95)
    assert one(curves, underfit_train_accuracy=0.97)["verdict"] == "underfitting"
    assert one(curves, underfit_train_accuracy=0.90)["verdict"] == "overfitting"


def test_no_validation_split_is_not_available_not_test_based():
    run = one(curve_run(None, FALLING))
    assert not run["validation_available"] and run["verdict"] == "not available"
    assert pd.isna(run["best_val_epoch"]) and pd.isna(run["onset_epoch"])
    assert np.isnan(run["test_accuracy_at_best_val"]) and np.isnan(run["early_stopping_gain"])
    assert run["final_test_accuracy"] == 0.97  # test numbers are still reported


def test_diverged_runs_appear_with_their_epoch():
    early = run_metrics(
        seed=0, running_loss=[0.9, np.nan], milestones=[], train=([], []), test=([], []),
        validation=([], []), status="diverged", diverged_epoch=2,
    )  # fmt: skip
    late = run_metrics(
        seed=1, running_loss=[0.9, 0.5, 0.4, np.inf], milestones=[1, 3],
        train=([0.5, 0.3], [0.9, 0.95]), test=([0.5, 0.4], [0.9, 0.93]),
        validation=([0.5, 0.4], [0.9, 0.93]), status="diverged", diverged_epoch=4,
    )  # fmt: skip
    table = per_run(study(early, late)).set_index("seed")
    assert len(table) == 2 and (table["verdict"] == "diverged").all()
    assert "epoch 2" in table.loc[0, "reason"] and "epoch 4" in table.loc[1, "reason"]
    assert np.isnan(table.loc[0, "final_test_accuracy"])
    assert table.loc[1, "final_epoch"] == 3 and table.loc[1, "final_test_accuracy"] == 0.93


def test_config_verdict_is_the_most_common_then_the_most_severe():
    over = [0.5, 0.3, 0.2, 0.1, 0.15, 0.2]
    fine = [0.5, 0.3, 0.2, 0.1, 0.09, 0.08]
    metrics = study(
        curve_run(over, FALLING, seed=0),
        curve_run(over, FALLING, seed=1),
        curve_run(fine, FALLING, seed=2),
        curve_run(over, FALLING, seed=0, activation="tanh"),
        curve_run(fine, FALLING, seed=1, activation="tanh"),
    )
    configs = config_overfitting(per_run(metrics)).set_index("activation")
    assert configs.loc["relu", "verdict"] == "overfitting"
    assert configs.loc["relu", "n_overfitting"] == 2 and configs.loc["relu", "n_good_fit"] == 1
    assert configs.loc["tanh", "verdict"] == "overfitting"  # a tie goes to the more severe
    assert configs.loc["relu", "onset_epoch_median"] == 10


def test_regularization_pairs_match_cell_and_seed():
    over = [0.5, 0.3, 0.2, 0.1, 0.15, 0.2]
    fine = [0.5, 0.3, 0.2, 0.1, 0.09, 0.08]
    runs = []
    for seed in (0, 1):
        runs.append(curve_run(over, FALLING, seed=seed, train_accuracy=0.99))
        runs.append(curve_run(fine, FALLING, seed=seed, train_accuracy=0.98, dropout=0.2))
    pairs = regularization_pairs(per_run(study(*runs)))
    assert set(pairs["regularizer"]) == {"dropout"}  # weight decay has no second level here
    gap = pairs[pairs["metric"] == "final_gap_accuracy"]
    assert len(gap) == 2 and gap["delta"].to_numpy() == pytest.approx([-0.01, -0.01])
    overfits = pairs[pairs["metric"] == "overfits"]
    assert overfits["delta"].tolist() == [-1.0, -1.0]
    assert "onset_epoch" not in set(pairs["metric"])  # the dropout runs have no onset
    effects = regularization_effects(pairs).set_index("metric")
    assert effects.loc["final_gap_accuracy", "mean_delta"] == pytest.approx(-0.01)
    assert effects.loc["final_gap_accuracy", "n_pairs"] == 2
    assert effects.loc["final_gap_accuracy", "p_value"] == 0.0  # the same change for each seed
    assert effects.loc["overfits", "mean_baseline"] == 1.0
