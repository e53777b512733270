from __future__ import annotations

import math

import pandas as pd
import pytest

from ablation.aggregate import config_summary, milestone_wide, run_summary


def make_run(seed, test_acc, val_loss, train_acc=1.0, activation="relu", status="completed"):
    """A hand-built run with milestones 1, 2, 3: test accuracy and validation loss per epoch."""
    run_id = f"activation={activation}/seed={seed}"
    rows = []
    for i, epoch in enumerate((1, 2, 3)):
        common = dict(
            run_id=run_id,
            activation=activation,
            optimizer="adam",
            weight_decay=0.0,
            dropout=0.0,
            seed=seed,
            epoch=epoch,
            status=status,
            diverged_epoch=None,
            train_seconds=float(epoch),
            train_cpu_seconds=0.9 * epoch,
        )
        rows += [
            dict(common, split="train_running", loss=1.0 / epoch, accuracy=None),
            dict(common, split="train", loss=0.1, accuracy=train_acc),
            dict(common, split="validation", loss=val_loss[i], accuracy=0.9),
            dict(common, split="test", loss=0.2, accuracy=test_acc[i]),
        ]
    return rows


@pytest.fixture
def metrics():
    rows = make_run(0, [0.90, 0.95, 0.93], [0.3, 0.2, 0.25])
    rows += make_run(1, [0.91, 0.94, 0.97], [0.3, 0.25, 0.2])
    rows += make_run(0, [0.5, 0.6, 0.7], [0.9, 0.8, 0.7], activation="sigmoid")
    return pd.DataFrame(rows)


def test_milestone_wide_has_one_row_per_run_and_epoch(metrics):
    wide = milestone_wide(metrics)
    assert len(wide) == 3 * 3
    assert {"test_accuracy", "validation_loss", "train_accuracy"} <= set(wide.columns)


def test_run_summary_known_values(metrics):
    runs = run_summary(metrics).set_index("run_id")
    first = runs.loc["activation=relu/seed=0"]
    assert first["final_epoch"] == 3
    assert first["final_test_accuracy"] == 0.93
    assert first["best_test_accuracy"] == 0.95
    assert first["best_val_epoch"] == 2
    assert first["test_accuracy_at_best_val"] == 0.95
    assert first["final_gap"] == pytest.approx(1.0 - 0.93)
    assert first["train_seconds"] == 3.0
    assert runs.loc["activation=relu/seed=1", "best_val_epoch"] == 3


def test_config_summary_means_over_seeds(metrics):
    summary = config_summary(run_summary(metrics))
    assert summary["activation"].tolist() == ["relu", "sigmoid"]  # best first
    relu = summary.iloc[0]
    assert relu["n_seeds"] == 2
    assert relu["final_test_accuracy_mean"] == pytest.approx(0.95)
    assert relu["best_val_epoch_mean"] == pytest.approx(2.5)
    assert math.isnan(summary.iloc[1]["final_test_accuracy_std"])  # one seed: no spread


def test_no_validation_split_gives_no_best_epoch(metrics):
    runs = run_summary(metrics[metrics["split"] != "validation"])
    assert runs["best_val_epoch"].isna().all()
