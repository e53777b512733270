"""Synthetic metrics tables: hand-built runs for tests, full-size studies for timing.

`scripts/bench_analysis_axes.py` times the analysis and the report on
`synthetic_study` (the default 108-run grid, or 1,024 runs over seven axes).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ablation.axes import AXES, CORE_AXES
from ablation.config import format_value, run_path
from ablation.metrics import COLUMNS


def run_metrics(
    *,
    activation: str = "relu",
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    seed: int = 0,
    axes: Mapping[str, Any] | None = None,
    running_loss: Sequence[float],
    milestones: Sequence[int],
    train: tuple[Sequence[float], Sequence[float]],
    test: tuple[Sequence[float], Sequence[float]],
    validation: tuple[Sequence[float], Sequence[float]] | None = None,
    status: str = "completed",
    diverged_epoch: int | None = None,
    validation_size: int | None = None,
) -> pd.DataFrame:
    """The metrics table of one run from explicit curves.

    Parameters
    ----------
    running_loss : mean training loss of every epoch 1..len (split ``train_running``).
    milestones : the epochs at which ``train``, ``validation`` and ``test`` are given.
    train, test, validation : (losses, accuracies) at `milestones`; validation None
        means no validation split (``validation_size`` 0).
    status, diverged_epoch : the run's outcome.
    validation_size : recorded size of the validation split (default 10000, or 0).
    axes : values of further axes (`ablation.axes.AXES`: ``dataset``, ``hidden_size``,
        ``lr_scale``, ...); the run id names every axis given here or above.

    Returns
    -------
    DataFrame with the columns of `ablation.metrics.METRICS_SCHEMA`.
    """
    cell = dict(
        activation=activation, optimizer=optimizer, weight_decay=float(weight_decay),
        dropout=float(dropout), seed=int(seed),
    )  # fmt: skip
    extra = dict(axes or {})
    if "validation_size" in extra:
        validation_size = int(extra.pop("validation_size"))
    epochs = np.arange(1, len(running_loss) + 1)
    frames = [_split_rows(epochs, "train_running", running_loss, [np.nan] * len(epochs))]
    splits = {"train": train, "validation": validation, "test": test}
    for split, curves in splits.items():
        if curves is not None:
            frames.append(_split_rows(np.asarray(milestones), split, *curves))
    rows = pd.concat(frames, ignore_index=True)
    if validation_size is None:
        validation_size = 0 if validation is None else 10_000
    constant = {
        "run_id": _run_id({**cell, **extra, "validation_size": validation_size}, extra),
        **cell,
        "train_seconds": rows["epoch"] * 1.0,
        "train_cpu_seconds": rows["epoch"] * 0.9,
        "status": status,
        "diverged_epoch": diverged_epoch,
        "optimizer_class": optimizer,
        "lr": 0.001,
        "epochs": len(running_loss) if status == "completed" else max(milestones, default=1),
        "lr_scale": 1.0,
        "batch_size": 64,
        "hidden_size": 128,
        "validation_size": validation_size,
        "train_size": 50_000,
        "dataset": "mnist",
        "device": "cpu",
        "threads": 1,
        "torch_version": "0",
        "ablation_version": "0",
        "config_hash": "0",
        "git_commit": "0",
    }
    rows = rows.assign(**{**constant, **extra})
    rows["diverged_epoch"] = rows["diverged_epoch"].astype("Int64")
    return rows[[*COLUMNS, *(a for a in extra if a not in COLUMNS)]]


def _run_id(cell: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    """The run folder: today's five axes as `ablation.config.run_path` writes them, or
    every axis given (canonical order) when the run has more."""
    if not extra:
        return run_path(cell)
    return "/".join(f"{a}={format_value(cell[a])}" for a in AXES if a in cell)


def _split_rows(epochs, split, loss, accuracy) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "epoch": np.asarray(epochs, dtype="int64"),
            "split": split,
            "loss": np.asarray(loss, dtype=float),
            "accuracy": np.asarray(accuracy, dtype=float),
        }
    )


DEFAULT_GRID = {
    "activation": ["relu", "sigmoid", "tanh"],
    "optimizer": ["sgd", "adam", "rmsprop"],
    "weight_decay": [0.0, 1e-4],
    "dropout": [0.0, 0.2],
    "seed": [0, 1, 2],
}
DEFAULT_MILESTONES = (1, 2, 3, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


def synthetic_study(
    grid: dict[str, list] | None = None,
    epochs: int = 100,
    milestones: Sequence[int] = DEFAULT_MILESTONES,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A plausible study: U-shaped validation loss, a few spikes, one diverged run.

    `grid` may hold any axis of `ablation.axes.AXES`; a few of them move the curves
    the way one expects (dropout and more training images slow the rise of the
    validation loss, Fashion-MNIST is harder), so figures and findings have
    something to show. Not a known-answer fixture: tests build those by hand.

    Returns
    -------
    (metrics, confusion) tables as the training jobs would write them.
    """
    grid = grid or DEFAULT_GRID
    rng = np.random.default_rng(seed)
    t = np.arange(1, epochs + 1, dtype=float)
    m = np.asarray(milestones, dtype=float)
    frames, confusion = [], []
    cells = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    sizes = [float(v) for v in grid.get("train_size", [1])]
    for i, cell in enumerate(cells):
        core = {k: v for k, v in cell.items() if k in (*CORE_AXES, "seed")}
        extra = {k: v for k, v in cell.items() if k not in core}
        rise = 0.002 * (max(sizes) / float(extra.get("train_size", max(sizes)))) ** 0.5
        rise *= 0.5 if float(cell.get("dropout", 0)) > 0 else 1.0
        harder = 0.15 if extra.get("dataset", "mnist") != "mnist" else 0.0
        speed = rng.uniform(0.5, 2.0)
        running = 0.02 + 0.5 / (speed * t) + rng.normal(0, 0.002, epochs).clip(-0.01)
        if i % 17 == 3:
            running[epochs // 2] *= 3  # a spike
        train_loss = 0.01 + 0.4 / (speed * m)
        val_loss = 0.06 + harder + 0.3 / (speed * m) + rng.uniform(0, rise) * m
        test_loss = val_loss + rng.normal(0, 0.002, len(m))
        kwargs = dict(
            running_loss=running, milestones=milestones,
            train=(train_loss, 1 - train_loss / 2), validation=(val_loss, 1 - val_loss / 3),
            test=(test_loss, 1 - test_loss / 3),
        )  # fmt: skip
        if i == 5:  # diverges before the last milestones
            cut = int(np.searchsorted(m, epochs * 0.6))
            running = running[: int(m[cut - 1]) + 1].copy()
            running[-1] = np.inf
            kwargs.update(
                running_loss=running, milestones=milestones[:cut],
                train=(train_loss[:cut], 1 - train_loss[:cut] / 2),
                validation=(val_loss[:cut], 1 - val_loss[:cut] / 3),
                test=(test_loss[:cut], 1 - test_loss[:cut] / 3),
                status="diverged", diverged_epoch=len(running),
            )  # fmt: skip
        frames.append(run_metrics(**core, axes=extra, **kwargs))
        counts = rng.integers(0, 20, (10, 10)) + np.diag(np.full(10, 950))
        confusion.append(
            pd.DataFrame(
                {
                    "run_id": frames[-1]["run_id"].iloc[0],
                    "true": np.repeat(np.arange(10), 10),
                    "predicted": np.tile(np.arange(10), 10),
                    "count": counts.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True), pd.concat(confusion, ignore_index=True)
