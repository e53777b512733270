"""The whole workflow on a tiny study: outputs, no-op reruns, and incremental grids."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest
import yaml

from ablation.config import grid_cells, run_path, validate_config
from conftest import TINY_STUDY, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.workflow


def runs_of(study: dict, **where) -> set[str]:
    cells = grid_cells(validate_config(study))
    return {run_path(c) for c in cells if all(c[k] == v for k, v in where.items())}


@pytest.fixture
def study_run(tiny_study):
    return tiny_study, tiny_study / "config" / "study.yaml"


def test_outputs_hold_every_run(study_run):
    workdir, _ = study_run
    metrics = pd.read_parquet(workdir / "results" / "metrics.parquet")
    assert metrics["run_id"].nunique() == 8
    assert set(metrics["split"]) == {"train_running", "train", "validation", "test"}
    assert set(metrics["activation"]) == {"relu", "tanh"}
    assert (metrics["status"] == "completed").all()
    assert (metrics["train_size"] == 1000).all() and (metrics["validation_size"] == 1000).all()
    test = metrics[(metrics["split"] == "test") & (metrics["epoch"] == 2)]
    assert len(test) == 8 and test["accuracy"].between(0.5, 1.0).all()
    run_dir = (
        workdir / "results/runs/activation=relu/optimizer=adam/weight_decay=0.0/dropout=0.0"
        "/train_size=1000/validation_size=1000/seed=1"
    )
    assert {p.name for p in run_dir.iterdir()} >= {
        "metrics.parquet",
        "model.pt",
        "confusion.parquet",
    }
    summary = pd.read_csv(workdir / "results" / "summary.csv")
    assert len(summary) == 4 and (summary["n_seeds"] == 2).all()
    assert summary["final_test_accuracy_mean"].is_monotonic_decreasing
    assert not list((workdir / "results" / ".resume").rglob("*.pt"))
    html = (workdir / "reports" / "summary.html").read_text()
    assert "<table" in html and "data:image/png;base64," in html


def test_second_call_does_nothing(study_run):
    workdir, configfile = study_run
    assert planned_jobs(workdir, configfile) == {}


def test_new_axis_value_runs_only_new_cells(study_run):
    workdir, _ = study_run
    study = copy.deepcopy(TINY_STUDY)
    study["grid"]["seed"].append(2)
    study["grid"]["dropout"] = [0.0]
    jobs = planned_jobs(workdir, write_config(workdir, study, "more_seeds.yaml"))
    assert jobs["runs"] == runs_of(study, seed=2) and jobs["train_model"] == 4
    assert jobs["train_pack"] == 2  # 4 runs of one data order: 2 packs keep both cores busy
    assert jobs["aggregate_metrics"] == 1
    assert "prepare_data" not in jobs


def test_changed_preset_reruns_only_its_cells(study_run):
    workdir, _ = study_run
    study = copy.deepcopy(TINY_STUDY)
    study["optimizers"] = {
        "sgd": {"class": "SGD", "lr": 0.05},
        "adam": {"class": "Adam", "lr": 0.001},
        "rmsprop": {"class": "RMSprop", "lr": 0.001},
    }
    jobs = planned_jobs(workdir, write_config(workdir, study, "slower_sgd.yaml"))
    assert jobs["runs"] == runs_of(study, optimizer="sgd")  # the sgd cells only
    assert jobs["train_model"] == 4


def test_changed_training_setting_reruns_every_cell(study_run):
    workdir, _ = study_run
    study = copy.deepcopy(TINY_STUDY)
    study["training"] = {**study["training"], "epochs": 3, "milestones": [1, 2, 3]}
    jobs = planned_jobs(workdir, write_config(workdir, study, "longer.yaml"))
    assert jobs["runs"] == runs_of(study) and jobs["train_model"] == 8


def test_selection_model_and_seeds_overlay_on_the_real_study(study_run):
    from ablation.cli.parser import main

    workdir, configfile = study_run
    stats = workdir / "results" / "stats"
    board = pd.read_csv(stats / "leaderboard.csv")
    assert (board["selected_on"] == "validation").all() and board["rank"].tolist() == [1, 2, 3, 4]
    assert board["selection_mean"].is_monotonic_decreasing  # ranked on validation ...
    assert set(board["test_rank"]) == {1, 2, 3, 4}  # ... the test rank only shown
    assert board["tested"].sum() == 3 and board["n_pairs"].tolist() == [2, 2, 2, 2]
    early = pd.read_csv(stats / "leaderboard_early_stopping.csv")
    assert (early["view"] == "early_stopping").all() and len(early) == 4
    anova = pd.read_csv(stats / "anova.csv").set_index("term")
    assert set(anova.index) == {
        "activation",
        "optimizer",
        "activation:optimizer",
        "seed",
        "residual",
    }
    assert anova.loc["residual", "df"] == 8 - 5 and anova["n_runs"].eq(8).all()
    html = (workdir / "reports" / "summary.html").read_text()
    for part in ('id="selection-explain"', 'id="anova-table"', 'id="early-stopping-table"',
                 "Chosen on validation accuracy", "type II ANOVA"):  # fmt: skip
        assert part in html, part

    overlay = workdir / "config" / "seeds_overlay.yaml"
    args = ["seeds-overlay", "-d", str(workdir), "--configfile", "config/study.yaml"]
    assert main([*args, "-o", "config/seeds_overlay.yaml"]) == 0
    seeds = yaml.safe_load(overlay.read_text())["grid"]["seed"]
    assert seeds[:2] == [0, 1] and len(seeds) >= 2
    planned = snakemake(workdir, "-n", "--configfile", str(configfile), str(overlay)).stdout
    trains = re.search(r"^train_model\s+(\d+)$", planned, re.M)
    assert int(trains[1] if trains else 0) == 4 * (len(seeds) - 2)  # only the new seeds' runs
