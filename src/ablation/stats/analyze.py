"""Every statistics table of a study in one call, in dependency order.

The workflow runs these steps as separate rules (``analyze_*``); this module chains
them for library use and for timing (`scripts/bench_analysis_axes.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from ablation.config import load_schema
from ablation.stats.anomalies import find_anomalies
from ablation.stats.anova import anova_table
from ablation.stats.compare import leaderboard
from ablation.stats.confusion import confused_pairs, confusion_by_config
from ablation.stats.datasize import datasize_curve, datasize_worth
from ablation.stats.factors import interaction_strength, interactions, marginal_means
from ablation.stats.overfitting import (
    config_overfitting,
    milestone_gaps,
    regularization_effects,
    regularization_pairs,
    run_overfitting,
    run_table,
)
from ablation.stats.paired import paired_effects, paired_runs
from ablation.stats.seeds import seed_summary
from ablation.stats.transfer import rank_agreement, transfer_findings


def analysis_defaults() -> dict:
    """The defaults of the config's ``analysis:`` section, from the schema (their one source)."""
    section = load_schema()["properties"]["analysis"]["properties"]
    return {key: spec["default"] for key, spec in section.items()}


def _steps(
    metrics: pd.DataFrame, runs: pd.DataFrame, confusion: pd.DataFrame, settings: dict
) -> list[tuple[str, Callable[[dict], pd.DataFrame]]]:
    s = {**analysis_defaults(), **settings}
    conf = s["confidence"]
    return [
        ("gaps", lambda t: milestone_gaps(metrics)),
        (
            "overfitting",
            lambda t: run_overfitting(
                metrics, runs, t["gaps"], s["onset_tolerance"], s["underfit_train_accuracy"]
            ),
        ),
        ("overfitting_configs", lambda t: config_overfitting(t["overfitting"])),
        ("seed_summary", lambda t: seed_summary(t["gaps"], t["overfitting"], conf)),
        ("leaderboard", lambda t: leaderboard(t["overfitting"], conf, s["alpha"])),
        (
            "leaderboard_early_stopping",
            lambda t: leaderboard(t["overfitting"], conf, s["alpha"], view="early_stopping"),
        ),
        ("anova", lambda t: anova_table(t["overfitting"])),
        ("marginal_means", lambda t: marginal_means(t["overfitting"], conf)),
        ("interactions", lambda t: interactions(t["overfitting"], conf)),
        *_axes_steps(conf),
        (
            "regularization_pairs",
            lambda t: regularization_pairs(t["overfitting"], t["paired_runs"]),
        ),
        (
            "regularization_effects",
            lambda t: regularization_effects(t["regularization_pairs"], conf),
        ),
        (
            "anomalies",
            lambda t: find_anomalies(
                metrics,
                s["spike_window"],
                s["spike_threshold"],
                s["spike_min_rise"],
                s["accuracy_drop"],
            ),  # fmt: skip
        ),
        ("confusion_by_config", lambda t: confusion_by_config(confusion, run_table(metrics))),
        (
            "confused_pairs",
            lambda t: confused_pairs(t["confusion_by_config"], s["top_confused_pairs"]),
        ),
    ]


def _axes_steps(conf: float) -> list[tuple[str, Callable[[dict], pd.DataFrame]]]:
    """Statistics for any axes: paired effects, interaction strength, more data, transfer."""
    return [
        ("interaction_strength", lambda t: interaction_strength(t["interactions"])),
        ("paired_runs", lambda t: paired_runs(t["overfitting"])),
        ("paired_effects", lambda t: paired_effects(t["paired_runs"], conf)),
        ("datasize_curve", lambda t: datasize_curve(t["overfitting"], conf)),
        ("datasize_worth", lambda t: datasize_worth(t["paired_effects"])),
        ("rank_agreement", lambda t: rank_agreement(t["overfitting"], confidence=conf)),
        (
            "transfer_findings",
            lambda t: transfer_findings(t["marginal_means"], t["paired_effects"]),
        ),
    ]


def analyze_all(
    metrics: pd.DataFrame, runs: pd.DataFrame, confusion: pd.DataFrame, **settings
) -> dict[str, pd.DataFrame]:
    """All statistics tables, keyed by their file name in ``results/stats/``.

    Parameters
    ----------
    metrics, runs, confusion : the study's ``results/metrics.parquet``,
        ``results/runs.parquet`` and ``results/confusion.parquet``.
    **settings : the keys of the config's ``analysis:`` section (defaults as there).
    """
    tables: dict[str, pd.DataFrame] = {}
    for name, step in _steps(metrics, runs, confusion, settings):
        tables[name] = step(tables)
    return tables


def timed_all(
    metrics: pd.DataFrame, runs: pd.DataFrame, confusion: pd.DataFrame, **settings
) -> dict[str, float]:
    """Seconds each step of `analyze_all` takes."""
    tables: dict[str, pd.DataFrame] = {}
    seconds = {}
    for name, step in _steps(metrics, runs, confusion, settings):
        started = time.perf_counter()
        tables[name] = step(tables)
        seconds[name] = time.perf_counter() - started
    return seconds
