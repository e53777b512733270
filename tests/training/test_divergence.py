"""A run whose loss becomes NaN/inf is a result: recorded as diverged, kept, and reported."""

from __future__ import annotations

import math
import shutil
from dataclasses import replace

import pandas as pd
import pytest
import torch

from ablation.aggregate import config_summary, run_summary
from ablation.config import TrainConfig, run_path
from ablation.metrics import read_metrics
from ablation.training.checkpoint import load_model
from ablation.training.job import run_job
from ablation.training.loop import train
from ablation.training.model import SimpleNet
from conftest import snakemake, write_config
from robustness_helpers import one_thread  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

# A linear network (identity activation) under plain SGD blows up exponentially once
# the step is too large: with lr 0.8 the loss reaches ~1e23 in epoch 1 and NaN in
# epoch 2; with lr 1e4 it is NaN within epoch 1. (SGD at lr 1e4 with ReLU does *not*
# diverge: the units die and the loss stays large but finite.)
LINEAR = TrainConfig(
    activation="identity", optimizer="sgd", optimizer_class="SGD", optimizer_kwargs={"lr": 0.1},
    epochs=3, milestones=(1, 2, 3), train_size=2000, validation_size=1000,
)  # fmt: skip
LATER = replace(LINEAR, optimizer="boom_later", optimizer_kwargs={"lr": 0.8})
AT_ONCE = replace(LINEAR, optimizer="boom", optimizer_kwargs={"lr": 1e4})


def test_divergence_after_a_milestone_keeps_it(mnist):
    result = train(LATER, mnist)
    assert (result.status, result.diverged_epoch) == ("diverged", 2)
    rows = [(r["epoch"], r["split"]) for r in result.history]
    assert rows == [(1, "train_running"), (1, "train"), (1, "validation"), (1, "test"),
                    (2, "train_running")]  # fmt: skip
    assert all(math.isfinite(r["loss"]) for r in result.history[:4])
    assert not math.isfinite(result.history[-1]["loss"])
    # The weights are those of the last finite milestone: epoch 1, as a 1-epoch run ends.
    one_epoch = train(replace(LATER, epochs=1, milestones=(1,)), mnist)
    for name, weight in one_epoch.model.state_dict().items():
        assert torch.equal(result.model.state_dict()[name], weight), name


def test_divergence_before_any_milestone_keeps_initial_weights(mnist):
    result = train(AT_ONCE, mnist)
    assert (result.status, result.diverged_epoch) == ("diverged", 1)
    assert [(r["epoch"], r["split"]) for r in result.history] == [(1, "train_running")]
    torch.manual_seed(AT_ONCE.seed)
    initial = SimpleNet(AT_ONCE.activation, AT_ONCE.hidden_size, AT_ONCE.dropout)
    for name, weight in initial.state_dict().items():
        assert torch.equal(result.model.state_dict()[name], weight), name
    assert int(result.confusion.sum()) == 10_000


def test_job_without_finite_milestone_writes_valid_outputs(tmp_path, mnist_file):
    out = {name: tmp_path / name for name in ("metrics.parquet", "model.pt", "confusion.parquet")}
    state = tmp_path / "state.pt"
    run_job(AT_ONCE, mnist_file, out["metrics.parquet"], out["model.pt"],
            out["confusion.parquet"], state)  # fmt: skip
    metrics = read_metrics(out["metrics.parquet"])
    assert metrics["status"].tolist() == ["diverged"] and metrics["diverged_epoch"].tolist() == [1]
    model, info = load_model(out["model.pt"])
    assert info["status"] == "diverged" and info["final_epoch"] == 0
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert pd.read_parquet(out["confusion.parquet"])["count"].sum() == 10_000
    runs = run_summary(metrics)  # kept, without scores
    assert runs[["status", "final_epoch"]].values.tolist() == [["diverged", 0]]
    assert runs["final_test_accuracy"].isna().all()
    assert config_summary(runs)[["n_seeds", "n_diverged"]].values.tolist() == [[1, 1]]


@pytest.mark.workflow
def test_pipeline_carries_on_and_reports_diverged_runs(workdir, mnist_file):
    study = {
        "grid": {"activation": ["identity"], "optimizer": ["sgd", "boom_later", "boom"],
                 "weight_decay": [0.0], "dropout": [0.0], "seed": [0]},
        "optimizers": {"sgd": {"class": "SGD", "lr": 0.1},
                       "boom_later": {"class": "SGD", "lr": 0.8},
                       "boom": {"class": "SGD", "lr": 1e4}},
        "training": {"epochs": 2, "milestones": [1, 2], "train_size": 2000,
                     "validation_size": 1000},
    }  # fmt: skip
    configfile = str(write_config(workdir, study))
    (workdir / "results" / "data").mkdir(parents=True)
    shutil.copy2(mnist_file, workdir / "results" / "data" / "mnist.pt")
    # Training and aggregation, then the report through the same library calls as the
    # final report's rules, in one job (reports/partial; a run of every rule costs ~4x).
    snakemake(workdir, "results/summary.csv", "--configfile", configfile)
    snakemake(workdir, "reports/partial/summary.html", "--configfile", configfile)

    ids = {name: run_path(dict(activation="identity", optimizer=name, weight_decay=0.0,
                               dropout=0.0, seed=0, train_size=2000, validation_size=1000))
           for name in ("sgd", "boom_later", "boom")}  # fmt: skip
    runs = pd.read_parquet(workdir / "results" / "runs.parquet").set_index("run_id")
    assert runs.loc[ids["sgd"], "status"] == "completed"
    assert runs.loc[ids["boom_later"], ["status", "diverged_epoch", "final_epoch"]].tolist() == [
        "diverged",
        2,
        1,
    ]
    assert runs.loc[ids["boom"], ["status", "diverged_epoch", "final_epoch"]].tolist() == [
        "diverged",
        1,
        0,
    ]
    assert runs.loc[ids["boom_later"], "final_test_accuracy"] > 0  # its epoch-1 milestone
    summary = pd.read_csv(workdir / "results" / "summary.csv").set_index("optimizer")
    assert summary["n_diverged"].to_dict() == {"sgd": 0, "boom_later": 1, "boom": 1}
    html = (workdir / "reports" / "partial" / "summary.html").read_text()
    assert "diverged" in html
    for name in ("boom_later", "boom"):
        assert ids[name] in html, f"the report does not list the diverged run {ids[name]}"
