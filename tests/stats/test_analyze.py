"""The analyze_* rules on a real two-run study; the analysis defaults have one source."""

from __future__ import annotations

import copy
import inspect
import re

import pandas as pd
import pytest
import yaml

from ablation.stats import find_anomalies, leaderboard, run_overfitting
from ablation.stats.analyze import analysis_defaults
from conftest import REPO, TINY_STUDY, snakemake, write_config

STATS_TARGETS = [
    f"results/stats/{name}.csv"
    for name in (
        "leaderboard", "seed_summary", "marginal_means", "interactions", "overfitting",
        "overfitting_configs", "regularization_effects", "anomalies", "confused_pairs", "anova",
    )
]  # fmt: skip

TWO_RUNS = copy.deepcopy(TINY_STUDY)
TWO_RUNS["grid"].update(activation=["relu"], optimizer=["adam"], dropout=[0.0, 0.2], seed=[0])
# thresholds away from their defaults, to see them reach the rules
TWO_RUNS["analysis"] = {
    "underfit_train_accuracy": 0.0, "underfit_margin": 100.0, "top_confused_pairs": 3,
}  # fmt: skip


@pytest.mark.workflow
def test_analysis_rules_on_a_real_study(workdir):
    configfile = write_config(workdir, TWO_RUNS)
    snakemake(workdir, *STATS_TARGETS, "--configfile", str(configfile))
    stats = workdir / "results" / "stats"

    board = pd.read_csv(stats / "leaderboard.csv")
    assert len(board) == 2 and board["rank"].tolist() == [1, 2]
    assert board["is_best"].tolist() == [True, False]
    assert board["selection_mean"].is_monotonic_decreasing  # ranked on validation
    assert board["mean"].between(0.5, 1).all()  # reported on test (in any order)
    assert not board["has_interval"].any()  # one seed: no interval, no test
    assert board["indistinguishable_from_best"].all() and not board["tested"].any()
    assert (board["selected_on"] == "validation").all()
    anova = pd.read_csv(stats / "anova.csv")  # two runs, one axis: the model says why not
    assert len(anova) == 1 and "too few runs (2)" in anova["note"].iloc[0]

    runs = pd.read_parquet(stats / "overfitting.parquet")
    assert len(runs) == 2 and runs["validation_available"].all()
    assert set(runs["verdict"]) <= {"good fit", "overfitting"}  # underfitting switched off
    assert runs["best_val_epoch"].isin([1, 2]).all() and runs["reason"].str.len().gt(0).all()
    gaps = pd.read_parquet(stats / "gaps.parquet")
    assert len(gaps) == 4 and gaps["gap_accuracy_validation"].notna().all()

    summary = pd.read_parquet(stats / "seed_summary.parquet")
    assert set(summary["point"]) == {"milestone", "best_validation"}
    assert set(summary["epoch"].dropna()) == {1, 2} and (summary["n"] == 1).all()

    effects = pd.read_csv(stats / "regularization_effects.csv")
    accuracy = effects[effects["metric"] == "final_test_accuracy"].iloc[0]
    assert accuracy["regularizer"] == "dropout" and accuracy["n_pairs"] == 1

    pairs = pd.read_csv(stats / "confused_pairs.csv")
    assert pairs.groupby("dropout").size().tolist() == [3, 3]
    confusion = pd.read_parquet(stats / "confusion_by_config.parquet")
    assert confusion.groupby("dropout")["count"].sum().tolist() == [10_000, 10_000]

    anomalies = pd.read_parquet(stats / "anomalies.parquet")
    assert list(anomalies.columns[-6:]) == ["epoch", "kind", "split", "value", "reference", "size"]
    assert set(pd.read_csv(stats / "marginal_means.csv")["axis"]) == {
        "activation", "optimizer", "weight_decay", "dropout",
    }  # fmt: skip

    # a new threshold reruns the analysis, never the training
    changed = copy.deepcopy(TWO_RUNS)
    changed["analysis"]["onset_tolerance"] = 0.5
    planned = snakemake(
        workdir, *STATS_TARGETS, "-n", "--configfile", str(write_config(workdir, changed, "t.yaml"))
    ).stdout
    jobs = set(re.findall(r"^rule (\w+):", planned, re.M))
    assert "analyze_overfitting" in jobs and "train_model" not in jobs
    assert not any(job.startswith("train_pack") for job in jobs)


def test_defaults_live_in_the_schema_and_match_the_functions_and_config():
    defaults = analysis_defaults()
    study = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert study["analysis"] == defaults
    signatures = {
        "onset_tolerance": run_overfitting, "underfit_train_accuracy": run_overfitting,
        "underfit_margin": run_overfitting, "confidence": leaderboard, "alpha": leaderboard,
        "equivalence_margin": leaderboard, "spike_window": find_anomalies,
        "spike_threshold": find_anomalies, "spike_min_rise": find_anomalies,
        "accuracy_drop": find_anomalies,
    }  # fmt: skip
    for key, function in signatures.items():
        assert inspect.signature(function).parameters[key].default == defaults[key], key
