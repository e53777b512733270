"""A report from whatever runs exist: aggregate, analyze, draw and render in one call.

The workflow's `render_report` rule reads tables and figures that earlier rules
wrote. `render_partial_report` instead starts from the metrics and confusion files
of the runs that have finished so far, aggregates them (`ablation.aggregate`) and runs
the very steps those rules run (`ablation.steps`) in one process, so a grid with
missing runs still gets a report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ablation import layout, plots, steps
from ablation.aggregate import config_summary, run_summary
from ablation.report.figures import FIGURES
from ablation.report.inputs import ReportInputs, finished_digest, finished_runs
from ablation.report.render import build_html, report_language

__all__ = ["finished_digest", "finished_runs", "partial_report", "read_runs"]


def read_runs(root: str | Path, run_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metrics and confusion tables of `run_ids` under `root`, concatenated."""
    from ablation.metrics import read_metrics

    root = Path(root)
    metrics = read_metrics([root / r / layout.METRICS for r in run_ids])
    confusion = [pd.read_parquet(root / r / layout.CONFUSION) for r in run_ids]
    return metrics, (pd.concat(confusion, ignore_index=True) if confusion else pd.DataFrame())


def analyze_runs(
    metrics: pd.DataFrame, confusion: pd.DataFrame, analysis: Mapping[str, Any]
) -> dict[str, Any]:
    """Every aggregated table, statistics table and figure of the runs in `metrics`."""
    runs = run_summary(metrics)
    aggregates = {"metrics": metrics, "runs": runs, "confusion": confusion}
    return steps.run_all({**aggregates, "summary": config_summary(runs)}, analysis)


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
        from ablation.stats.analyze import analysis_defaults  # deferred: scipy is slow to import

        settings = {
            **analysis_defaults(),
            **(study.get("analysis") or {}),
            "language": report_language(study),
        }
        made = analyze_runs(metrics, confusion, settings)
        inputs = ReportInputs(**{k: v for k, v in made.items() if k in ReportInputs.fields()})
        figures = {name: plots.figure_bytes(made[name]) for name in FIGURES}
    return build_html(inputs, figures, study, expected_runs, data_sha256, wall_seconds)
