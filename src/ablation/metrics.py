"""The metrics table: one tidy row per (run, epoch, split), its schema written once.

Splits:
- ``train_running``: mean minibatch loss while training that epoch (train mode, with
  dropout); recorded every epoch, accuracy empty.
- ``train``, ``validation``, ``test``: loss and accuracy of the model after that
  epoch, evaluated in inference mode; recorded at milestone epochs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ablation import layout
from ablation.io import atomic_write

SPLITS = ("train_running", "train", "validation", "test")
STATUSES = ("completed", "diverged")

METRICS_SCHEMA = pa.schema(
    [
        # the run and its grid coordinates (the other axes of AXES follow below)
        ("run_id", pa.string()),
        ("activation", pa.string()),
        ("optimizer", pa.string()),
        ("lr_scale", pa.float64()),
        ("weight_decay", pa.float64()),
        ("dropout", pa.float64()),
        ("seed", pa.int64()),
        # the measurement
        ("epoch", pa.int64()),
        ("split", pa.string()),
        ("loss", pa.float64()),
        ("accuracy", pa.float64()),
        ("train_seconds", pa.float64()),  # training time up to this epoch, evaluation excluded
        # the same in CPU seconds of the training process (time.process_time), which other
        # work on the machine cannot inflate; in a pack each member's share of its steps
        ("train_cpu_seconds", pa.float64()),
        # the run's outcome
        ("status", pa.string()),
        ("diverged_epoch", pa.int64()),
        # training settings (batch_size ... dataset are axes too)
        ("optimizer_class", pa.string()),
        ("lr", pa.float64()),  # the effective learning rate: preset lr x lr_scale
        ("epochs", pa.int64()),
        ("batch_size", pa.int64()),
        ("hidden_size", pa.int64()),
        ("validation_size", pa.int64()),
        ("train_size", pa.int64()),  # the images the run trained on (also when the axis is null)
        ("dataset", pa.string()),
        # provenance
        ("device", pa.string()),
        ("threads", pa.int64()),
        ("torch_version", pa.string()),
        ("ablation_version", pa.string()),
        ("config_hash", pa.string()),
        ("git_commit", pa.string()),
    ]
)
COLUMNS = tuple(METRICS_SCHEMA.names)
# Columns added since the first runs, and the value a run without one had.
ADDED_COLUMNS = {"lr_scale": 1.0, "train_cpu_seconds": float("nan")}  # CPU time: unmeasured


class SchemaError(ValueError):
    """A metrics table that does not follow `METRICS_SCHEMA`."""


def to_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Build a schema-checked Arrow table from row dicts (every column required)."""
    rows = list(rows)
    for i, row in enumerate(rows):
        missing, extra = set(COLUMNS) - set(row), set(row) - set(COLUMNS)
        if missing or extra:
            raise SchemaError(
                f"row {i}: missing columns {sorted(missing)}, unknown {sorted(extra)}"
            )
    columns = {name: [row[name] for row in rows] for name in COLUMNS}
    table = pa.table(columns, schema=METRICS_SCHEMA)
    _check_values(table.to_pandas())
    return table


def _check_values(df: pd.DataFrame) -> None:
    bad_split = set(df["split"]) - set(SPLITS)
    if bad_split:
        raise SchemaError(f"unknown split values {sorted(bad_split)}; allowed: {SPLITS}")
    bad_status = set(df["status"]) - set(STATUSES)
    if bad_status:
        raise SchemaError(f"unknown status values {sorted(bad_status)}; allowed: {STATUSES}")


def write_metrics(rows: Iterable[Mapping[str, Any]], path: str | Path) -> None:
    """Write metrics rows to Parquet atomically, enforcing the schema."""
    write_table(to_table(rows), path)


def write_table(table: pa.Table, path: str | Path) -> None:
    if not table.schema.equals(METRICS_SCHEMA):
        table = table.cast(METRICS_SCHEMA)
    with atomic_write(path) as tmp:
        pq.write_table(table, tmp)


def read_metrics(paths: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """Read one or many metrics files into one DataFrame with the schema's columns."""
    if isinstance(paths, str | Path):
        paths = [paths]
    tables = [pq.read_table(p, schema=METRICS_SCHEMA) for p in paths]
    if not tables:
        return METRICS_SCHEMA.empty_table().to_pandas()
    return with_added_columns(pa.concat_tables(tables).to_pandas())


def with_added_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs written before a column of `ADDED_COLUMNS` existed get the value they trained with."""
    for column, value in ADDED_COLUMNS.items():
        if column in frame:
            frame[column] = frame[column].fillna(value)
        else:
            frame[column] = value
    return frame


def runs_dataset(root: str | Path):
    """Every run's metrics below `root` (results/runs) as one `pyarrow.dataset.Dataset`.

    Run folders are Hive-style `key=value` segments of varying depth (an axis at its
    default is left out); they are read as partitions typed like the metrics columns.
    """
    import pyarrow.dataset as ds

    from ablation.axes import AXES

    partitions = pa.schema([METRICS_SCHEMA.field(axis) for axis in AXES])
    return ds.dataset(
        sorted(str(p) for p in Path(root).rglob(layout.METRICS)),
        schema=METRICS_SCHEMA,
        partitioning=ds.partitioning(partitions, flavor="hive"),
        partition_base_dir=str(root),
    )


def write_frame(df: pd.DataFrame, path: str | Path, csv: bool = False) -> None:
    """Write an analysis table to Parquet (and CSV beside it) atomically."""
    path = Path(path)
    with atomic_write(path) as tmp:
        df.to_parquet(tmp, index=False)
    if csv:
        with atomic_write(path.with_suffix(".csv")) as tmp:
            df.to_csv(tmp, index=False)
