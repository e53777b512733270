"""Helpers of the robustness tests: Snakemake started in the background, studies, states."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ablation.config import grid_cells, run_path, validate_config

ONE_CELL = {
    "activation": "relu",
    "optimizer": "adam",
    "weight_decay": 0.0,
    "dropout": 0.2,
    "seed": 0,
}


def study(cell: dict | None = None, **training) -> dict:
    """A one-cell study (the grid holds `cell`), with `training` overrides."""
    cell = cell or ONE_CELL
    return {
        "grid": {axis: [value] for axis, value in cell.items()},
        "training": {
            "epochs": 2,
            "milestones": [1, 2],
            "train_size": 1000,
            "validation_size": 1000,
            **training,
        },
    }


def run_of(config: dict | None = None, cell: dict | None = None) -> str:
    """The run folder of `cell` (ONE_CELL) in the study `config` (`study()`): its sizes too."""
    cell = cell or ONE_CELL
    cells = grid_cells(validate_config(config or study()))
    return run_path(next(c for c in cells if all(c[k] == v for k, v in cell.items())))


def run_dir(workdir: Path, cell: dict | None = None, config: dict | None = None) -> Path:
    return workdir / "results" / "runs" / run_of(config, cell)


def state_file(workdir: Path, cell: dict | None = None, config: dict | None = None) -> Path:
    return workdir / "results" / ".resume" / run_of(config, cell) / "state.pt"


def start_snakemake(workdir: Path, *args: str) -> subprocess.Popen:
    """The real Snakemake CLI in the background, in its own process group (to kill it whole)."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    env = dict(os.environ, ABLATION_DEVICE="cpu")
    return subprocess.Popen(
        cmd,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def saved_epoch(path: Path) -> int:
    """Epochs done according to a resume state (0 when there is none yet)."""
    try:
        return int(torch.load(path, map_location="cpu", weights_only=True)["epoch"])
    except FileNotFoundError:
        return 0


def wait_for(condition, proc: subprocess.Popen, timeout: float = 120.0, what: str = "") -> None:
    """Poll `condition()` until true; fail if `proc` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended before {what}:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def valid(config: dict) -> dict:
    return validate_config(config, source="test")


@pytest.fixture
def one_thread():
    """Train in-process on one thread, as every training job does (and fast on busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
