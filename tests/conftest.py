"""Shared fixtures: real MNIST files, tiny study configs, Snakemake runs in a copy of the repo.

Data comes through the pipeline's own lookup (`ablation.data.find_raw_dir`): the folder
of datasets named by `ABLATION_DATA_DIR`, else a download (torchvision's mirrors and
checksums) into pytest's cache, made once per machine. The folder found is exported as
`ABLATION_DATA_DIR`, so that the Snakemake runs of the tests find it too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
import yaml

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ("Snakefile", "workflow", "config", "profiles", "envs")

TINY_STUDY = {
    "grid": {
        "activation": ["relu", "tanh"],
        "optimizer": ["adam", "sgd"],
        "weight_decay": [0.0],
        "dropout": [0.0],
        "seed": [0, 1],
    },
    "training": {"epochs": 2, "milestones": [1, 2], "train_size": 1000, "validation_size": 1000},
}


@pytest.fixture(scope="session")
def datasets_dir(request) -> Path:
    """A folder of datasets (`<Class>/raw/`), exported as ABLATION_DATA_DIR for every run."""
    from ablation.data import DATA_DIR_ENV

    given = os.environ.get(DATA_DIR_ENV)
    # Absolute: the Snakemake runs of the tests start in other folders.
    folder = Path(given).resolve() if given else request.config.cache.mkdir("datasets")
    os.environ[DATA_DIR_ENV] = str(folder)
    return folder


def raw_files(name: str, cache: Path) -> Path:
    """The raw folder of `name`, by the pipeline's lookup; downloaded into `cache` if absent.

    Fails (never skips) when the files are neither found nor downloadable.
    """
    from ablation.data import DataError, find_raw_dir, prepare_dataset

    if find_raw_dir(name, cache) is None:
        try:
            prepare_dataset(name, cache)
        except DataError as err:
            pytest.fail(f"no {name} files for the tests: {err}")
    return find_raw_dir(name, cache)


@pytest.fixture(scope="session")
def mnist_raw(datasets_dir, request) -> Path:
    """The four original MNIST files (read-only)."""
    return raw_files("mnist", request.config.cache.mkdir("datasets"))


@pytest.fixture(scope="session")
def fashion_raw(datasets_dir, request) -> Path:
    """The four Fashion-MNIST files (read-only)."""
    return raw_files("fashion_mnist", request.config.cache.mkdir("datasets"))


@pytest.fixture(scope="session")
def mnist_file(tmp_path_factory, mnist_raw) -> Path:
    """MNIST prepared once per test session as the pipeline's compact file."""
    from ablation.data import prepare_dataset

    return prepare_dataset("mnist", tmp_path_factory.mktemp("data"), mnist_raw)


@pytest.fixture(scope="session")
def mnist(mnist_file):
    from ablation.data import load_dataset

    return load_dataset(mnist_file)


@pytest.fixture
def workdir(tmp_path, mnist_raw) -> Path:
    """A fresh copy of the workflow (Snakefile, rules, configs, profiles) to run Snakemake in."""
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        elif src.exists():
            shutil.copy2(src, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory, mnist_raw) -> Path:
    """The tiny study run to the end once per session; tests may read it and add files,
    but must not change or delete what it produced."""
    workdir = tmp_path_factory.mktemp("tiny_study")
    for name in WORKFLOW_FILES:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, workdir / name)
    snakemake(workdir, "--configfile", str(write_config(workdir)))
    return workdir


def write_config(workdir: Path, study: dict | None = None, name: str = "study.yaml") -> Path:
    """Write a study config into `workdir` (the tiny study by default)."""
    path = workdir / "config" / name
    path.write_text(yaml.safe_dump(study or TINY_STUDY, sort_keys=False))
    return path


def snakemake(
    workdir: Path, *args: str, check: bool = True, timeout: int = 600, env: dict | None = None
):
    """Run the real Snakemake CLI in `workdir` (on the CPU, unless `env` says otherwise);
    returns the CompletedProcess."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    env = {**os.environ, "ABLATION_DEVICE": "cpu", **(env or {})}
    done = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and done.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def planned_runs(dry_run: str) -> set[str]:
    """The runs a dry run would train in packs: the metrics files its packs write."""
    jobs = re.findall(r"^rule train_pack_\w+:\n(.*?)(?:\n\n|\n\[|\Z)", dry_run, re.M | re.S)
    return {
        run
        for job in jobs
        for line in job.splitlines()
        if line.strip().startswith("output:")
        for run in re.findall(r"results/\.packs/(\S+?)/metrics\.parquet", line)
    }


def planned_jobs(workdir, configfile) -> dict[str, int]:
    """What a dry run would execute, as {rule: count} (every pack as `train_pack`), and
    under "runs" the set of runs it would train."""
    out = snakemake(workdir, "-n", "--configfile", str(configfile)).stdout
    if "Nothing to be done" in out:
        return {}
    stats = out.split("Job stats:")[1].split("total")[0]
    jobs: dict = {}
    for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.M):
        rule = "train_pack" if m[1].startswith("train_pack_") else m[1]
        jobs[rule] = jobs.get(rule, 0) + int(m[2])
    jobs["runs"] = planned_runs(out)
    return jobs


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(20240101)
