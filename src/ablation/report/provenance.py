"""Where the numbers came from: config, versions, hardware, commit, data checksums, time."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ablation.config import run_id
from ablation.i18n import _

# Columns of the metrics table that describe how a run was made, not what it measured.
RUN_PROVENANCE = ("device", "threads", "torch_version", "ablation_version", "git_commit")


def data_checksums(paths: str | Path | Iterable[str | Path] | None) -> dict[str, str]:
    """The SHA-256 of each original data file, as stored in the compact dataset files.

    With several datasets, each key is prefixed by its dataset (`fashion_mnist/train_images`).
    """
    if paths is None:
        return {}
    paths = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    import torch  # deferred: only this needs it

    out = {}
    for path in filter(Path.exists, paths):
        blob = torch.load(path, weights_only=True, map_location="cpu")
        prefix = f"{path.stem}/" if len(paths) > 1 else ""
        out.update({prefix + k: v for k, v in blob.get("sha256", {}).items()})
    return out


def job_wall_seconds(benchmarks: Iterable[str | Path]) -> dict[str, float]:
    """Wall time of each training job (Snakemake benchmark files), by run id.

    A run id is the run folder (`activation=.../seed=...`); files that do not exist
    (jobs not run, or run elsewhere) are skipped.
    """
    out = {}
    for path in map(Path, benchmarks):
        if not path.is_file():
            continue
        with path.open() as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        if rows and rows[-1].get("s"):
            out[run_id(path)] = float(rows[-1]["s"])
    return out


def run_times(runs: pd.DataFrame, wall: Mapping[str, float]) -> pd.DataFrame:
    """Per run: training seconds (measured by the training loop) and job wall seconds."""
    if runs.empty:
        return pd.DataFrame(columns=["run_id", "status", "train_seconds", "wall_seconds"])
    table = runs[["run_id", "status", "train_seconds"]].copy()
    table["wall_seconds"] = table["run_id"].map(wall).astype(float)
    return table.sort_values("run_id", ignore_index=True)


def run_settings(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    """Each distinct value of the provenance columns, with how many runs had it (a missing
    value reads `unknown`, in the active language)."""
    if metrics.empty:
        return []
    per_run = metrics.drop_duplicates("run_id")
    rows = []
    for column in RUN_PROVENANCE:
        if column in per_run:
            counts = per_run[column].astype("string").fillna(_("unknown")).value_counts()
            rows += [{"what": column, "value": v, "runs": int(n)} for v, n in counts.items()]
    return rows


def config_yaml(study: Mapping[str, Any]) -> str:
    """The validated study config as YAML, defaults included."""
    return yaml.safe_dump(_plain(study), sort_keys=False, default_flow_style=None, width=100)


def _plain(node: Any) -> Any:
    """Snakemake's config objects as plain dicts and lists (safe_dump refuses subclasses)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    return node
