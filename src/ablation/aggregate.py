"""From the tidy metrics table to one row per run and one row per configuration.

Pure DataFrame-in, DataFrame-out; a configuration is a grid cell without its seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablation.axes import AXES, config_keys

CONFIG_KEYS = ["activation", "optimizer", "weight_decay", "dropout"]
RUN_KEYS = ["run_id", *CONFIG_KEYS, "seed"]


def milestone_wide(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, milestone epoch) with `<split>_loss` and `<split>_accuracy` columns."""
    measured = metrics[metrics["split"] != "train_running"]
    wide = measured.set_index([*RUN_KEYS, "epoch", "split"])[["loss", "accuracy"]].unstack("split")
    wide.columns = [f"{split}_{value}" for value, split in wide.columns]
    return wide.reset_index().sort_values([*RUN_KEYS, "epoch"], ignore_index=True)


def run_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per run: outcome, final and best test accuracy, best-validation epoch, gap.

    Parameters
    ----------
    metrics : the tidy metrics table (`ablation.metrics.METRICS_SCHEMA`).

    Returns
    -------
    DataFrame with the run keys, every other axis of `AXES`, and `status`, `diverged_epoch`,
    `final_epoch`, `final_test_accuracy`, `final_test_loss`, `best_test_accuracy`, `best_val_epoch`,
    `test_accuracy_at_best_val`, `final_gap` (train minus test accuracy), `train_seconds`.
    """
    wide = milestone_wide(metrics)
    axes = [a for a in AXES if a not in RUN_KEYS and a in metrics]
    # Every run has a row, also one that diverged before its first milestone (no scores).
    outcome = metrics.groupby("run_id", sort=True).agg(
        **{key: (key, "first") for key in [*RUN_KEYS[1:], *axes]},
        status=("status", "first"),
        diverged_epoch=("diverged_epoch", "first"),
        train_seconds=("train_seconds", "max"),
    )
    rows = [_summarize_run(run) for _, run in wide.groupby("run_id", sort=True)]
    scores = pd.DataFrame(rows, columns=[*RUN_KEYS, *_SCORES]).set_index("run_id")
    summary = outcome.join(scores[list(_SCORES)].astype("float64"))
    summary["final_epoch"] = summary["final_epoch"].fillna(0).astype("int64")  # 0: initial weights
    return summary.rename_axis("run_id").reset_index()[
        [
            *RUN_KEYS,
            *axes,
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


def _summarize_run(run: pd.DataFrame) -> dict:
    last = run.loc[run["epoch"].idxmax()]
    row = {key: last[key] for key in RUN_KEYS}
    row.update(
        final_epoch=int(last["epoch"]),
        final_test_accuracy=last["test_accuracy"],
        final_test_loss=last["test_loss"],
        best_test_accuracy=run["test_accuracy"].max(),
        final_gap=last["train_accuracy"] - last["test_accuracy"],
    )
    if "validation_loss" in run and run["validation_loss"].notna().any():
        best = run.loc[run["validation_loss"].idxmin()]
        row.update(
            best_val_epoch=int(best["epoch"]), test_accuracy_at_best_val=best["test_accuracy"]
        )
    else:
        row.update(best_val_epoch=np.nan, test_accuracy_at_best_val=np.nan)
    return row


def config_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: mean and standard deviation over seeds, and counts."""
    values = [
        "final_test_accuracy",
        "best_test_accuracy",
        "best_val_epoch",
        "test_accuracy_at_best_val",
        "final_gap",
        "train_seconds",
    ]
    grouped = runs.groupby(config_keys(runs, CONFIG_KEYS), sort=True)
    summary = grouped[values].agg(["mean", "std"])
    summary.columns = [f"{v}_{stat}" for v, stat in summary.columns]
    summary.insert(0, "n_seeds", grouped.size())
    summary.insert(1, "n_diverged", grouped["status"].apply(lambda s: int((s == "diverged").sum())))
    return summary.reset_index().sort_values(
        "final_test_accuracy_mean", ascending=False, ignore_index=True
    )
