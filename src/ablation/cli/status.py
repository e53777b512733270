"""Where a study stands: which grid cells are done, diverged, stale, running, interrupted
or missing, and how long the rest takes; read from the files Snakemake and the training
jobs leave behind (nothing is launched). It follows Snakemake's own rerun triggers, so it
agrees with ``snakemake -n``. What each state means and how the time left is estimated:
docs/command-line.md, "ablation status".
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ablation import layout
from ablation.cli.drift import mark_code_drift
from ablation.cli.snakemake_files import (
    incomplete_markers,
    job_seconds,
    locked_outputs,
    marker_file,
)
from ablation.config import TRAIN_IMAGES, TrainConfig, grid_cells, run_config, run_path
from ablation.console import format_duration

STATES = ("done", "diverged", "stale", "running", "interrupted", "missing")
STALLED_AFTER = 600.0  # seconds without a sign of life before a marked run counts as interrupted
_METRICS_COLUMNS = [
    "epoch", "split", "accuracy", "train_seconds", "status", "train_size", "config_hash",
    "git_commit", "device",
]  # fmt: skip


# ---------------------------------------------------------------------------- one cell


@dataclass
class CellStatus:
    """The state of one grid cell, and what is known about its progress."""

    run: str  # the run path, e.g. activation=relu/optimizer=adam/...
    cell: dict[str, Any]
    state: str
    epochs: int  # what the current config asks for
    epoch: int | None = None  # epochs trained so far (or in the stored run)
    reasons: list[str] = field(default_factory=list)  # why stale / interrupted
    test_accuracy: float | None = None
    train_seconds: float | None = None
    seconds_per_image_epoch: float | None = None  # measured training speed
    overhead_seconds: float | None = None  # its job's wall time beyond training (benchmark)
    epochs_left: int = 0
    code: str = "unknown"  # same | changed | unknown (the git check for code drift)
    git_commit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            **self.cell,
            "state": self.state,
            "epoch": self.epoch,
            "epochs": self.epochs,
            "epochs_left": self.epochs_left,
            "reasons": self.reasons,
            "test_accuracy": self.test_accuracy,
            "train_seconds": self.train_seconds,
            "code": self.code,
            "git_commit": self.git_commit,
        }


@dataclass
class Workspace:
    """Paths and Snakemake bookkeeping of one project folder, read once."""

    root: Path
    data_root: Path  # the prepared datasets, one file each
    incomplete: set[str]  # output paths Snakemake has marked incomplete
    locked: set[str]  # output paths a Snakemake process has locked
    now: float = field(default_factory=time.time)
    stalled_after: float = STALLED_AFTER

    def data_file(self, dataset: str) -> Path:
        return self.data_root / f"{dataset}.pt"

    def run_dir(self, run: str) -> Path:
        return self.root / layout.run_dir(run)

    def outputs(self, run: str) -> list[Path]:
        return [self.run_dir(run) / name for name in layout.RUN_OUTPUTS]

    def state_file(self, run: str) -> Path:
        return self.root / layout.state_file(run)

    def log_file(self, run: str) -> Path:
        return self.root / layout.run_log(run)

    def benchmark(self, run: str) -> Path:
        return self.root / layout.run_benchmark(run)

    def job_outputs(self, run: str) -> list[Path]:
        """The run's outputs and those its training pack writes for it (ablation.packs)."""
        packed = [self.root / layout.packed_dir(run) / name for name in layout.RUN_OUTPUTS]
        return [*self.outputs(run), *packed, self.root / layout.trained_stamp(run)]

    def marked(self, run: str) -> list[Path]:
        return [p for p in self.job_outputs(run) if _relative(p, self.root) in self.incomplete]

    def is_locked(self, run: str) -> bool:
        return any(_relative(p, self.root) in self.locked for p in self.job_outputs(run))


