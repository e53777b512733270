from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ablation.config import (
    ConfigError,
    TrainConfig,
    find_cell,
    grid_cells,
    load_config,
    parse_run_path,
    run_config,
    run_path,
    validate_config,
)

REPO = Path(__file__).resolve().parents[1]


def test_default_study_has_108_cells_with_schema_defaults():
    config = load_config(REPO / "config" / "config.yaml")
    cells = grid_cells(config)
    assert len(cells) == 3 * 3 * 2 * 2 * 3 == 108
    assert config["training"]["epochs"] == 100
    assert config["training"]["milestones"] == [1, 2, 3, *range(10, 101, 10)]
    assert config["optimizers"]["adam"] == {"class": "Adam", "lr": 0.001}
    assert config["data"] == {"dataset": "mnist", "root": "results/data", "local_dir": None}


def test_defaults_fill_missing_sections():
    grid = {
        "activation": ["relu"],
        "optimizer": ["adam"],
        "weight_decay": [0],
        "dropout": [0],
        "seed": [0],
    }
    config = validate_config({"grid": grid})
    assert config["training"]["batch_size"] == 64
    assert config["training"]["hidden_size"] == 128
    assert config["training"]["validation_size"] == 10_000
    assert set(config["optimizers"]) == {"sgd", "adam", "rmsprop"}


def test_quick_study_overlays_default():
    base = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    quick = yaml.safe_load((REPO / "config" / "quick.yaml").read_text())
    for key, value in quick.items():
        base[key] = {**base.get(key, {}), **value}
    config = validate_config(base, "config/quick.yaml")
    assert 1 <= len(grid_cells(config)) <= 16
    assert config["training"]["train_size"] is not None


def test_run_path_round_trips_every_cell():
    config = load_config(REPO / "config" / "config.yaml")
    for cell in grid_cells(config):
        path = run_path(cell)
        assert path.startswith(f"activation={cell['activation']}/")
        assert find_cell(config, parse_run_path(path)) == cell


def test_run_path_formats_floats_exactly():
    cell = {
        "activation": "relu",
        "optimizer": "adam",
        "weight_decay": 1e-5,
        "dropout": 0.2,
        "seed": 3,
    }
    assert run_path(cell) == "activation=relu/optimizer=adam/weight_decay=1e-05/dropout=0.2/seed=3"
    assert float(parse_run_path(run_path(cell))["weight_decay"]) == 1e-5


def test_run_config_carries_preset_and_cell():
    config = load_config(REPO / "config" / "config.yaml")
    cell = {
        "activation": "tanh",
        "optimizer": "sgd",
        "weight_decay": 0.0001,
        "dropout": 0.2,
        "seed": 1,
    }
    cfg = run_config(config, cell)
    assert cfg.optimizer_class == "SGD" and cfg.lr == 0.1
    assert {k: cfg.cell()[k] for k in cell} == cell
    assert cfg.cell()["hidden_size"] == 128 and cfg.cell()["lr_scale"] == 1.0
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.hash() == TrainConfig.from_dict(cfg.to_dict()).hash()


def test_hash_changes_only_with_the_config():
    a = TrainConfig()
    assert a.hash() == TrainConfig().hash()
    assert a.hash() != TrainConfig(seed=1).hash()
    assert a.hash() != TrainConfig(optimizer_kwargs={"lr": 0.01}).hash()


def test_yaml11_exponent_is_read_as_number(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "grid: {activation: [relu], optimizer: [adam], weight_decay: [0.0, 1e-4], "
        "dropout: [0.0], seed: [0]}\n"
    )
    config = load_config(path)
    assert config["grid"]["weight_decay"] == [0.0, 1e-4]


def test_first_error_names_file_and_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "grid: {activation: [relu], optimizer: [adam], weight_decay: [0.0], "
        "dropout: [0.0], seed: [0]}\ntraining: {epochz: 3}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert "training.epochz" in str(err.value)
    assert "epochs" in str(err.value)  # the suggested fix
