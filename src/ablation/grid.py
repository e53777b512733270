"""The grid of a validated study: its cells, their run folders and typed run configs.

A cell is one value per axis of `ablation.axes.AXES`; its run folder is Hive-style and
names an axis only when the value is off the schema's default, so that a study grown
by a new axis keeps every folder it had. `TrainConfig` is everything one run depends on.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ablation.axes import AXES
from ablation.schema import load_schema

# Always in a run's folder (the study's first axes); the others only off their default,
# so that runs keep their folder when a study grows a new axis.
PATH_AXES = ("activation", "optimizer", "weight_decay", "dropout", "seed")
# Where an axis's single value lives when the grid does not list it.
SETTINGS = {
    "dataset": "data",
    "lr_scale": "training",
    "hidden_size": "training",
    "batch_size": "training",
    "train_size": "training",
    "validation_size": "training",
}
FLOAT_AXES = ("lr_scale", "weight_decay", "dropout")
TRAIN_IMAGES = 60_000  # every supported dataset has 60,000 training images


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on (and nothing else)."""

    activation: str = "relu"
    optimizer: str = "adam"  # preset name, as on the grid axis
    optimizer_class: str = "Adam"  # class in torch.optim
    # The preset's arguments, its lr already multiplied by `lr_scale`.
    optimizer_kwargs: dict[str, Any] = field(default_factory=lambda: {"lr": 0.001})
    lr_scale: float = 1.0
    weight_decay: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    epochs: int = 100
    milestones: tuple[int, ...] = (1, 2, 3, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    batch_size: int = 64
    hidden_size: int = 128
    validation_size: int = 10_000
    train_size: int | None = None  # training images; None = all the validation split leaves
    eval_batch_size: int = 10_000
    dataset: str = "mnist"

    @property
    def lr(self) -> float:
        """The learning rate the optimizer gets (preset lr x lr_scale)."""
        return float(self.optimizer_kwargs["lr"])

    def cell(self) -> dict[str, Any]:
        """The grid coordinates of this run."""
        return {axis: getattr(self, axis) for axis in AXES}

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["milestones"] = list(self.milestones)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Also reads configs stored before `train_limit` was renamed `train_size`."""
        d = dict(d)
        d["milestones"] = tuple(d["milestones"])
        if "train_limit" in d:
            d["train_size"] = d.pop("train_limit")
        return cls(**d)

    def hash(self) -> str:
        """A short, stable digest of the config (provenance and staleness checks)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


RUN_PATTERN = "{run}"  # the run folder, as one wildcard (its depth varies with the axes)


def format_value(value: Any) -> str:
    """How a grid value appears in a path: repr-exact so it parses back to the same number."""
    return repr(float(value)) if isinstance(value, float) else str(value)


@functools.cache
def path_defaults() -> dict[str, Any]:
    """The schema's default of each axis outside `PATH_AXES`: off it, the axis joins the path."""
    properties = load_schema()["properties"]
    return {
        axis: _typed(axis, properties[home]["properties"][axis]["default"])
        for axis, home in SETTINGS.items()
    }


def grid_cells(config: dict) -> list[dict[str, Any]]:
    """Every combination of the grid's axes, in a stable order.

    A `train_size` equal to every image the validation split leaves reads as None
    (all), so that it names the same run as a study without that axis.
    """
    values = [[_typed(axis, v) for v in _values(config, axis)] for axis in AXES]
    cells = [dict(zip(AXES, combo, strict=True)) for combo in itertools.product(*values)]
    for cell in cells:
        if cell["train_size"] == TRAIN_IMAGES - cell["validation_size"]:
            cell["train_size"] = None
    return cells


def _values(config: dict, axis: str) -> list:
    """An axis's values; in a config not validated, an axis it lacks has one: its setting's."""
    if axis in config["grid"]:
        return config["grid"][axis]
    return [(config.get(SETTINGS[axis]) or {}).get(axis, path_defaults()[axis])]


def run_path(cell: Mapping[str, Any]) -> str:
    """The Hive-style folder of one run, e.g. `activation=relu/optimizer=adam/...`.

    The axes of `PATH_AXES` always appear; any other only when off its default, in
    the order of `AXES` (e.g. `.../optimizer=adam/lr_scale=0.5/weight_decay=0.0/...`).
    """
    defaults = path_defaults()
    return "/".join(
        f"{axis}={format_value(_typed(axis, cell[axis]))}"
        for axis in AXES
        if axis in PATH_AXES or (axis in cell and _typed(axis, cell[axis]) != defaults[axis])
    )


def run_id(path: str | Path) -> str:
    """The run folder within a path (a benchmark file, a log): its `key=value` parts."""
    folder = "/".join(seg for seg in Path(path).parts if "=" in seg)
    return re.sub(r"\.[A-Za-z]\w*$", "", folder)  # a file's extension, never a value's digits


def parse_run_path(path: str) -> dict[str, str]:
    """Inverse of `run_path`, as strings (`key=value` segments anywhere in the path)."""
    parts = dict(seg.split("=", 1) for seg in Path(path).parts if "=" in seg)
    return {axis: parts[axis] for axis in AXES if axis in parts}


def run_axes(path: str) -> dict[str, Any]:
    """Every axis of a run folder, as the metrics table records it.

    An axis the folder omits is at its schema default; a null `train_size` is the
    number of images the validation split leaves (what the run trained on).
    """
    cell = {**path_defaults(), **{a: _typed(a, v) for a, v in parse_run_path(path).items()}}
    if cell["train_size"] is None:
        cell["train_size"] = TRAIN_IMAGES - int(cell["validation_size"])
    return cell


def find_cell(config: dict, wildcards: Mapping[str, str]) -> dict[str, Any]:
    """The grid cell of a run folder: `wildcards` holds `run` (the folder) or its axes."""
    if "run" in wildcards:
        wanted = wildcards["run"]
    else:
        wanted = "/".join(f"{a}={wildcards[a]}" for a in AXES if a in wildcards)
    for cell in grid_cells(config):
        if run_path(cell) == wanted:
            return cell
    raise KeyError(f"no grid cell matches {dict(wildcards)}")


def run_config(config: dict, cell: dict[str, Any]) -> TrainConfig:
    """The typed config of one grid cell (axes it lacks take their `training:`/`data:` value)."""
    cell = {**{axis: config[home][axis] for axis, home in SETTINGS.items()}, **cell}
    preset = dict(config["optimizers"][cell["optimizer"]])
    lr_scale = float(cell["lr_scale"])
    training = config["training"]
    return TrainConfig(
        activation=cell["activation"],
        optimizer=cell["optimizer"],
        optimizer_class=preset.pop("class"),
        optimizer_kwargs={**preset, "lr": preset["lr"] * lr_scale},
        lr_scale=lr_scale,
        weight_decay=float(cell["weight_decay"]),
        dropout=float(cell["dropout"]),
        seed=int(cell["seed"]),
        epochs=training["epochs"],
        milestones=tuple(training["milestones"]),
        batch_size=int(cell["batch_size"]),
        hidden_size=int(cell["hidden_size"]),
        validation_size=int(cell["validation_size"]),
        train_size=cell["train_size"],
        eval_batch_size=training["eval_batch_size"],
        dataset=cell["dataset"],
    )


def _typed(axis: str, value: Any) -> Any:
    """A grid value as its axis's type: floats for rates, ints for counts and seeds."""
    if value is None or axis in ("dataset", "activation", "optimizer"):
        return value
    return float(value) if axis in FLOAT_AXES else int(value)