def cell_status(ws: Workspace, study: dict, cell: dict[str, Any]) -> CellStatus:
    """Classify one grid cell (see the module docstring for the rules)."""
    cfg = run_config(study, cell)
    run = run_path(cell)
    status = CellStatus(run=run, cell=cell, state="missing", epochs=cfg.epochs)
    outputs = ws.outputs(run)
    state_file = ws.state_file(run)
    marked = ws.marked(run)
    if marked:
        _resume_progress(status, state_file, cfg)
        idle = ws.now - _last_sign_of_life(ws, run, marked)
        if ws.is_locked(run) and idle <= ws.stalled_after:
            status.state = "running"
        elif ws.is_locked(run):
            status.state = "interrupted"
            status.reasons.append(
                f"no progress for {format_duration(idle)} although Snakemake's lock is held "
                "(a killed Snakemake leaves its lock behind)"
            )
        else:
            status.state = "interrupted"
        _note_resume(status)
        return status
    # Whoever stopped the job: Ctrl-C, a kill, a lost node. Before the outputs: a pack
    # retrains a run while its old files stay in place until the new ones are moved in.
    if state_file.exists():
        status.state = "interrupted"
        _resume_progress(status, state_file, cfg)
        _note_resume(status)
        return status
    if layout.is_finished(ws.run_dir(run)):
        _read_run(status, outputs[0], cfg)
        _check_fresh(status, ws.data_file(cfg.dataset), ws.root, outputs)
        if status.state == "stale" and _resumable(state_file, cfg):  # retraining was cut off
            status.state, status.reasons = "interrupted", []
            _resume_progress(status, state_file, cfg)
            _note_resume(status)
            return status
        status.epochs_left = cfg.epochs if status.state == "stale" else 0
        wall = job_seconds(ws.benchmark(run))
        if wall is not None and status.train_seconds is not None and wall > status.train_seconds:
            status.overhead_seconds = wall - status.train_seconds
        return status
    status.epochs_left = cfg.epochs
    if any(p.exists() for p in outputs):
        status.reasons.append("some outputs are missing")
    return status


def _resumable(state_file: Path, cfg: TrainConfig) -> bool:
    """Whether the next run of `cfg` resumes from `state_file` (its config, readable)."""
    if not state_file.exists():
        return False
    blob = _load_state(state_file)
    return blob is not None and blob.get("config_hash") == cfg.hash()


def _note_resume(status: CellStatus) -> None:
    if status.state == "interrupted" and status.epoch:
        status.reasons.insert(
            0, f"interrupted at epoch {status.epoch}: the next `snakemake` resumes there"
        )


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _last_sign_of_life(ws: Workspace, run: str, marked: list[Path]) -> float:
    """The newest change to the run's log, resume state or Snakemake's markers."""
    candidates = [ws.log_file(run), ws.state_file(run)]
    candidates += [marker_file(ws.root, _relative(p, ws.root)) for p in marked]
    times = [p.stat().st_mtime for p in candidates if p.exists()]
    return max(times, default=0.0)


def _resume_progress(status: CellStatus, state_file: Path, cfg: TrainConfig) -> None:
    """Epochs done according to the resume state (saved as the run trains)."""
    status.epochs_left = cfg.epochs
    if not state_file.exists():
        status.epoch = 0
        return
    blob = _load_state(state_file)
    if blob is None:
        status.reasons.append(f"unreadable resume state {state_file.name}: training restarts")
        return
    if blob.get("config_hash") != cfg.hash():
        status.epoch = 0
        status.reasons.append("resume state belongs to another config: training restarts")
        return
    status.epoch = int(blob.get("epoch", 0))
    status.epochs_left = max(0, cfg.epochs - status.epoch)
    seconds = float(blob.get("train_seconds", 0.0))
    if status.epoch > 0 and seconds > 0:
        status.seconds_per_image_epoch = seconds / (status.epoch * train_images(cfg))


def _load_state(path: Path) -> dict | None:
    import torch  # deferred: most cells need no resume state

    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a state being replaced right now, or damaged: report, never crash
        return None
    return blob if isinstance(blob, dict) else None


