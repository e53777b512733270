"""Statistics over seeds: t-intervals, one-seed configurations, milestones, best validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation.stats import describe, milestone_gaps, seed_summary, t_interval
from stats_helpers import curve_run, per_run, study


def test_t_interval_matches_the_t_table():
    # values 1, 2, 3: mean 2, sd 1; t(0.975, df=2) = 4.3027 from any t table
    low, high = t_interval([2.0], [1.0], [3], confidence=0.95)
    assert low[0] == pytest.approx(2 - 4.3027 / np.sqrt(3), abs=1e-4)
    assert high[0] == pytest.approx(2 + 4.3027 / np.sqrt(3), abs=1e-4)


def test_wider_confidence_gives_wider_interval():
    narrow = t_interval([0.0], [1.0], [5], confidence=0.8)
    wide = t_interval([0.0], [1.0], [5], confidence=0.99)
    assert wide[0][0] < narrow[0][0] < 0 < narrow[1][0] < wide[1][0]


def test_identical_seeds_give_zero_width_interval():
    frame = pd.DataFrame({"g": ["a"] * 3, "value": [0.9812] * 3})
    row = describe(frame, ["g"]).iloc[0]
    assert row["n"] == 3 and row["std"] == 0.0 and row["has_interval"]
    assert row["ci_low"] == row["ci_high"] == pytest.approx(0.9812)


def test_one_seed_has_no_interval_but_is_kept():
    frame = pd.DataFrame({"g": ["a", "b", "b"], "value": [0.5, 0.6, 0.8]})
    out = describe(frame, ["g"]).set_index("g")
    assert out.loc["a", "n"] == 1 and out.loc["a", "mean"] == 0.5
    assert not out.loc["a", "has_interval"]
    assert np.isnan(out.loc["a", "ci_low"]) and np.isnan(out.loc["a", "ci_high"])
    assert out.loc["b", "has_interval"] and out.loc["b", "ci_low"] < 0.7 < out.loc["b", "ci_high"]


def test_non_finite_values_do_not_count():
    frame = pd.DataFrame({"g": ["a"] * 4, "value": [1.0, 3.0, np.inf, np.nan]})
    row = describe(frame, ["g"]).iloc[0]
    assert row["n"] == 2 and row["mean"] == 2.0


def test_seed_summary_at_milestones_and_at_best_validation():
    val = [0.5, 0.3, 0.2, 0.1, 0.15, 0.2]  # lowest at epoch 10 (4th milestone)
    acc = [0.80, 0.90, 0.93, 0.96, 0.95, 0.94]
    metrics = study(
        curve_run(val, test_accuracy=acc, seed=0),
        curve_run(val, test_accuracy=[a + 0.01 for a in acc], seed=1),
        curve_run(val, test_accuracy=acc, seed=0, activation="tanh"),
    )
    summary = seed_summary(milestone_gaps(metrics), per_run(metrics))
    relu = summary[summary["activation"] == "relu"]
    at10 = relu[(relu["epoch"] == 10) & (relu["metric"] == "test_accuracy")].iloc[0]
    assert at10["point"] == "milestone" and at10["n"] == 2 and at10["n_runs"] == 2
    assert at10["mean"] == pytest.approx(0.965)
    assert at10["std"] == pytest.approx(np.std([0.96, 0.97], ddof=1))
    best = relu[relu["point"] == "best_validation"].set_index("metric")
    assert best["epoch"].isna().all()
    assert best.loc["epoch", "mean"] == 10 and best.loc["epoch", "std"] == 0
    assert best.loc["test_accuracy", "mean"] == pytest.approx(0.965)
    assert best.loc["test_loss", "mean"] == pytest.approx(0.1)
    tanh = summary[summary["activation"] == "tanh"]
    assert not tanh["has_interval"].any() and tanh["ci_low"].isna().all()
    assert set(tanh["n"]) == {1}
    gap = relu[(relu["epoch"] == 30) & (relu["metric"] == "gap_accuracy_test")].iloc[0]
    assert gap["mean"] == pytest.approx(0.99 - 0.945)


def test_seed_summary_without_validation_split():
    metrics = study(curve_run(None, seed=0), curve_run(None, seed=1))
    summary = seed_summary(milestone_gaps(metrics), per_run(metrics))
    assert set(summary["point"]) == {"milestone"}
    val_gap = summary[summary["metric"] == "gap_loss_validation"]
    assert (val_gap["n"] == 0).all() and (val_gap["n_runs"] == 2).all()
    test_gap = summary[summary["metric"] == "gap_loss_test"]
    assert (test_gap["n"] == 2).all()
