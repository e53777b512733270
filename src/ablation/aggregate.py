"""From the tidy metrics table to one row per run and one row per configuration.

Pure DataFrame-in, DataFrame-out; a configuration is a grid cell without its seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablation.axes import AXES, config_keys


def run_keys(frame: pd.DataFrame) -> list[str]:
    """``run_id`` and every axis column of `frame` (seed last): what names a run."""
    return ["run_id", *(axis for axis in AXES if axis in frame.columns)]


def milestone_wide(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, milestone epoch) with `<split>_loss` and `<split>_accuracy` columns."""
    keys = run_keys(metrics)
    measured = metrics[metrics["split"] != "train_running"]
    wide = measured.set_index(["run_id", "epoch", "split"])[["loss", "accuracy"]].unstack("split")
    wide.columns = [f"{split}_{value}" for value, split in wide.columns]
    # A run that diverged before its first milestone has no rows: keep the columns anyway.
    measured_columns = [f"{s}_{v}" for s in ("train", "test") for v in ("loss", "accuracy")]
    wide = wide.reindex(columns=[*wide.columns.difference(measured_columns), *measured_columns])
    wide = wide.reset_index()
    axes_of_run = measured.drop_duplicates("run_id").set_index("run_id")[keys[1:]]
    wide = axes_of_run.join(wide.set_index("run_id"), how="inner").rename_axis("run_id")
    return wide.reset_index().sort_values([*keys, "epoch"], ignore_index=True)


def run_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per run: outcome, final and best test accuracy, best-validation epoch, gap.

    Parameters
    ----------
    metrics : the tidy metrics table (`ablation.metrics.METRICS_SCHEMA`).

    Returns
    -------
    DataFrame with the run keys (``run_id`` and every axis column, `run_keys`) and
    `status`, `diverged_epoch`, `final_epoch`,
    `final_test_accuracy`, `final_test_loss`, `best_test_accuracy`, `best_val_epoch`,
    `test_accuracy_at_best_val`, `final_gap` (train minus test accuracy), `train_seconds`,
    `train_cpu_seconds`.
    """
    keys = run_keys(metrics)
    wide = milestone_wide(metrics)
    # Every run has a row, also one that diverged before its first milestone (no scores).
    outcome = metrics.groupby("run_id", sort=True).agg(
        **{key: (key, "first") for key in keys[1:]},
        status=("status", "first"),
        diverged_epoch=("diverged_epoch", "first"),
        train_seconds=("train_seconds", "max"),
        train_cpu_seconds=("train_cpu_seconds", "max"),
    )
    scores = _scores(wide)
    summary = outcome.join(scores[list(_SCORES)].astype("float64"))
    summary["final_epoch"] = summary["final_epoch"].fillna(0).astype("int64")  # 0: initial weights
    return summary.rename_axis("run_id").reset_index()[
        [
            *keys,
            "status",
            "diverged_epoch",
            "final_epoch",
            "final_test_accuracy",
            "final_test_loss",
            "best_test_accuracy",
            "best_val_epoch",
            "test_accuracy_at_best_val",
            "final_gap",
            "train_seconds",
            "train_cpu_seconds",
        ]
    ]


_SCORES = (
    "final_epoch",
    "final_test_accuracy",
    "final_test_loss",
    "best_test_accuracy",
    "final_gap",
    "best_val_epoch",
    "test_accuracy_at_best_val",
)


def _scores(wide: pd.DataFrame) -> pd.DataFrame:
    """Final, best and best-validation numbers of every run at once (one row per run)."""
    by_run = wide.groupby("run_id", sort=True)
    last = wide.loc[by_run["epoch"].idxmax()].set_index("run_id")
    scores = pd.DataFrame(
        {
            "final_epoch": last["epoch"],
            "final_test_accuracy": last["test_accuracy"],
            "final_test_loss": last["test_loss"],
            "best_test_accuracy": by_run["test_accuracy"].max(),
            "final_gap": last["train_accuracy"] - last["test_accuracy"],
        }
    )
    scores["best_val_epoch"] = np.nan
    scores["test_accuracy_at_best_val"] = np.nan
    if "validation_loss" in wide:
        # first epoch of lowest validation loss (ties: the earliest), per run
        judged = wide[wide["validation_loss"].notna()].sort_values(
            ["run_id", "validation_loss", "epoch"], kind="stable"
        )
        best = judged.drop_duplicates("run_id").set_index("run_id")
        scores.loc[best.index, "best_val_epoch"] = best["epoch"].astype(float)
        scores.loc[best.index, "test_accuracy_at_best_val"] = best["test_accuracy"]
    return scores


def config_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration (`ablation.axes.config_keys`): mean and std over seeds, counts."""
    values = [
        "final_test_accuracy",
        "best_test_accuracy",
        "best_val_epoch",
        "test_accuracy_at_best_val",
        "final_gap",
        "train_seconds",
        "train_cpu_seconds",
    ]
    grouped = runs.groupby(config_keys(runs), sort=True, dropna=False)
    summary = grouped[values].agg(["mean", "std"])
    summary.columns = [f"{v}_{stat}" for v, stat in summary.columns]
    summary.insert(0, "n_seeds", grouped.size())
    summary.insert(1, "n_diverged", grouped["status"].apply(lambda s: int((s == "diverged").sum())))
    return summary.reset_index().sort_values(
        "final_test_accuracy_mean", ascending=False, ignore_index=True
    )