def _read_run(status: CellStatus, metrics: Path, cfg: TrainConfig) -> None:
    """Outcome, accuracy, timing and provenance from the run's metrics file."""
    try:
        frame = pq.read_table(metrics, columns=_METRICS_COLUMNS).to_pandas()
    except Exception as err:  # pyarrow raises many kinds for a damaged file
        status.state = "stale"
        status.reasons.append(
            f"unreadable {metrics.name} ({type(err).__name__}); delete the run folder to retrain"
        )
        return
    if frame.empty:
        status.state = "stale"
        status.reasons.append(f"empty {metrics.name}; delete the run folder to retrain")
        return
    first = frame.iloc[0]
    status.state = "diverged" if first["status"] == "diverged" else "done"
    running = frame[frame["split"] == "train_running"]
    status.epoch = int(running["epoch"].max()) if len(running) else None
    test = frame[frame["split"] == "test"]
    if len(test):
        status.test_accuracy = float(test.loc[test["epoch"].idxmax(), "accuracy"])
    if len(running) and status.epoch:
        status.train_seconds = float(running["train_seconds"].max())
        images = int(first["train_size"]) if first["train_size"] else train_images(cfg)
        if status.train_seconds > 0:
            status.seconds_per_image_epoch = status.train_seconds / (status.epoch * images)
    commit = first["git_commit"]
    status.git_commit = commit if isinstance(commit, str) else None  # None reads back as NaN
    if first["config_hash"] != cfg.hash():
        status.state = "stale"
        status.reasons.append("config changed" + _config_diff(metrics.parent / layout.MODEL, cfg))


