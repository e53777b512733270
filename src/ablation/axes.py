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

from ablation.i18n import N_, _, number

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

# What an axis is called where the report shows it (translated there, `label`).
LABELS = {
    "dataset": N_("dataset"),
    "activation": N_("activation"),
    "optimizer": N_("optimizer"),
    "lr_scale": N_("learning-rate scale"),
    "weight_decay": N_("weight decay"),
    "dropout": N_("dropout"),
    "hidden_size": N_("hidden units"),
    "batch_size": N_("batch size"),
    "train_size": N_("training images"),
    "validation_size": N_("validation images"),
    "seed": N_("seed"),
}


def label(axis: str) -> str:
    """The human name of an axis in the active language (`weight_decay` -> `weight decay`)."""
    return _(LABELS[axis]) if axis in LABELS else axis.replace("_", " ")


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


# Compact labels of numeric axes' values ("wd 1e-04 / dropout 0.2"), one pattern per axis
# so that a language may put the value first; the categorical axes (dataset, activation,
# optimizer) print their value bare.
SHORT = {
    "lr_scale": N_("lr x {value}"),
    "weight_decay": N_("wd {value}"),
    "dropout": N_("dropout {value}"),
    "hidden_size": N_("hidden {value}"),
    "batch_size": N_("batch {value}"),
    "train_size": N_("train {value}"),
    "validation_size": N_("val {value}"),
    "seed": N_("seed {value}"),
}


def level_text(value: Any) -> str:
    """An axis value as the active language writes it (`format_number`, then a decimal
    comma in Russian: 0.2 -> `0,2`); names as they are."""
    return value if isinstance(value, str) else number(format_number(value))


def value_label(axis: str, value: Any) -> str:
    """One axis value in a compact label: `wd 1e-04`, `hidden 256`, `relu`."""
    text = level_text(value)
    return _(SHORT[axis]).format(value=text) if axis in SHORT else text


def config_label(row: Any, keys: Iterable[str] | None = None, sep: str = " / ") -> str:
    """A configuration in words, e.g. `relu / adam / wd 0 / dropout 0.2`.

    Parameters
    ----------
    row : a mapping or Series with the axis values.
    keys : the axes to name (default: the core axes present in `row`).
    """
    keys = [k for k in CORE_AXES if k in row] if keys is None else list(keys)
    return sep.join(value_label(key, row[key]) for key in keys)


def ordered(values: Iterable) -> list:
    """Levels in one order for every table and figure: numbers ascending, names alphabetical.

    The first level is an axis's baseline (dropout 0, the smallest training set).
    """
    unique = list(dict.fromkeys(v for v in values if not _missing(v)))
    try:
        return sorted(unique, key=float)
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def varying(frame: pd.DataFrame, keys: Iterable[str]) -> list[str]:
    """The axes of `keys` with more than one level in `frame`."""
    return [k for k in keys if k in frame.columns and frame[k].nunique() > 1]


def strata_and_factors(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(``["dataset"]`` when it varies else ``[]``, the other configuration axes).

    Statistics that compare levels (marginal means, paired effects) run within each
    stratum: accuracies of different datasets are never pooled.
    """
    keys = config_keys(frame)
    return [k for k in keys if k == "dataset"], [k for k in keys if k != "dataset"]


# Class names as torchvision's dataset classes list them (MNIST's "0 - zero" read as "0").
# They stay English in data and tables; `class_label` shows them in the report's language.
FASHION_NAMES = [
    N_("T-shirt/top"),
    N_("Trouser"),
    N_("Pullover"),
    N_("Dress"),
    N_("Coat"),
    N_("Sandal"),
    N_("Shirt"),
    N_("Sneaker"),
    N_("Bag"),
    N_("Ankle boot"),
]  # fmt: skip
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": FASHION_NAMES,
    "kmnist": ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
}


def class_names(dataset: str) -> list[str]:
    """The names of the ten classes of `dataset`, by label (fashion_mnist: T-shirt/top, ...)."""
    return list(CLASS_NAMES[dataset])


def class_label(name: Any) -> str:
    """A class's name in the active language ("Shirt" reads "Рубашка" in Russian)."""
    return _(name) if name in FASHION_NAMES else str(name)
