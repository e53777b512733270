"""The one home of the study's axes: their names, order, labels and how values print.

Every setting a study can vary is listed here once; the config, the run folders,
the metrics columns, the statistics and the figures all take their names from it.
A configuration is a grid cell without its seed; `dataset` is an axis too, but the
statistics never pool across it (accuracies of different datasets don't compare).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

# Canonical order: how columns, run folders and table keys are ordered.
AXES = (
    "dataset",
    "activation",
    "optimizer",
    "lr_scale",
    "weight_decay",
    "dropout",
    "hidden_size",
    "batch_size",
    "train_size",
    "validation_size",
    "seed",
)
# The axes of every study so far: always shown, even when they hold one value.
CORE_AXES = ("activation", "optimizer", "weight_decay", "dropout")

LABELS = {
    "dataset": "dataset",
    "activation": "activation",
    "optimizer": "optimizer",
    "lr_scale": "learning-rate scale",
    "weight_decay": "weight decay",
    "dropout": "dropout",
    "hidden_size": "hidden units",
    "batch_size": "batch size",
    "train_size": "training images",
    "validation_size": "validation images",
    "seed": "seed",
}


def label(axis: str) -> str:
    """The human name of an axis (`weight_decay` -> `weight decay`)."""
    return LABELS.get(axis, axis.replace("_", " "))


def format_number(value: Any) -> str:
    """A value as people write it: 0.0001 -> 1e-04, 0.2 -> 0.2, 128 -> 128."""
    if isinstance(value, float):
        return f"{value:.0e}" if value and abs(value) < 1e-3 else f"{value:g}"
    return str(value)


def config_keys(frame: pd.DataFrame, keep: Iterable[str] = CORE_AXES) -> list[str]:
    """The axes that tell configurations of `frame` apart, in canonical order.

    An axis counts when it varies in `frame` or is in `keep` (today's four);
    the seed never does: it repeats a configuration.
    """
    keep = set(keep)
    return [
        axis
        for axis in AXES
        if axis != "seed"
        and axis in frame.columns
        and (axis in keep or frame[axis].nunique(dropna=False) > 1)
    ]
