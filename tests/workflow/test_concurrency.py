"""Two pipelines in one folder cannot collide; jobs never share a file; the data is made once."""

from __future__ import annotations

import os
import signal

import pytest

from ablation.config import grid_cells, load_config, run_path, validate_config
from ablation.metrics import read_metrics
from conftest import REPO, snakemake, write_config
from robustness_helpers import ONE_CELL, run_of, start_snakemake, study, wait_for


@pytest.mark.workflow
def test_second_pipeline_is_locked_out_and_data_is_made_once(workdir):
    cells = [ONE_CELL, dict(ONE_CELL, seed=1)]
    config = study()
    config["grid"]["seed"] = [0, 1]
    configfile = str(write_config(workdir, config))
    targets = [f"results/runs/{run_of(config, cell)}/model.pt" for cell in cells]
    locks = workdir / ".snakemake" / "locks"

    first = start_snakemake(workdir, *targets, "--configfile", configfile)
    wait_for(lambda: locks.is_dir() and any(locks.iterdir()), first, what="the lock")
    os.killpg(first.pid, signal.SIGSTOP)  # hold the first pipeline, lock and all
    try:
        second = snakemake(workdir, *targets, "--configfile", configfile, check=False)
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    output = first.communicate(timeout=300)[0]
    assert first.returncode == 0, output

    refused = second.stdout + second.stderr
    assert second.returncode != 0
    assert "LockException" in refused and "Directory cannot be locked" in refused
    assert not locks.exists() or not any(locks.iterdir())  # released when the first ended
    # The workflow profile was read, its GPU pool parsed on this CPU-only machine.
    assert "Using workflow specific profile profiles/default" in output
    assert "Provided resources: gpu" in output
    # One data job for all training jobs, its log written once.
    stats = output.split("Job stats:")[1].split("total")[0]
    assert [line.split() for line in stats.splitlines() if "prepare_data" in line] == [
        ["prepare_data", "1"]
    ]
    data_log = (workdir / "logs" / "prepare_data" / "mnist.log").read_text()
    assert data_log.count("stored mnist as") == 1
    # Every run has its own files, each log speaks of its run only.
    for cell in cells:
        log = (workdir / "logs" / "train_model" / f"{run_of(config, cell)}.log").read_text()
        assert f"{run_of(config, cell)}: completed" in log
        others = [run_of(config, c) for c in cells if c != cell]
        assert not any(other in log for other in others)
    # The outputs are whole.
    metrics = read_metrics(
        [workdir / target.replace("model.pt", "metrics.parquet") for target in targets]
    )
    assert sorted(set(metrics["run_id"])) == sorted(run_of(config, cell) for cell in cells)


def test_every_run_has_its_own_folder():
    """Distinct grid cells never share a run folder, hence no output or resume state."""
    default = load_config(REPO / "config" / "config.yaml")
    tricky = validate_config(
        {
            "grid": {
                "activation": ["relu", "leaky_relu"],
                "optimizer": ["sgd", "adam"],
                # close floats stay apart: paths hold repr-exact values
                "weight_decay": [0, 1e-4, 1.0000000000000002e-4, 0.001],
                "dropout": [0.0, 0.1, 0.30000000000000004, 0.3],
                "seed": [0, 1, 10],
            }
        }
    )
    for config in (default, tricky):
        cells = grid_cells(config)
        paths = {run_path(cell) for cell in cells}
        assert len(paths) == len(cells)
