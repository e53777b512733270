"""`ablation status` against real Snakemake runs of a tiny study, cross-checked with Snakemake."""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ablation.config import run_config, run_path
from ablation.data import load_dataset
from ablation.study import load_study
from ablation.training.loop import train
from cli_helpers import ablation, ablation_json, assert_user_error
from conftest import REPO, snakemake, write_config

pytestmark = pytest.mark.workflow

# Two cells: identity + SGD at lr 1e6 diverges in its first epoch; identity + Adam trains.
STUDY = {
    "grid": {
        "activation": ["identity"],
        "optimizer": ["adam", "sgd"],
        "weight_decay": [0.0],
        "dropout": [0.0],
        "seed": [0],
    },
    "optimizers": {"sgd": {"class": "SGD", "lr": 1.0e6}},
    "training": {"epochs": 2, "milestones": [1, 2], "train_size": 1000, "validation_size": 1000},
}
CONFIG = "config/study.yaml"


def run_of(optimizer: str, seed: int) -> str:
    cell = {"activation": "identity", "optimizer": optimizer, "weight_decay": 0.0, "dropout": 0.0}
    return run_path({**cell, "seed": seed, "train_size": 1000, "validation_size": 1000})


def status(workdir: Path, *args: str) -> dict:
    report = ablation_json("status", "--configfile", CONFIG, *args, cwd=workdir)
    report["by_run"] = {c["run"]: c for c in report["cells"]}
    return report


def study_cells(study: dict) -> list[dict]:
    """The grid cells of `study` over the default config, as Snakemake merges them."""
    import yaml
    from snakemake.utils import update_config

    from ablation.config import grid_cells, validate_config

    merged = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(merged, copy.deepcopy(study))
    return grid_cells(validate_config(merged, source="test"))


def train_targets(study: dict) -> list[str]:
    return [f"results/runs/{run_path(c)}/metrics.parquet" for c in study_cells(study)]


def snakemake_would_train(workdir: Path, study: dict) -> int:
    """How many training jobs a dry run of Snakemake schedules for the study's cells."""
    done = snakemake(workdir, "-n", *train_targets(study), "--configfile", CONFIG)
    found = re.search(r"^train_model\s+(\d+)$", done.stdout, re.MULTILINE)
    return int(found.group(1)) if found else 0


def interrupted_state(workdir: Path, optimizer: str, seed: int) -> Path:
    """A real resume state: train the cell under the current config, stop after epoch 1."""
    study, _ = load_study([workdir / "config" / "config.yaml", workdir / CONFIG])
    cell = {"activation": "identity", "optimizer": optimizer, "weight_decay": 0.0, "dropout": 0.0}
    cfg = run_config(study, {**cell, "seed": seed})
    state = workdir / "results" / ".resume" / run_of(optimizer, seed) / "state.pt"
    state.parent.mkdir(parents=True)

    def stop_once_saved(summary: dict) -> None:
        if state.exists():  # the state of the first epoch is on disk
            raise KeyboardInterrupt

    data = load_dataset(workdir / "results" / "data" / "mnist.pt")
    with pytest.raises(KeyboardInterrupt):
        train(cfg, data, "cpu", state_path=state, on_epoch=stop_once_saved)
    return state


def run_rate(workdir: Path, run: str) -> float:
    """Training seconds per image and epoch of a finished run, from its metrics file."""
    m = pq.read_table(workdir / "results" / "runs" / run / "metrics.parquet").to_pandas()
    m = m[m["split"] == "train_running"]
    last = m.loc[m["epoch"].idxmax()]
    return last["train_seconds"] / (last["epoch"] * last["train_size"])


def state_rate(state: Path, images: int) -> float:
    """The same, of an interrupted run, from its resume state."""
    import torch

    blob = torch.load(state, weights_only=True)
    return blob["train_seconds"] / (blob["epoch"] * images)


