"""Device selection: `auto` (env ABLATION_DEVICE, default) uses CUDA where present, else
the CPU; the workflow records the device and claims a GPU only where there is one."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from ablation.config import TrainConfig, grid_cells, run_path, validate_config
from ablation.training.checkpoint import load_model
from ablation.training.job import run_job
from ablation.training.loop import select_device
from conftest import write_config


def gpu(test):
    """Marked `gpu`; runs where torch sees CUDA, skipped (saying so) elsewhere."""
    no_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA GPU")
    return pytest.mark.gpu(no_cuda(test))


NO_GPU = {"CUDA_VISIBLE_DEVICES": ""}  # torch then sees no GPU, even on a GPU machine
ONE_RUN = {
    "grid": {
        "activation": ["relu"],
        "optimizer": ["adam"],
        "weight_decay": [0.0],
        "dropout": [0.0],
        "seed": [0],
    },
    "training": {"epochs": 1, "milestones": [1], "train_size": 500, "validation_size": 500},
}


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}
    )


def test_auto_falls_back_to_the_cpu_without_a_gpu():
    done = _python(
        "from ablation.training.loop import select_device; print(select_device('auto'))", **NO_GPU
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cpu"


def test_an_unknown_device_is_refused():
    with pytest.raises(RuntimeError, match="unknown|Expected one of|Invalid device"):
        select_device("tpu-of-dreams")


def test_asking_for_cuda_without_a_gpu_says_how_to_fix_it():
    done = _python(
        "from ablation.training.loop import select_device; select_device('cuda')", **NO_GPU
    )
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


@gpu
def test_a_run_trains_on_the_gpu_and_matches_the_cpu(mnist_file, tmp_path):
    """device=auto on a CUDA machine: the run trains on the GPU, says so in its metrics,
    reaches the CPU's accuracy (equal up to CUDA's non-determinism) and its checkpoint
    loads on a machine without a GPU."""
    cfg = TrainConfig(epochs=2, milestones=(1, 2), train_size=5000, validation_size=1000)
    finals, threads = {}, torch.get_num_threads()
    for device in ("auto", "cpu"):
        out = tmp_path / device
        try:
            run_job(cfg, mnist_file, out / "metrics.parquet", out / "model.pt",
                    out / "confusion.parquet", out / "state.pt", device=device)  # fmt: skip
        finally:
            torch.set_num_threads(threads)  # run_job sets one thread, as a job does
        metrics = pd.read_parquet(out / "metrics.parquet")
        test = metrics[(metrics["split"] == "test") & (metrics["epoch"] == 2)]
        finals[device] = (metrics["device"].iloc[0], float(test["accuracy"].iloc[0]))
    assert finals["auto"][0].startswith("cuda:") and finals["cpu"][0].startswith("cpu:")
    assert finals["auto"][1] > 0.85
    assert abs(finals["auto"][1] - finals["cpu"][1]) < 0.02
    model, info = load_model(tmp_path / "auto" / "model.pt")  # on the CPU
    assert next(model.parameters()).device.type == "cpu" and info["final_epoch"] == 2


@gpu
@pytest.mark.workflow
def test_workflow_claims_the_gpu_where_there_is_one(workdir):
    """With a GPU, packs planned for it claim gpu=1 and train there. One tiny run is
    cheaper on a core than a CUDA start (auto plans it for the CPU), so the test asks
    for the GPU (ABLATION_DEVICE=cuda) and checks the run's metrics say cuda."""
    configfile = write_config(workdir, ONE_RUN)
    run = run_path(grid_cells(validate_config(ONE_RUN))[0])
    target = f"results/runs/{run}/metrics.parquet"
    args = (target, "--configfile", str(configfile))
    plan = _run_workflow(workdir, "-n", *args, ABLATION_DEVICE="cuda")
    assert plan.returncode == 0, plan.stderr
    train_job = plan.stdout.split("rule train_pack_")[1].split("\n\n")[0]
    assert "gpu=1" in train_job.replace(" ", "")
    done = _run_workflow(workdir, *args, ABLATION_DEVICE="cuda")
    assert done.returncode == 0, done.stderr
    device = pd.read_parquet(workdir / target)["device"].iloc[0]
    assert device.startswith("cuda:")
