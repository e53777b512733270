"""One finished run as both exports write it: its axes, its scalars by epoch, its summary.

The names are the exports' own, the same in TensorBoard and MLflow:

- ``<split>/loss`` and ``<split>/accuracy`` (train, validation, test) at every milestone
  epoch, and ``train_running/loss`` (the mean minibatch loss) at every epoch; the step is
  the epoch, so the last value of each is the run's final one;
- ``best_validation/epoch`` and ``best_validation/<split>_<loss|accuracy>``: the
  milestone of lowest validation loss (the earliest of ties, as the statistics choose it)
  and every number at it;
- ``final/gap`` (train minus test accuracy), ``final/train_seconds`` and
  ``final/train_cpu_seconds`` at the last milestone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ablation import layout
from ablation.aggregate import milestone_wide, run_summary
from ablation.axes import AXES, CORE_AXES, config_label
from ablation.metrics import read_metrics

SPLITS = ("train", "validation", "test")
MEASURES = ("loss", "accuracy")
RUNNING = "train_running/loss"
RUN_ID_TAG = "ablation.run_id"  # what identifies an exported run, in both exports
TAGGED = ("seed", "dataset", "status", "config_hash", "git_commit", "device", "torch_version",
          "ablation_version")  # fmt: skip


@dataclass(frozen=True)
class Scalar:
    tag: str
    step: int
    value: float
    walltime: float  # seconds since the epoch


@dataclass(frozen=True)
class FinishedRun:
    """A run folder with its three outputs, read for export."""

    run_id: str  # its run path, e.g. activation=relu/optimizer=adam/.../seed=0
    folder: Path
    hparams: dict[str, Any]  # the study's axes: their values in this run
    tags: dict[str, str]  # the run id, seed, dataset, outcome and provenance
    scalars: list[Scalar]
    start_time: float  # seconds since the epoch: when training began, about
    end_time: float  # when its metrics were written

    @property
    def label(self) -> str:
        """A short name for tables: `relu / adam / wd 0 / dropout 0 / seed 0`."""
        return config_label(self.hparams, list(self.hparams))

    @property
    def checkpoint(self) -> Path:
        return self.folder / layout.MODEL

    @property
    def confusion(self) -> Path:
        return self.folder / layout.CONFUSION


def study_axes(study: dict) -> list[str]:
    """The axes the exports name a run by: the core axes, every axis the grid varies, seed."""
    grid = study["grid"]
    varied = [a for a in AXES if a != "seed" and (a in CORE_AXES or len(grid.get(a, ())) > 1)]
    return [*varied, "seed"]


def metric_tags() -> dict[str, str]:
    """Every scalar tag a run may have, with what it means (the HParams metrics)."""
    # Headline first: TensorBoard colours by the first metric and shows the first few.
    pairs = [(split, measure) for measure in ("accuracy", "loss") for split in SPLITS[::-1]]
    tags = {f"{s}/{m}": f"{s} {m} at each milestone (last: final)" for s, m in pairs}
    tags[RUNNING] = "mean minibatch loss of each epoch, in training mode"
    tags["best_validation/epoch"] = "the milestone of lowest validation loss"
    for split, measure in pairs:
        tags[f"best_validation/{split}_{measure}"] = f"{split} {measure} at that milestone"
    tags["final/gap"] = "train minus test accuracy at the last milestone"
    tags["final/train_seconds"] = "training wall seconds"
    tags["final/train_cpu_seconds"] = "training CPU seconds"
    return tags


def read_run(folder: Path, run_id: str, axes: list[str]) -> FinishedRun:
    """Read one finished run folder (metrics.parquet, confusion.parquet, model.pt)."""
    metrics = read_metrics(folder / layout.METRICS)
    first = metrics.iloc[0]
    end = (folder / layout.METRICS).stat().st_mtime
    total = float(metrics["train_seconds"].max())
    tags = {key: str(_plain(first[key])) for key in TAGGED if _present(first[key])}
    return FinishedRun(
        run_id=run_id,
        folder=folder,
        hparams={axis: _plain(first[axis]) for axis in axes},
        tags={RUN_ID_TAG: run_id, **tags},
        scalars=_epoch_scalars(metrics, end, total) + _summary_scalars(metrics, end),
        start_time=end - total,
        end_time=end,
    )


def _epoch_scalars(metrics: pd.DataFrame, end: float, total: float) -> list[Scalar]:
    """Every measurement with the epoch as step; its wall time counted back from the end."""
    scalars = []
    for row in metrics.itertuples(index=False):
        walltime = end - (total - float(row.train_seconds))
        if row.split == "train_running":
            scalars.append(Scalar(RUNNING, int(row.epoch), float(row.loss), walltime))
            continue
        for measure in MEASURES:
            value = float(getattr(row, measure))
            scalars.append(Scalar(f"{row.split}/{measure}", int(row.epoch), value, walltime))
    return scalars


def _summary_scalars(metrics: pd.DataFrame, end: float) -> list[Scalar]:
    """The best-validation numbers and the final ones (none for a run without milestones)."""
    summary = run_summary(metrics).iloc[0]
    scalars = []
    if _present(summary["best_val_epoch"]):
        best = int(summary["best_val_epoch"])
        wide = milestone_wide(metrics).set_index("epoch").loc[best]
        scalars.append(Scalar("best_validation/epoch", best, float(best), end))
        for split in SPLITS:
            for measure in MEASURES:
                value = float(wide[f"{split}_{measure}"])
                scalars.append(Scalar(f"best_validation/{split}_{measure}", best, value, end))
    last = int(summary["final_epoch"])
    for name in ("gap", "train_seconds", "train_cpu_seconds"):
        value = summary["final_gap" if name == "gap" else name]
        if _present(value):
            scalars.append(Scalar(f"final/{name}", last, float(value), end))
    return scalars


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value the writers take."""
    return value.item() if hasattr(value, "item") else value


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