def test_status_follows_the_grid_through_a_study(workdir):
    study = copy.deepcopy(STUDY)
    write_config(workdir, study)
    snakemake(workdir, *train_targets(study), "--configfile", CONFIG)

    # 1. Everything trained: one done, one diverged; nothing left.
    report = status(workdir, "--all")
    assert report["counts"] == {
        "done": 1, "diverged": 1, "stale": 0, "running": 0, "interrupted": 0, "missing": 0,
    }  # fmt: skip
    assert report["by_run"][run_of("adam", 0)]["state"] == "done"
    assert report["by_run"][run_of("sgd", 0)]["state"] == "diverged"
    assert report["remaining_runs"] == 0 and report["seconds_left"] == 0
    assert report["by_run"][run_of("adam", 0)]["test_accuracy"] > 0.5
    data = workdir / "results" / "data" / "mnist.pt"
    data.rename(data.with_suffix(".away"))  # nothing to train: Snakemake needs no data file
    assert status(workdir)["counts"]["done"] == 1
    data.with_suffix(".away").rename(data)

    # 2. A new seed, a changed preset and a run stopped after its first epoch.
    study["grid"]["seed"] = [0, 1]
    study["optimizers"]["adam"] = {"class": "Adam", "lr": 0.002}
    write_config(workdir, study)
    state = interrupted_state(workdir, "adam", 1)
    report = status(workdir)
    cells = report["by_run"]
    changed = cells[run_of("adam", 0)]
    assert changed["state"] == "stale"
    assert any("optimizer_kwargs.lr 0.001 -> 0.002" in r for r in changed["reasons"])
    assert cells[run_of("sgd", 0)]["state"] == "diverged"  # its config did not change
    assert cells[run_of("sgd", 1)]["state"] == "missing"
    resumed = cells[run_of("adam", 1)]
    assert (resumed["state"], resumed["epoch"], resumed["epochs_left"]) == ("interrupted", 1, 1)
    assert report["remaining_runs"] == 3
    assert snakemake_would_train(workdir, study) == 3  # Snakemake agrees on what it will run
    # Time left: the stale and the missing run in full, the interrupted one from epoch 2, at
    # the median training speed of the three measured runs.
    # Each job also pays its start-up, evaluation and writing: the median of the finished
    # jobs' wall time (Snakemake's benchmark files) beyond their training time.
    rates = [run_rate(workdir, run_of("adam", 0)), run_rate(workdir, run_of("sgd", 0))]
    rate = sorted([*rates, state_rate(state, images=1000)])[1]
    overhead = sum(job_overhead(workdir, run_of(o, 0)) for o in ("adam", "sgd")) / 2
    assert overhead > 1  # a job's start-up alone (Python, torch, the data) takes seconds
    assert report["measured_runs"] == 3 and report["measured_jobs"] == 2
    assert report["seconds_per_image_epoch"] == pytest.approx(rate, rel=1e-9)
    assert report["seconds_per_job"] == pytest.approx(overhead, rel=1e-9)
    left = (2 + 2 + 1) * 1000 * rate + 3 * overhead
    assert report["seconds_left"] == pytest.approx(left, rel=1e-9)

    # Without the data file, the runs to train make Snakemake prepare it anew, and the new file
    # makes it retrain the finished runs as well.
    data.rename(data.with_suffix(".away"))
    report = status(workdir)
    data.with_suffix(".away").rename(data)
    assert report["counts"]["stale"] == 2 and report["remaining_runs"] == 4
    assert any("mnist.pt is missing" in w for w in report["warnings"])

    # 3. A checkout touches the scripts: nothing retrains. A newer dataset file retrains
    # every finished run (Snakemake's mtime trigger).
    later = time.time() + 5
    script = workdir / "workflow" / "scripts" / "train_pack.py"
    counts = status(workdir)["counts"]
    os.utime(script, (later, later))
    assert status(workdir)["counts"] == counts and counts["stale"] == 1  # the changed preset
    os.utime(data, (later, later))
    text = ablation("status", "--configfile", CONFIG, "--all", "--cores", "2", cwd=workdir)
    assert text.returncode == 0, text.stderr
    assert "2 stale, 1 interrupted, 1 missing" in text.stdout
    assert "mnist.pt is newer than the run" in text.stdout
    assert "left    4 runs; about" in text.stdout and "with --cores 2" in text.stdout
    [row] = [line for line in text.stdout.splitlines() if line.startswith("interrupted ")]
    assert " 1/2 " in row and " adam " in row

    # 4. A long run: seen running while it trains, interrupted (resumable) after Ctrl-C.
    study["training"]["epochs"] = 5000
    write_config(workdir, study)
    running, stopped = run_and_interrupt(workdir, study, "adam", 1)
    assert running["state"] == "running" and running["epoch"] >= 1
    assert stopped["state"] == "interrupted" and stopped["epoch"] >= running["epoch"]
    assert stopped["epochs_left"] == 5000 - stopped["epoch"]

    # 5. A training job killed while Snakemake goes on with another job: interrupted at the
    # epoch of its resume state, whoever killed it.
    killed, other = kill_one_job(workdir, study, ["adam"], seeds=[0, 1])
    assert killed["state"] == "interrupted" and killed["epoch"] >= 1
    assert killed["reasons"][0].startswith(f"interrupted at epoch {killed['epoch']}")
    assert other["state"] == "running"


