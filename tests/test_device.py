"""Device selection: `auto` (env ABLATION_DEVICE, default) uses CUDA where present, else
the CPU; the workflow records the device and claims a GPU only where there is one."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from ablation.config import grid_cells, run_path, validate_config
from ablation.train import select_device
from conftest import MNIST_RAW, write_config

NO_GPU = {"CUDA_VISIBLE_DEVICES": ""}  # torch then sees no GPU, even on a GPU machine
ONE_RUN = {
    "grid": {
        "activation": ["relu"],
        "optimizer": ["adam"],
        "weight_decay": [0.0],
        "dropout": [0.0],
        "seed": [0],
    },
    "training": {"epochs": 1, "milestones": [1], "train_limit": 500, "validation_size": 500},
    "data": {"local_dir": str(MNIST_RAW)},
}


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}
    )


def test_auto_falls_back_to_the_cpu_without_a_gpu():
    done = _python(
        "from ablation.train import select_device; print(select_device('auto'))", **NO_GPU
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cpu"


def test_auto_takes_cuda_where_torch_sees_it():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto").type == expected


def test_explicit_devices():
    assert select_device("cpu") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="unknown|Expected one of|Invalid device"):
        select_device("tpu-of-dreams")


def test_asking_for_cuda_without_a_gpu_says_how_to_fix_it():
    done = _python("from ablation.train import select_device; select_device('cuda')", **NO_GPU)
    assert done.returncode != 0
    assert "ABLATION_DEVICE" in done.stderr and "auto" in done.stderr and "cpu" in done.stderr


def _run_workflow(workdir, *args, **env) -> subprocess.CompletedProcess:
    """Snakemake with the environment given here (no ABLATION_DEVICE unless passed)."""
    base = {k: v for k, v in os.environ.items() if k != "ABLATION_DEVICE"}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir, capture_output=True, text=True, timeout=600, env={**base, **env},
    )  # fmt: skip


@pytest.mark.workflow
def test_workflow_default_device_without_a_gpu(workdir):
    """Default (auto) without a GPU: jobs claim no GPU, train on the CPU and say so."""
    configfile = write_config(workdir, ONE_RUN)
    run = run_path(grid_cells(validate_config(ONE_RUN))[0])
    target = f"results/runs/{run}/metrics.parquet"
    plan = _run_workflow(workdir, "-n", target, "--configfile", str(configfile), **NO_GPU)
    assert plan.returncode == 0, plan.stderr
    train_job = plan.stdout.split("rule train_pack_")[1].split("\n\n")[0]
    assert "gpu=0" in train_job.replace(" ", "")

    done = _run_workflow(workdir, target, "--configfile", str(configfile), **NO_GPU)
    assert done.returncode == 0, done.stderr
    metrics = pd.read_parquet(workdir / target)
    assert metrics["device"].str.startswith("cpu").all()


@pytest.mark.workflow
def test_workflow_asked_for_cuda_without_a_gpu_fails_with_the_fix(workdir):
    configfile = write_config(workdir, ONE_RUN)
    run = run_path(grid_cells(validate_config(ONE_RUN))[0])
    done = _run_workflow(
        workdir, f"results/runs/{run}/metrics.parquet", "--configfile", str(configfile),
        ABLATION_DEVICE="cuda", **NO_GPU,
    )  # fmt: skip
    assert done.returncode != 0
    [pack_log] = (workdir / "logs" / "train_pack").glob("*.log")  # the job's, of one run
    shown = done.stdout + done.stderr + pack_log.read_text()
    assert "requested (ABLATION_DEVICE or --device) but torch sees no CUDA" in shown
