"""Any setting as a grid axis: values, run folders that survive a growing study, bad input."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ablation.axes import AXES
from ablation.config import (
    ConfigError,
    grid_cells,
    load_config,
    parse_run_path,
    run_config,
    run_id,
    run_path,
    validate_config,
)

REPO = Path(__file__).resolve().parents[1]
GRID = {
    "activation": ["relu"],
    "optimizer": ["adam", "sgd"],
    "weight_decay": [0.0],
    "dropout": [0.0],
    "seed": [0, 1],
}


def study(**grid) -> dict:
    return {"grid": {**copy.deepcopy(GRID), **grid}}


def refused(config: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate_config(config, source="config/mine.yaml")
    assert str(caught.value).startswith("config/mine.yaml: ")
    assert "\n  fix: " in str(caught.value)
    return caught.value


def test_every_axis_is_a_list_after_validation():
    config = validate_config(study(hidden_size=[64, 128]))
    assert list(config["grid"]) == list(AXES)
    assert config["grid"]["hidden_size"] == [64, 128]
    assert config["grid"]["dataset"] == ["mnist"] and config["grid"]["lr_scale"] == [1.0]
    assert len(grid_cells(config)) == 2 * 2 * 2


def test_a_grid_list_wins_over_the_training_setting():
    config = study(batch_size=[32, 128])
    config["training"] = {"batch_size": 256, "hidden_size": 64}
    cells = grid_cells(validate_config(config))
    assert {c["batch_size"] for c in cells} == {32, 128}
    assert {c["hidden_size"] for c in cells} == {64}  # not listed: the setting


def test_lr_scale_multiplies_every_preset():
    config = validate_config(study(optimizer=["adam", "sgd", "rmsprop"], lr_scale=[0.5, 2]))
    lrs = {(c["optimizer"], c["lr_scale"]): run_config(config, c).lr for c in grid_cells(config)}
    assert lrs[("sgd", 0.5)] == 0.05 and lrs[("sgd", 2.0)] == 0.2
    assert lrs[("adam", 2.0)] == 0.002 and lrs[("rmsprop", 0.5)] == 0.0005
    cfg = run_config(config, grid_cells(config)[0])
    assert cfg.lr_scale == 0.5 and cfg.cell()["lr_scale"] == 0.5


def test_run_folder_names_an_axis_only_off_its_default():
    base = {"activation": "relu", "optimizer": "adam", "weight_decay": 0.0, "dropout": 0.0}
    default = {**base, "seed": 0, "hidden_size": 128, "lr_scale": 1.0, "dataset": "mnist"}
    assert run_path(default) == "activation=relu/optimizer=adam/weight_decay=0.0/dropout=0.0/seed=0"
    wide = {**default, "hidden_size": 256, "lr_scale": 0.5, "dataset": "fashion_mnist"}
    assert run_path(wide) == (
        "dataset=fashion_mnist/activation=relu/optimizer=adam/lr_scale=0.5/weight_decay=0.0/"
        "dropout=0.0/hidden_size=256/seed=0"
    )
    assert parse_run_path(run_path(wide))["hidden_size"] == "256"
    assert run_id(f"benchmarks/train_model/{run_path(wide)}.tsv") == run_path(wide)


def test_growing_a_study_keeps_every_existing_run_folder():
    """Adding an axis whose list holds the value used so far names the old runs as before."""
    old = {run_path(c) for c in grid_cells(validate_config(study()))}
    grown = study(
        hidden_size=[64, 128, 256],
        lr_scale=[1.0, 3.0],
        train_size=[500, None],
        dataset=["mnist", "fashion_mnist"],
    )
    new = {run_path(c) for c in grid_cells(validate_config(grown))}
    assert old < new and len(new) == len(old) * 3 * 2 * 2 * 2


def test_train_size_of_every_image_names_the_full_run():
    """`train_size: [1000, 50000]` reuses the runs trained on all 50,000 images."""
    cells = grid_cells(validate_config(study(train_size=[1000, 50000])))
    full = {run_path(c) for c in grid_cells(validate_config(study()))}
    assert full <= {run_path(c) for c in cells}
    assert {c["train_size"] for c in cells} == {1000, None}


def test_default_config_and_quick_overlay_still_validate():
    assert len(grid_cells(load_config(REPO / "config" / "config.yaml"))) == 108
    quick = yaml.safe_load((REPO / "config" / "quick.yaml").read_text())
    assert validate_config(quick)["training"]["train_size"] == 10_000


def test_train_limit_is_read_as_train_size():
    config = study()
    config["training"] = {"train_limit": 1000}
    checked = validate_config(config)
    assert checked["training"]["train_size"] == 1000 and "train_limit" not in checked["training"]
    assert {c["train_size"] for c in grid_cells(checked)} == {1000}
    config["training"]["train_size"] = 2000
    err = refused(config)
    assert err.key == "training.train_limit" and "contradicts" in err.problem


BAD = {
    "unknown axis": (
        study(hiden_size=[64]),
        "grid.hiden_size",
        ["unknown key", "did you mean `hidden_size`?", "train_size"],
    ),
    "duplicate values": (
        study(hidden_size=[64, 128, 64]),
        "grid.hidden_size",
        ["repeats a value", "list each value once"],
    ),
    "equal numbers": (study(lr_scale=[1, 1.0]), "grid.lr_scale", ["repeats a value"]),
    "empty list": (study(batch_size=[]), "grid.batch_size", ["the list is empty"]),
    "unknown dataset": (study(dataset=["cifar10"]), "grid.dataset[0]", ["fashion_mnist"]),
    "lr_scale zero": (study(lr_scale=[0, 1]), "grid.lr_scale[0]", ["out of range", "> 0"]),
    "train_size above the data": (
        study(train_size=[1000, 55000]),
        "grid.train_size",
        ["55000 training images asked for", "leaves 50000", "use at most 50000"],
    ),
    "train_size above a validation size": (
        study(train_size=[45000], validation_size=[10000, 20000]),
        "grid.train_size",
        ["validation_size 20000 leaves 40000"],
    ),
    "all images twice": (
        study(train_size=[None, 50000]),
        "grid.train_size",
        ["all 50000 training images twice"],
    ),
    "batch above the training set": (
        study(train_size=[100, 1000], batch_size=[64, 512]),
        "grid.batch_size",
        ["512 is larger than the training set (100 images)", "at most 100"],
    ),
    "validation takes everything": (
        study(validation_size=[0, 60000]),
        "grid.validation_size",
        ["60000 leaves no training images"],
    ),
}


@pytest.mark.parametrize("config, key, words", BAD.values(), ids=BAD.keys())
def test_bad_axis_names_file_key_and_fix(config, key, words):
    err = refused(config)
    assert err.key == key
    for word in words:
        assert word in str(err)


def test_a_setting_too_large_is_named_where_it_is_set():
    config = study()
    config["training"] = {"train_size": 100, "batch_size": 128}
    assert refused(config).key == "training.batch_size"


@pytest.mark.parametrize("example", sorted((REPO / "config" / "examples").glob("*.yaml")))
def test_examples_are_valid_overlays_with_a_purpose(example):
    from snakemake.utils import update_config

    text = example.read_text()
    assert text.startswith("# Purpose: ")
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load(text))
    cells = grid_cells(validate_config(config, str(example)))
    assert 20 <= len(cells) <= 50  # minutes on 2 cores, not hours
    assert {c["seed"] for c in cells} == {0, 1, 2}
    # Apart from the default study's 100-epoch runs: every folder names its train_size.
    assert all("train_size=" in run_path(c) for c in cells)
