"""Tables for the plot and report tests: small hand-made statistics, and a synthetic study.

`hand_tables` returns one small table per statistics table of the contract
(results/stats/*.parquet), with made-up but plausible numbers; the figure tests
check shapes and labels, not values. Its metrics table is a synthetic study
(`tests/synthetic.py`: realistic curves, a divergence, loss spikes).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ablation.axes import CORE_AXES
from ablation.config import run_path
from ablation.stats.anova import anova_table
from synthetic import synthetic_study

CONFIG_KEYS = list(CORE_AXES)  # the hand-made tables vary today's four axes
SMALL_GRID = {
    "activation": ["relu", "tanh"],
    "optimizer": ["adam", "sgd"],
    "weight_decay": [0.0, 0.0001],
    "dropout": [0.0, 0.2],
    "seed": [0, 1, 2],
}
MILESTONES = [1, 2, 3, 10, 20]


def cells(grid: dict = SMALL_GRID) -> list[dict]:
    axes = ["activation", "optimizer", "weight_decay", "dropout", "seed"]
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*grid.values())]


def configs(grid: dict = SMALL_GRID) -> pd.DataFrame:
    return pd.DataFrame(
        list(itertools.product(*(grid[k] for k in CONFIG_KEYS))), columns=CONFIG_KEYS
    )


def _score(row: pd.Series | dict) -> float:
    """A made-up, deterministic accuracy of a configuration."""
    return (
        0.95
        + (0.02 if row["activation"] == "relu" else 0.0)
        + (0.01 if row["optimizer"] == "adam" else 0.0)
        + 10 * float(row["weight_decay"])
        - 0.01 * float(row["dropout"])
    )


def hand_tables(grid: dict = SMALL_GRID) -> dict[str, pd.DataFrame]:
    """One small table per statistics table of the contract, by name."""
    conf = configs(grid)
    runs = pd.DataFrame(cells(grid))
    runs["run_id"] = [run_path(c) for c in cells(grid)]
    runs["final_test_accuracy"] = [_score(r) - 0.002 * r["seed"] for _, r in runs.iterrows()]
    runs["train_seconds"] = 10.0 + 5 * (runs["optimizer"] == "adam") + runs["seed"]
    runs["train_cpu_seconds"] = runs["train_seconds"] * 0.9
    runs["status"] = "completed"

    board = conf.assign(mean=[_score(r) for _, r in conf.iterrows()])
    board = board.sort_values("mean", ascending=False, ignore_index=True)
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    board = board.assign(
        n=3,
        n_diverged=0,
        std=0.003,
        ci_low=board["mean"] - 0.005,
        ci_high=board["mean"] + 0.005,
        has_interval=True,
        diff_from_best=board["mean"].iloc[0] - board["mean"],
        diff_ci_low=board["mean"].iloc[0] - board["mean"] - 0.002,
        diff_ci_high=board["mean"].iloc[0] - board["mean"] + 0.002,
        n_pairs=3,
        p_value=np.r_[np.nan, np.linspace(0.2, 0.001, len(board) - 1)],
    )
    board["p_holm"] = (board["p_value"] * 2).clip(upper=1)
    board["indistinguishable_from_best"] = board["p_holm"].isna() | (board["p_holm"] >= 0.05)
    board["is_best"] = board["rank"] == 1
    board = board.assign(  # columns of the selection on validation (`ablation.stats.compare`)
        selected_on="validation",
        selection_mean=board["mean"] + 0.001,
        test_rank=board["rank"],
        tested=board["p_value"].notna(),
        p_improvement=np.r_[np.nan, np.linspace(0.6, 1.0, len(board) - 1)],
        p_improvement_low=np.r_[np.nan, np.linspace(0.2, 0.5, len(board) - 1)],
        p_improvement_high=np.r_[np.nan, np.ones(len(board) - 1)],
        mdd=np.r_[np.nan, np.full(len(board) - 1, 0.01)],
        seeds_needed=np.r_[np.nan, np.linspace(40, 4, len(board) - 1).round()],
    )

    rows = []
    for (_, c), epoch in itertools.product(conf.iterrows(), MILESTONES):
        base = _score(c) * (1 - 0.3 / epoch)
        for metric, value in {
            "test_accuracy": base,
            "test_loss": 1.5 / epoch + 0.1,
            "gap_accuracy_test": 0.001 * epoch * (1 - c["dropout"]),
            "gap_loss_test": 0.002 * epoch,
            "gap_accuracy_validation": 0.001 * epoch,
            "gap_loss_validation": 0.002 * epoch,
        }.items():
            rows.append(
                {
                    **c,
                    "point": "milestone",
                    "epoch": epoch,
                    "metric": metric,
                    "n_runs": 3,
                    "n": 3,
                    "mean": value,
                    "std": 0.01,
                    "ci_low": value - 0.01,
                    "ci_high": value + 0.01,
                    "has_interval": True,
                }
            )
    seed_summary = pd.DataFrame(rows).astype({"epoch": "Int64"})

    gaps = []
    for _, r in runs.iterrows():
        for epoch in MILESTONES:
            acc = _score(r) * (1 - 0.3 / epoch)
            gaps.append(
                {
                    **{k: r[k] for k in ["run_id", *CONFIG_KEYS, "seed", "status"]},
                    "epoch": epoch,
                    "train_loss": 1.4 / epoch,
                    "train_accuracy": acc + 0.001 * epoch,
                    "validation_loss": 1.5 / epoch + 0.004 * epoch,
                    "validation_accuracy": acc,
                    "test_loss": 1.5 / epoch + 0.005 * epoch,
                    "test_accuracy": acc,
                }
            )
    gaps = pd.DataFrame(gaps)
    gaps["gap_accuracy_test"] = gaps["train_accuracy"] - gaps["test_accuracy"]

    overfitting = runs[["run_id", *CONFIG_KEYS, "seed", "status"]].assign(
        final_test_accuracy=runs["final_test_accuracy"],
        final_train_accuracy=0.99,
        best_val_epoch=pd.array([10] * len(runs), dtype="Int64"),
        test_accuracy_at_best_val=runs["final_test_accuracy"] + 0.001,
        onset_epoch=pd.array([10 if d == 0 else None for d in runs["dropout"]], dtype="Int64"),
        diverged_epoch=pd.array([None] * len(runs), dtype="Int64"),
        verdict=["overfitting" if d == 0 else "good fit" for d in runs["dropout"]],
        reason="made up",
    )
    overfitting_configs = conf.assign(
        n_runs=3,
        verdict=["overfitting" if d == 0 else "good fit" for d in conf["dropout"]],
        onset_epoch_median=[10.0 if d == 0 else np.nan for d in conf["dropout"]],
        best_val_epoch_median=10.0,
    )

    marginal, inter = [], []
    for axis in CONFIG_KEYS:
        for level in grid[axis]:
            mean = float(np.mean([_score(r) for _, r in conf[conf[axis] == level].iterrows()]))
            marginal.append(
                {
                    "metric": "final_test_accuracy",
                    "axis": axis,
                    "level": str(level),
                    "n": 24,
                    "n_configs": 8,
                    "mean": mean,
                    "std": 0.01,
                    "ci_low": mean - 0.004,
                    "ci_high": mean + 0.004,
                    "has_interval": True,
                }
            )
    for a, b in itertools.combinations(CONFIG_KEYS, 2):
        for la, lb in itertools.product(grid[a], grid[b]):
            part = conf[(conf[a] == la) & (conf[b] == lb)]
            mean = float(np.mean([_score(r) for _, r in part.iterrows()]))
            inter.append(
                {
                    "metric": "final_test_accuracy",
                    "axis_a": a,
                    "level_a": str(la),
                    "axis_b": b,
                    "level_b": str(lb),
                    "n": 12,
                    "n_configs": 4,
                    "mean": mean,
                    "std": 0.01,
                    "ci_low": mean - 0.005,
                    "ci_high": mean + 0.005,
                    "has_interval": True,
                }
            )

    confusion = []
    for _, c in conf.iterrows():
        for t, p in itertools.product(range(10), range(10)):
            count = 950 if t == p else (20 if (t, p) == (4, 9) else 3)
            confusion.append(
                {
                    **c,
                    "true": t,
                    "predicted": p,
                    "count": count,
                    "true_total": 950 + 20 * (t == 4) + 27,
                    "n_runs": 3,
                }
            )
    confusion = pd.DataFrame(confusion)
    confusion["true_total"] = confusion.groupby([*CONFIG_KEYS, "true"])["count"].transform("sum")
    confusion["rate"] = confusion["count"] / confusion["true_total"]
    off = confusion[confusion["true"] != confusion["predicted"]]
    pairs = off.sort_values("count", ascending=False).groupby(CONFIG_KEYS).head(3).copy()
    pairs["rank"] = pairs.groupby(CONFIG_KEYS).cumcount() + 1

    first = runs.iloc[0]
    anomalies = pd.DataFrame(
        [
            {
                **{k: first[k] for k in ["run_id", *CONFIG_KEYS, "seed"]},
                "epoch": 3,
                "kind": "loss_spike",
                "split": "train_running",
                "value": 0.9,
                "reference": 0.3,
                "size": 7.5,
            }
        ]
    )
    effects = pd.DataFrame(
        [
            {
                "regularizer": r,
                "level": lv,
                "baseline_level": 0.0,
                "metric": m,
                "n_pairs": 12,
                "n_seeds": 3,
                "mean_treated": 0.96,
                "mean_baseline": 0.955,
                "mean_delta": 0.005,
                "ci_low": 0.001,
                "ci_high": 0.009,
                "has_interval": True,
                "p_value": 0.01,
                "p_holm": 0.04,  # Holm over the four rows, all with p 0.01
            }
            for r, lv in (("dropout", 0.2), ("weight_decay", 0.0001))
            for m in ("final_test_accuracy", "final_gap_accuracy")
        ]
    )
    noisy = runs.assign(  # the made-up scores fit exactly: add a little seed-to-seed noise
        final_test_accuracy=runs["final_test_accuracy"] + 0.001 * np.sin(np.arange(len(runs)))
    )
    return {
        "runs": runs,
        "leaderboard": board,
        "anova": anova_table(noisy),
        "seed_summary": seed_summary,
        "gaps": gaps,
        "overfitting": overfitting,
        "overfitting_configs": overfitting_configs,
        "marginal_means": pd.DataFrame(marginal),
        "interactions": pd.DataFrame(inter),
        "confusion_by_config": confusion,
        "confused_pairs": pairs.reset_index(drop=True),
        "anomalies": anomalies,
        "regularization_effects": effects,
        "metrics": synthetic_study(grid, epochs=20, milestones=MILESTONES)[0],
    }
