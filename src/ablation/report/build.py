"""A report from whatever runs exist: aggregate, analyze, draw and render in one call.

The workflow's `render_report` rule reads tables and figures that earlier rules
wrote. `render_partial_report` instead starts from the metrics and confusion files
of the runs that have finished so far and chains the same library functions
(`ablation.aggregate`, `ablation.stats.analyze`, `ablation.plots`) in one process,
so a grid with missing runs still gets a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ablation import plots
from ablation.aggregate import config_summary, run_summary
from ablation.report.axes_sections import AXES_FIGURES, figure_applies
from ablation.report.inputs import ReportInputs, finished_digest, finished_runs
from ablation.report.render import build_html

__all__ = ["finished_digest", "finished_runs", "partial_report", "read_runs"]

FigureMaker = Callable[[dict[str, pd.DataFrame], float], Any]


def layout_of(tables: Mapping[str, pd.DataFrame]) -> plots.Layout:
    """The facets of every figure of configurations (the plot_* rules choose the same)."""
    importance = plots.axis_importance(tables["marginal_means"])
    return plots.choose_layout(tables["overfitting"], importance)


def _curves(t: Mapping[str, pd.DataFrame], c: float) -> pd.DataFrame:
    return plots.learning_curve_table(t["seed_summary"], t["gaps"], c, layout_of(t))


# How each figure of the report is drawn from the tables (the plot_* rules do the same).
FIGURE_MAKERS: dict[str, FigureMaker] = {
    "accuracy_heatmap": lambda t, c: plots.accuracy_heatmaps(t["leaderboard"], layout_of(t)),
    "factor_effects": lambda t, c: plots.factor_effects(t["marginal_means"]),
    "interaction_plots": lambda t, c: plots.interaction_plots(
        t["interactions"], strength=t["interaction_strength"]
    ),
    "accuracy_vs_time": lambda t, c: plots.accuracy_vs_time(t["runs"]),
    "overfitting_panels": lambda t, c: plots.overfitting_panels(
        t["gaps"], t["overfitting"], t["overfitting_configs"]
    ),
    "accuracy_gap": lambda t, c: plots.accuracy_gap(
        t["seed_summary"], layout=layout_of(t), gaps=t["gaps"], confidence=c
    ),
    "learning_curves_loss": lambda t, c: plots.learning_curves(_curves(t, c), "loss", layout_of(t)),
    "learning_curves_accuracy": lambda t, c: plots.learning_curves(
        _curves(t, c), "accuracy", layout_of(t)
    ),
    "anomaly_timeline": lambda t, c: plots.anomaly_timeline(
        t["metrics"], t["anomalies"], layout_of(t)
    ),
    "confusion_matrices": lambda t, c: plots.confusion_matrices(
        t["confusion_by_config"], t["leaderboard"]
    ),
    **{name: make for name, (make, _) in AXES_FIGURES.items()},
}


def read_runs(root: str | Path, run_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metrics and confusion tables of `run_ids` under `root`, concatenated."""
    from ablation.metrics import read_metrics

    root = Path(root)
    metrics = read_metrics([root / r / "metrics.parquet" for r in run_ids])
    confusion = [pd.read_parquet(root / r / "confusion.parquet") for r in run_ids]
    return metrics, (pd.concat(confusion, ignore_index=True) if confusion else pd.DataFrame())


def analyze_runs(
    metrics: pd.DataFrame, confusion: pd.DataFrame, analysis: Mapping[str, Any]
) -> dict[str, pd.DataFrame]:
    """Every aggregated and statistics table of the runs in `metrics`, by name."""
    from ablation.stats.analyze import analyze_all  # deferred: scipy is slow to import

    runs = run_summary(metrics)
    tables = analyze_all(metrics, runs, confusion, **dict(analysis))
    return {"metrics": metrics, "runs": runs, "summary": config_summary(runs), **tables}


def partial_report(
    metrics: pd.DataFrame,
    confusion: pd.DataFrame,
    study: Mapping[str, Any],
    expected_runs: Sequence[str],
    data_sha256: Mapping[str, str] | None = None,
    wall_seconds: Mapping[str, float] | None = None,
) -> str:
    """The report page of the finished runs in `metrics`, the others marked missing."""
    figures: dict[str, bytes | str | Path] = {}
    if metrics.empty:
        inputs = ReportInputs()
    else:
        tables = analyze_runs(metrics, confusion, study.get("analysis", {}) or {})
        inputs = ReportInputs(**{k: v for k, v in tables.items() if k in ReportInputs.fields()})
        confidence = float((study.get("analysis") or {}).get("confidence", 0.95))
        for name, make in FIGURE_MAKERS.items():
            if figure_applies(name, tables):
                figures[name] = plots.figure_bytes(make(tables, confidence))
    return build_html(inputs, figures, study, expected_runs, data_sha256, wall_seconds)
