"""Growing a real study by new axes: only the new cells are planned and trained, the old
runs stay byte for byte; a second dataset gets its own data file and run folders."""

from __future__ import annotations

import copy
import hashlib
import re
import shutil

import pandas as pd
import pytest

from ablation.config import grid_cells, run_path, validate_config
from ablation.metrics import runs_dataset
from conftest import TINY_STUDY, snakemake, write_config

pytestmark = pytest.mark.workflow


def overlay(**grid) -> dict:
    study = copy.deepcopy(TINY_STUDY)
    study["grid"].update(activation=["relu"], seed=[0], **grid)
    return study


def runs_of(study: dict) -> set[str]:
    return {run_path(cell) for cell in grid_cells(validate_config(study))}


def fingerprint(folder) -> dict[str, tuple[str, int]]:
    """Content hash and modification time of every file below `folder`."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def jobs_of(workdir, configfile, *flags: str) -> tuple[dict[str, int], set[str]]:
    """Snakemake to the metrics table: its jobs by rule, and the run folders it trains."""
    out = snakemake(workdir, *flags, "results/metrics.parquet", "--configfile", str(configfile))
    out = out.stdout + out.stderr
    if "Nothing to be done" in out:
        return {}, set()
    stats = out.split("Job stats:")[1].split("total")[0]
    jobs: dict[str, int] = {}
    for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.M):  # every pack as `train_pack`
        rule = "train_pack" if m[1].startswith("train_pack_") else m[1]
        jobs[rule] = jobs.get(rule, 0) + int(m[2])
    return jobs, set(re.findall(r"^\s*wildcards: run=(\S+)$", out, re.M))


@pytest.fixture(scope="module")
def study_copy(tiny_study, tmp_path_factory):
    """A copy of the tiny study (timestamps kept), free to grow."""
    workdir = tmp_path_factory.mktemp("grown") / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    return workdir


def test_new_axis_trains_only_new_cells_and_keeps_old_runs(study_copy):
    workdir = study_copy
    before = fingerprint(workdir / "results" / "runs")
    existing = runs_of(overlay())
    wider = overlay(hidden_size=[64, 128])
    configfile = write_config(workdir, wider, "wider.yaml")

    jobs, planned = jobs_of(workdir, configfile, "-n")
    assert planned == runs_of(wider) - existing
    assert all("/hidden_size=64/" in run for run in planned) and len(planned) == 2
    assert jobs == {"train_pack": 2, "train_model": 2, "aggregate_metrics": 1}

    snakemake(workdir, "results/metrics.parquet", "--configfile", str(configfile))
    after = fingerprint(workdir / "results" / "runs")
    assert {k: v for k, v in after.items() if k in before} == before  # byte for byte, untouched
    metrics = pd.read_parquet(workdir / "results" / "metrics.parquet")
    assert sorted(metrics["hidden_size"].unique()) == [64, 128]
    assert metrics["run_id"].nunique() == 4 and (metrics["lr_scale"] == 1.0).all()

    # Back to one value: the grid's runs are all there, nothing to train.
    jobs, planned = jobs_of(workdir, write_config(workdir, overlay(), "narrow.yaml"), "-n")
    assert "train_model" not in jobs and "train_pack" not in jobs and not planned

    # Runs of mixed depth read as one Hive-partitioned dataset.
    table = runs_dataset(workdir / "results" / "runs").to_table(columns=["run_id", "hidden_size"])
    assert set(table.column("hidden_size").to_pylist()) == {64, 128}
    assert table.num_rows == len(metrics[metrics["hidden_size"] == 64]) + 8 * 2 * 4


def test_second_dataset_gets_its_data_file_and_folders(study_copy, fashion_raw):
    workdir = study_copy
    both = overlay(dataset=["mnist", "fashion_mnist"], optimizer=["adam"])
    configfile = write_config(workdir, both, "datasets.yaml")
    jobs, trained = jobs_of(workdir, configfile)
    assert jobs == {"prepare_data": 1, "train_pack": 1, "train_model": 1, "aggregate_metrics": 1}
    assert [run.split("/")[0] for run in trained] == ["dataset=fashion_mnist"]
    assert (workdir / "results" / "data" / "fashion_mnist.pt").is_file()
    metrics = pd.read_parquet(workdir / "results" / "metrics.parquet")
    final = metrics.query("split == 'test' and epoch == 2").set_index("dataset")["accuracy"]
    assert set(final.index) == {"mnist", "fashion_mnist"}
    assert final["fashion_mnist"] != final["mnist"]  # trained on its own images