def _config_diff(model: Path, cfg: TrainConfig) -> str:
    """`: optimizer_kwargs.lr 0.1 -> 0.05, ...` from the config stored in the checkpoint."""
    from ablation.training.checkpoint import CheckpointError, read_checkpoint

    try:
        _, info = read_checkpoint(model)
    except CheckpointError:
        return ""
    old = _flatten(info.get("config", {}))
    new = _flatten(cfg.to_dict())
    changes = [
        f"{key} {_short(old.get(key, '-'))} -> {_short(new.get(key, '-'))}"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
    return f": {', '.join(changes)}" if changes else ""


def _short(value: Any) -> str:
    """A value for a one-line message: long sequences keep their ends, e.g. `(1, 2, ..., 100)`."""
    if isinstance(value, tuple) and len(value) > 5:
        return f"({value[0]}, {value[1]}, ..., {value[-1]})"
    return str(value)


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in d.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = tuple(value) if isinstance(value, list) else value
    return flat


def _check_fresh(status: CellStatus, data: Path, root: Path, outputs: list[Path]) -> None:
    """Snakemake's mtime trigger: the run's dataset file newer than its outputs. (A changed
    script retrains nothing: a checkout touches every script.)"""
    oldest = min(p.stat().st_mtime for p in outputs)
    if data.exists() and data.stat().st_mtime > oldest:
        status.state = "stale"
        status.reasons.append(f"{_relative(data, root)} is newer than the run")


def train_images(cfg: TrainConfig) -> int:
    """How many images one epoch of `cfg` trains on."""
    available = TRAIN_IMAGES - cfg.validation_size
    return min(available, cfg.train_size) if cfg.train_size is not None else available


# ---------------------------------------------------------------------------- the study


@dataclass
class StudyStatus:
    """Every cell's state, the runs outside the grid, and the time left."""

    sources: str
    study: dict
    cells: list[CellStatus]
    outside_grid: list[str]
    seconds_per_image_epoch: float | None  # median training speed of measured runs
    measured_runs: int
    warnings: list[str]
    head_commit: str | None = None
    seconds_per_job: float | None = None  # median start-up + evaluation + writing of a job
    measured_jobs: int = 0

    def counts(self) -> dict[str, int]:
        found = Counter(c.state for c in self.cells)
        return {state: found.get(state, 0) for state in STATES}

    def remaining(self) -> list[CellStatus]:
        """Cells Snakemake will (re)train or is training."""
        return [c for c in self.cells if c.state in ("stale", "running", "interrupted", "missing")]

    def job_seconds_left(self, cell: CellStatus) -> float:
        """Wall time still to come of one cell's job: its training left at the measured
        speed, plus the measured start-up, evaluation and writing of a job."""
        images = train_images(run_config(self.study, cell.cell))
        training = cell.epochs_left * images * (self.seconds_per_image_epoch or 0.0)
        return training + (self.seconds_per_job or 0.0)

    def seconds_left(self, cores: int = 1) -> float | None:
        """Wall time of the jobs still to run with `cores` one-thread jobs at once: their
        total shared out, never less than the longest; None until a run has been measured."""
        if self.seconds_per_image_epoch is None:
            return None
        jobs = [self.job_seconds_left(c) for c in self.remaining()]
        if not jobs:
            return 0.0
        return max(sum(jobs) / min(cores, len(jobs)), max(jobs))

    def drifted(self) -> list[CellStatus]:
        return [c for c in self.cells if c.code == "changed" and c.state in ("done", "diverged")]

    def to_dict(self, cores: int = 1) -> dict[str, Any]:
        return {
            "config": self.sources,
            "cells": [c.to_dict() for c in self.cells],
            "counts": self.counts(),
            "total": len(self.cells),
            "remaining_runs": len(self.remaining()),
            "seconds_left": self.seconds_left(),
            "cores": cores,
            "seconds_left_parallel": self.seconds_left(cores),
            "seconds_per_image_epoch": self.seconds_per_image_epoch,
            "measured_runs": self.measured_runs,
            "seconds_per_job": self.seconds_per_job,
            "measured_jobs": self.measured_jobs,
            "outside_grid": self.outside_grid,
            "code_drift": [c.run for c in self.drifted()],
            "head_commit": self.head_commit,
            "warnings": self.warnings,
        }


def study_status(
    root: str | Path,
    study: dict,
    sources: str = "config",
    now: float | None = None,
    stalled_after: float = STALLED_AFTER,
    on_cell: Callable[[], None] | None = None,
) -> StudyStatus:
    """The state of every grid cell of `study` in the project folder `root`.

    Parameters
    ----------
    root : the folder Snakemake runs in (holds results/, logs/, .snakemake/).
    study : the validated config (`load_study`).
    sources : the config files, for the report.
    now : the time to judge freshness against (default: now).
    stalled_after : seconds without progress after which a marked run counts as interrupted.
    on_cell : called after each cell (progress display).
    """
    root = Path(root)
    ws = Workspace(
        root=root,
        data_root=root / study["data"]["root"],
        incomplete=incomplete_markers(root),
        locked=locked_outputs(root),
        now=time.time() if now is None else now,
        stalled_after=stalled_after,
    )
    cells = []
    for cell in grid_cells(study):
        cells.append(cell_status(ws, study, cell))
        if on_cell is not None:
            on_cell()
    warnings = _check_data_missing(ws, cells)
    if ws.locked and not any(c.state == "running" for c in cells):
        warnings.append(
            "a Snakemake lock is held in .snakemake/locks/ but no run makes progress: if no "
            "Snakemake runs in this folder, release it with `snakemake --unlock`"
        )
    head = mark_code_drift(root, cells)
    rates = [c.seconds_per_image_epoch for c in cells if c.seconds_per_image_epoch]
    overheads = [c.overhead_seconds for c in cells if c.overhead_seconds is not None]
    return StudyStatus(
        sources=sources,
        study=study,
        cells=cells,
        outside_grid=_outside_grid(root, {c.run for c in cells}),
        seconds_per_image_epoch=statistics.median_high(rates) if rates else None,
        measured_runs=len(rates),
        warnings=warnings,
        head_commit=head,
        seconds_per_job=statistics.median(overheads) if overheads else None,
        measured_jobs=len(overheads),
    )


def _check_data_missing(ws: Workspace, cells: list[CellStatus]) -> list[str]:
    """Without a dataset file, any run of it still to train makes Snakemake prepare it
    anew, and the new file makes it retrain every finished run of that dataset as well."""
    warnings = []
    for dataset in sorted({c.cell["dataset"] for c in cells}):
        if ws.data_file(dataset).exists():
            continue
        data = _relative(ws.data_file(dataset), ws.root)
        own = [c for c in cells if c.cell["dataset"] == dataset]
        to_train = [c for c in own if c.state in ("stale", "interrupted", "missing")]
        trained = [c for c in own if c.state in ("done", "diverged")]
        if not to_train or not trained:
            continue
        for cell in trained:
            cell.state = "stale"
            cell.epochs_left = cell.epochs
            cell.reasons.append(f"{data} is missing: prepared anew for the other runs, then newer")
        warnings.append(
            f"{data} is missing: Snakemake prepares it again for the {len(to_train)} runs "
            f"still to train, and then retrains the {len(trained)} finished runs too; to keep "
            "them, restore the file before running Snakemake"
        )
    return warnings


def _outside_grid(root: Path, runs: set[str]) -> list[str]:
    """Finished runs on disk whose cell is not in the current grid."""
    base = root / layout.RUNS
    # Folders of any depth: an axis at its default is not in the path.
    found = (p.parent.relative_to(base).as_posix() for p in base.rglob(layout.METRICS))
    return sorted(run for run in found if run not in runs)
