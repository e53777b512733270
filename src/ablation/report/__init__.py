"""The self-contained HTML report: one file, figures inlined, no network requests."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from ablation.io import write_text_atomic


def render_report(
    summary: pd.DataFrame,
    runs: pd.DataFrame,
    figures: dict[str, str | Path],
    study: dict[str, Any],
    expected_runs: list[str],
    out: str | Path,
) -> None:
    """Write the report to `out`."""
    missing = sorted(set(expected_runs) - set(runs["run_id"]))
    html = _template().render(
        summary=summary,
        n_runs=len(runs),
        n_expected=len(expected_runs),
        missing=missing,
        figures={name: _data_uri(path) for name, path in figures.items()},
        study=study,
    )
    write_text_atomic(out, html)


def _data_uri(path: str | Path) -> str:
    path = Path(path)
    mime = {"png": "image/png", "svg": "image/svg+xml"}[path.suffix.lstrip(".")]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ablation.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    return env.get_template("summary.html")