def run_and_interrupt(workdir: Path, study: dict, optimizer: str, seed: int) -> tuple[dict, dict]:
    """Start Snakemake on one cell, catch it training, stop it with Ctrl-C.

    Returns the cell's status while running and after the stop.
    """
    cells = study_cells(study)
    [target] = [t for t, c in zip(train_targets(study), cells, strict=True)
                if (c["optimizer"], c["seed"]) == (optimizer, seed)]  # fmt: skip
    run = run_of(optimizer, seed)
    log = workdir / "logs" / "train_model" / f"{run}.log"
    epochs = study["training"]["epochs"]
    # Ctrl-C reaches Snakemake and its job alike: their process group gets SIGINT.
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", target, "--configfile", CONFIG],
        cwd=workdir, env=dict(os.environ, ABLATION_DEVICE="cpu"), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not (log.exists() and f"epoch 2/{epochs}" in log.read_text()):
            assert proc.poll() is None, "snakemake ended early"
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.2)
        running = status(workdir)["by_run"][run]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
    return running, status(workdir)["by_run"][run]


def job_overhead(workdir: Path, run: str) -> float:
    """Wall seconds of a finished job beyond its training, from Snakemake's benchmark file."""
    bench = (workdir / "benchmarks" / "train_model" / f"{run}.tsv").read_text().splitlines()
    wall = float(dict(zip(bench[0].split("\t"), bench[-1].split("\t"), strict=True))["s"])
    m = pq.read_table(workdir / "results" / "runs" / run / "metrics.parquet").to_pandas()
    return wall - m.loc[m["split"] == "train_running", "train_seconds"].max()


def training_jobs(workdir: Path) -> dict[int, str]:
    """The training jobs running in `workdir`: process id -> the run whose log it holds open."""
    jobs = {}
    logs = workdir / "logs" / "train_model"
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            targets = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue  # gone, or not ours
        for target in targets:
            if target.startswith(str(logs)) and target.endswith(".log"):
                jobs[int(proc.name)] = target[len(str(logs)) + 1 : -len(".log")]
    return jobs


def kill_one_job(workdir: Path, study: dict, optimizers: list, seeds: list) -> tuple[dict, dict]:
    """Train two cells one after the other; SIGKILL the first job once it has saved an epoch,
    let Snakemake start the second. Returns both cells' status at that moment."""
    cells = study_cells(study)
    targets = [t for t, c in zip(train_targets(study), cells, strict=True)
               if c["optimizer"] in optimizers and c["seed"] in seeds]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--keep-going", *targets,
         "--configfile", CONFIG],
        # One job per run (no packs): killing a job kills exactly one run.
        cwd=workdir, env=dict(os.environ, ABLATION_DEVICE="cpu", ABLATION_PACK_SIZE="1"),
        start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        first = wait_for(lambda: training_jobs(workdir), "no training job started")
        [(pid, run)] = first.items()
        log = workdir / "logs" / "train_model" / f"{run}.log"
        lines = len(log.read_text().splitlines())
        new_epochs = lambda: log.read_text().splitlines()[lines:]  # noqa: E731
        wait_for(lambda: sum(" epoch " in line for line in new_epochs()) >= 2, "no epoch saved")
        os.kill(pid, signal.SIGKILL)
        others = wait_for(
            lambda: {p: r for p, r in training_jobs(workdir).items() if r != run},
            "Snakemake did not go on with the other job",
        )
        report = status(workdir)["by_run"]
        return report[run], report[next(iter(others.values()))]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)


def wait_for(found, failure: str, seconds: float = 240):
    deadline = time.monotonic() + seconds
    while not (result := found()):
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)
    return result


def test_status_errors_name_the_file_and_the_fix(workdir):
    missing = ablation("status", "--configfile", "config/nope.yaml", cwd=workdir)
    assert_user_error(missing, "config/nope.yaml", "file not found")
    bad = copy.deepcopy(STUDY)
    bad["grid"]["activation"] = ["relux"]
    write_config(workdir, bad)
    assert_user_error(
        ablation("status", "--configfile", CONFIG, cwd=workdir), CONFIG, "grid.activation", "relu"
    )
    assert_user_error(ablation("status", "-d", workdir / "absent"), "absent", "project folder")
    assert_user_error(ablation("status", "--cores", "0", cwd=workdir), "--cores")


def test_finished_runs_outside_the_grid_are_found_at_any_depth(tmp_path):
    """Run folders name an axis only off its default, so they differ in depth."""
    from ablation.cli.status import _outside_grid

    base = "activation=relu/optimizer=adam/weight_decay=0.0/dropout=0.0"
    runs = [f"{base}/seed=0", f"{base}/hidden_size=64/seed=0", f"dataset=kmnist/{base}/seed=1"]
    for run in runs:
        (tmp_path / "results" / "runs" / run).mkdir(parents=True)
        (tmp_path / "results" / "runs" / run / "metrics.parquet").touch()
    assert _outside_grid(tmp_path, {runs[0]}) == sorted(runs[1:])
