from __future__ import annotations

import math

import pandas as pd
import pytest

from ablation.metrics import COLUMNS, SchemaError, read_metrics, write_metrics


def row(**overrides):
    base = {name: None for name in COLUMNS}
    base.update(
        run_id="r",
        activation="relu",
        optimizer="adam",
        weight_decay=0.0,
        dropout=0.0,
        seed=0,
        epoch=1,
        split="test",
        loss=0.5,
        accuracy=0.9,
        train_seconds=1.0,
        train_cpu_seconds=0.9,
        status="completed",
        optimizer_class="Adam",
        lr=1e-3,
        epochs=1,
        batch_size=64,
        hidden_size=128,
        validation_size=0,
        train_size=10,
        dataset="mnist",
        device="cpu",
        threads=1,
        torch_version="x",
        ablation_version="y",
        config_hash="h",
    )
    base.update(overrides)
    return base


def test_round_trip_keeps_types(tmp_path):
    path = tmp_path / "m.parquet"
    write_metrics([row(), row(split="train_running", accuracy=None)], path)
    df = read_metrics(path)
    assert list(df.columns) == list(COLUMNS)
    assert df["seed"].dtype == "int64" and df["loss"].dtype == "float64"
    assert math.isnan(df.loc[1, "accuracy"])


def test_missing_or_unknown_column_is_refused(tmp_path):
    bad = row()
    del bad["loss"]
    with pytest.raises(SchemaError, match="loss"):
        write_metrics([bad], tmp_path / "m.parquet")
    with pytest.raises(SchemaError, match="extra"):
        write_metrics([row(extra=1)], tmp_path / "m.parquet")
    assert not (tmp_path / "m.parquet").exists()


def test_wrong_type_or_value_is_refused(tmp_path):
    with pytest.raises((SchemaError, TypeError, ValueError)):
        write_metrics([row(seed="zero")], tmp_path / "m.parquet")
    with pytest.raises(SchemaError, match="split"):
        write_metrics([row(split="valid")], tmp_path / "m.parquet")
    with pytest.raises(SchemaError, match="status"):
        write_metrics([row(status="ok")], tmp_path / "m.parquet")


def test_read_many_concatenates(tmp_path):
    for i in range(3):
        write_metrics([row(run_id=f"r{i}", seed=i)], tmp_path / f"{i}.parquet")
    df = read_metrics(sorted(tmp_path.glob("*.parquet")))
    assert isinstance(df, pd.DataFrame) and df["seed"].tolist() == [0, 1, 2]


def test_runs_written_before_an_axis_existed_read_with_its_default(tmp_path):
    """A metrics file without `lr_scale` (older runs) reads as trained at scale 1.0."""
    from ablation.axes import AXES

    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    pd.DataFrame([row(lr_scale=None, run_id="old")]).drop(columns="lr_scale").to_parquet(old)
    write_metrics([row(lr_scale=0.5, run_id="new", lr=5e-4)], new)
    frame = read_metrics([old, new]).set_index("run_id")
    assert frame.loc["old", "lr_scale"] == 1.0 and frame.loc["new", "lr_scale"] == 0.5
    assert set(AXES) <= set(frame.columns)
