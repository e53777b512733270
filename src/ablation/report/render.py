"""Build the report page: tables and sentences from the statistics, figures inlined."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from ablation import i18n
from ablation import provenance as env
from ablation.axes import CORE_AXES, config_keys, config_label, label
from ablation.grid import run_axes
from ablation.io import write_text_atomic
from ablation.report import provenance
from ablation.report.axes_sections import axes_context
from ablation.report.choice import comparison_badge
from ablation.report.explorer import explorer_context
from ablation.report.figures import FIGURES
from ablation.report.findings import headline_findings
from ablation.report.formatting import FILTERS, grid_value
from ablation.report.inputs import ReportInputs
from ablation.report.selection import selection_context
from ablation.report.table_texts import anomaly_kind, anova_note, finding_state, reason

MIME = {"png": "image/png", "svg": "image/svg+xml"}


def render_report(
    inputs: ReportInputs,
    figures: Mapping[str, str | Path | bytes],
    study: Mapping[str, Any],
    expected_runs: Sequence[str],
    out: str | Path,
    data_sha256: Mapping[str, str] | None = None,
    wall_seconds: Mapping[str, float] | None = None,
) -> None:
    """Write the self-contained report page to `out` (atomically).

    Parameters
    ----------
    inputs : the tables (`ReportInputs`); absent ones are empty.
    figures : images by name (keys of `ablation.report.figures.FIGURES`): PNG or SVG
        files, or PNG bytes; a missing name leaves its place with a note.
    study : the validated study config.
    expected_runs : run ids (run folders) of the whole grid; runs not in
        ``inputs.runs`` are reported as missing.
    out : the HTML file to write.
    data_sha256 : SHA-256 of the original data files, by file.
    wall_seconds : wall time of each training job, by run id.
    """
    html = build_html(inputs, figures, study, expected_runs, data_sha256, wall_seconds)
    write_text_atomic(out, html)


def build_html(
    inputs: ReportInputs,
    figures: Mapping[str, str | Path | bytes],
    study: Mapping[str, Any],
    expected_runs: Sequence[str],
    data_sha256: Mapping[str, str] | None = None,
    wall_seconds: Mapping[str, float] | None = None,
) -> str:
    """The report page as one HTML string (see `render_report`), in the study's language."""
    language = report_language(study)
    with i18n.use(language):
        return _build_html(inputs, figures, study, expected_runs, data_sha256, wall_seconds)


def report_language(study: Mapping[str, Any]) -> str:
    """The language of the report (``report.language``), English by default."""
    return (study.get("report") or {}).get("language", i18n.SOURCE)


def _build_html(
    inputs: ReportInputs,
    figures: Mapping[str, str | Path | bytes],
    study: Mapping[str, Any],
    expected_runs: Sequence[str],
    data_sha256: Mapping[str, str] | None,
    wall_seconds: Mapping[str, float] | None,
) -> str:
    analysis = study.get("analysis", {}) or {}
    confidence = float(analysis.get("confidence", 0.95))
    alpha = float(analysis.get("alpha", 0.05))
    tolerance = float(analysis.get("onset_tolerance", 0.05))  # the verdicts' reasons quote it
    expected = grid_status(expected_runs, inputs.runs)
    board = leaderboard_rows(inputs, expected)
    context = {
        "language": i18n.current(),
        "study": study,
        "training": study.get("training", {}),
        "dataset": study.get("data", {}).get("dataset", "mnist"),
        **_class_words(inputs.runs, study),
        "header": _header(study),
        "level": i18n.percent(f"{confidence * 100:.0f}"),  # 95%, in Russian 95 %
        "alpha": alpha,
        "findings": [
            with_code(s) for s in headline_findings(inputs, len(expected_runs), confidence, alpha)
        ],
        "grid": expected,
        "leaderboard": board,
        "marginal": _records(_metric_rows(inputs.marginal_means, "final_test_accuracy")),
        "regularization": _records(_metric_rows(inputs.regularization_effects, None)),
        "verdicts": verdict_counts(inputs.overfitting),
        "details": config_details(inputs, board, tolerance),
        "anomalies": _records(_sorted(inputs.anomalies, ["run_id", "epoch"])),
        "diverged": _with_reasons(_records(_diverged(inputs.overfitting)), tolerance),
        "confused": confused_for(
            inputs.confused_pairs, board, study.get("data", {}).get("dataset", "mnist")
        ),
        "figures": {name: _figure(name, path) for name, path in figures.items()},
        "figure_info": FIGURES,
        "axes": axes_context(inputs),
        "provenance": provenance_context(inputs, study, data_sha256 or {}, wall_seconds or {}),
        "selection": selection_context(inputs),
        "explorer": explorer_context(inputs, board, _config_key, confidence, alpha),
    }
    return _template().render(**context)


DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "kmnist": "KMNIST"}


def _header(study: Mapping[str, Any]) -> dict[str, str]:
    """The page's title line: the datasets, the hidden widths and the epochs of the study."""
    grid, training = study.get("grid") or {}, study.get("training") or {}
    datasets = grid.get("dataset") or [(study.get("data") or {}).get("dataset", "mnist")]
    widths = grid.get("hidden_size") or [training.get("hidden_size", 128)]
    epochs = training.get("epochs", 0)
    return {
        "datasets": i18n._(" and ").join(DATASET_NAMES.get(d, d) for d in datasets),
        "hidden": i18n._(" or ").join(str(w) for w in widths),
        "epochs": i18n.ngettext("{n} epoch", "{n} epochs", epochs).format(n=epochs),
    }


def with_code(sentence: str) -> markupsafe.Markup:
    """A plain sentence as HTML, its `backquoted` spans (commands, file names) as code."""
    parts = str(markupsafe.escape(sentence)).split("`")
    if len(parts) % 2 == 0:  # an unpaired backquote: leave it as it is
        return markupsafe.Markup("`".join(parts))
    html = "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))
    return markupsafe.Markup(html)


def _class_words(runs: pd.DataFrame, study: Mapping[str, Any]) -> dict[str, str]:
    """What the ten classes are called: digits on MNIST alone, else classes (clothes...)."""
    if len(runs) and "dataset" in runs:
        datasets = set(runs["dataset"])
    else:
        datasets = {(study.get("data") or {}).get("dataset", "mnist")}
    return class_words(datasets)


def class_words(datasets: set) -> dict[str, str]:
    """`{item, items}`: `digit(s)` when every dataset is MNIST, else `class(es)`."""
    digits = datasets <= {"mnist"}
    return {"item": "digit" if digits else "class", "items": "digits" if digits else "classes"}


# ----------------------------------------------------------------------------- the grid


def grid_status(expected_runs: Sequence[str], runs: pd.DataFrame) -> dict[str, Any]:
    """Which planned runs exist, which are missing, and the seeds each configuration expects."""
    done = set(runs["run_id"]) if len(runs) else set()
    missing = [r for r in expected_runs if r not in done]
    seeds: dict[tuple, int] = {}
    keys = config_keys(runs) if len(runs) else list(CORE_AXES)
    for run in expected_runs:
        key = _config_key(run_axes(run), keys)
        seeds[key] = seeds.get(key, 0) + 1
    return {
        "n_expected": len(expected_runs),
        "n_done": len([r for r in expected_runs if r in done]),
        "missing": missing,
        "seeds_expected": seeds,
        "n_configs": len(seeds),
        "keys": keys,
        "columns": [{"key": k, "label": label(k)} for k in keys],
    }


def _config_key(cell: Mapping[str, Any], keys: Sequence[str]) -> tuple:
    """A configuration as a hashable key: names as text, numbers as floats."""
    return tuple(_normal(cell.get(k)) for k in keys)


def _normal(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def leaderboard_rows(inputs: ReportInputs, grid: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The leaderboard as rows, planned-but-unfinished configurations appended."""
    board = inputs.leaderboard
    keys = grid["keys"]
    verdicts = _by_config(inputs.overfitting_configs, keys)
    times = _by_config(inputs.summary, keys)
    rows = []
    for _, row in (
        board.sort_values([c for c in ("dataset", "rank") if c in board], na_position="last")
        if len(board)
        else board
    ).iterrows():
        key = _config_key(row, keys)
        rows.append(
            {
                **row.to_dict(),
                "key": key,
                "id": _anchor(key),
                "label": config_label(row, keys),
                "n_expected": grid["seeds_expected"].get(key, row["n"]),
                "verdict": verdicts.get(key, {}).get("verdict"),
                "train_seconds": times.get(key, {}).get("train_seconds_mean"),
                "cpu_seconds": times.get(key, {}).get("train_cpu_seconds_mean"),
                "missing": False,
                "unranked": bool(row["n"]) and _na(row.get("selection_mean")),
            }
        )
    listed = {r["key"] for r in rows}
    for key, n_expected in grid["seeds_expected"].items():
        if key not in listed:
            cell = dict(zip(keys, key, strict=True))
            rows.append(
                {
                    **cell,
                    "key": key,
                    "id": _anchor(key),
                    "label": config_label(cell, keys),
                    "n": 0,
                    "n_expected": n_expected,
                    "missing": True,
                }
            )
    return rows


def _by_config(table: pd.DataFrame, keys: Sequence[str]) -> dict[tuple, dict[str, Any]]:
    if table.empty:
        return {}
    return {_config_key(row, keys): row for row in table.to_dict("records")}


def _anchor(key: tuple) -> str:
    text = "-".join(grid_value(v) for v in key)
    return "config-" + "".join(c if c.isalnum() else "-" for c in text)


# ----------------------------------------------------------------------------- sections


def verdict_counts(per_run: pd.DataFrame) -> list[dict[str, Any]]:
    """How many runs got each overfitting verdict."""
    if per_run.empty:
        return []
    counts = per_run["verdict"].value_counts()
    return [{"verdict": v, "runs": int(n)} for v, n in counts.items()]


def config_details(
    inputs: ReportInputs, board: list[dict[str, Any]], tolerance: float = 0.05
) -> list[dict[str, Any]]:
    """Per configuration: its runs, its statistics at every milestone, its confusions.

    Each run's verdict reason is in the active language (`tolerance`: the study's
    ``analysis.onset_tolerance``, which the reasons quote).
    """
    runs = _grouped_records(inputs.overfitting, ["seed"])
    times = {r["run_id"]: r for r in _records(inputs.runs)}
    seeds = _grouped_records(_metric_milestones(inputs.seed_summary), ["epoch", "metric"])
    confused = _grouped_records(inputs.confused_pairs, ["rank"])
    details = []
    for row in board:
        key = row["key"]
        own_runs = _with_reasons(runs.get(key, []), tolerance)
        for run in own_runs:
            run["train_seconds"] = times.get(run["run_id"], {}).get("train_seconds")
        details.append(
            {
                **row,
                "runs": own_runs,
                "milestones": _milestone_rows(seeds.get(key, [])),
                "confused": confused.get(key, [])[:5],
            }
        )
    return details


def _grouped_records(table: pd.DataFrame, by: list[str]) -> dict[tuple, list[dict[str, Any]]]:
    """The rows of `table` as records, sorted by `by`, grouped by configuration (one pass)."""
    if table.empty:
        return {}
    keys = config_keys(table)
    grouped: dict[tuple, list[dict[str, Any]]] = {}
    for record in _records(_sorted(table, by)):
        grouped.setdefault(_config_key(record, keys), []).append(record)
    return grouped


def _metric_milestones(seed_summary: pd.DataFrame) -> pd.DataFrame:
    if seed_summary.empty:
        return seed_summary
    return seed_summary[seed_summary["point"] == "milestone"]


def _milestone_rows(stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per milestone epoch with the mean and interval of each metric."""
    rows: dict[int, dict[str, Any]] = {}
    for stat in stats:
        epoch = int(stat["epoch"])
        rows.setdefault(epoch, {"epoch": epoch})[stat["metric"]] = stat
    return [rows[epoch] for epoch in sorted(rows)]


def _metric_rows(table: pd.DataFrame, metric: str | None) -> pd.DataFrame:
    if table.empty or metric is None:
        return table
    return table[table["metric"] == metric]


def _with_reasons(runs: list[dict[str, Any]], tolerance: float) -> list[dict[str, Any]]:
    """Copies of per-run records whose ``reason`` reads in the active language (the table
    keeps its English one)."""
    return [{**run, "reason": reason(run, tolerance)} for run in runs]


def _diverged(per_run: pd.DataFrame) -> pd.DataFrame:
    if per_run.empty:
        return per_run
    return per_run[per_run["status"] == "diverged"]


def confused_for(
    pairs: pd.DataFrame, board: list[dict[str, Any]], only_dataset: str = "mnist"
) -> list[dict[str, Any]]:
    """The most-confused class pairs of the best and the worst configuration (of each dataset).

    `only_dataset` is the study's dataset when the board has no `dataset` column.
    """
    ranked = [r for r in board if not r["missing"] and not pd.isna(r.get("mean"))]
    if pairs.empty or not ranked:
        return []
    grouped = _grouped_records(pairs, ["rank"])
    picks = []
    for dataset in dict.fromkeys(r.get("dataset") for r in ranked):
        mine = [r for r in ranked if r.get("dataset") == dataset]
        picks += [("best", mine[0])] + ([("worst", mine[-1])] if len(mine) > 1 else [])
    return [
        {
            "which": which,
            "label": row["label"],
            "pairs": grouped.get(row["key"], [])[:5],
            "words": class_words({row.get("dataset") or only_dataset}),  # digits, or classes
        }
        for which, row in picks
    ]


def provenance_context(
    inputs: ReportInputs,
    study: Mapping[str, Any],
    data_sha256: Mapping[str, str],
    wall_seconds: Mapping[str, float],
) -> dict[str, Any]:
    """Config, versions, hardware, commits, data checksums and the time each run took."""
    times = provenance.run_times(inputs.runs, wall_seconds)
    return {
        "config_yaml": provenance.config_yaml(study),
        "environment": env.environment(),
        "render_commit": env.git_commit(),
        "run_settings": provenance.run_settings(inputs.metrics),
        "data_sha256": dict(data_sha256),
        "times": _records(times),
        "train_total": float(times["train_seconds"].sum()) if len(times) else None,
        "wall_total": float(times["wall_seconds"].sum())
        if times["wall_seconds"].notna().any()
        else None,
    }


# ----------------------------------------------------------------------------- helpers


def _sorted(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if table.empty:
        return table
    return table.sort_values([c for c in by if c in table], ignore_index=True)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values as None (templates test `is none`)."""
    if table is None or table.empty:
        return []
    return [
        {k: (None if _na(v) else v) for k, v in row.items()}
        for row in table.to_dict(orient="records")
    ]


def _na(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _figure(name: str, image: str | Path | bytes) -> dict[str, Any]:
    """An image (a PNG or SVG file, or PNG bytes) as a data URI, with its title and alt text."""
    if isinstance(image, bytes):
        mime, data = MIME["png"], image
    else:
        mime, data = MIME[Path(image).suffix.lstrip(".").lower()], Path(image).read_bytes()
    info = FIGURES.get(name)
    return {
        "uri": f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}",
        "title": i18n._(info.title) if info else name.replace("_", " "),
        "alt": i18n._(info.alt) if info else name.replace("_", " "),
        "name": name,
    }


def _template() -> jinja2.Template:
    return environment(i18n._, i18n.ngettext).get_template("summary.html")


def environment(gettext, ngettext) -> jinja2.Environment:
    """The report's Jinja environment, its texts looked up by `gettext` and `ngettext`."""
    env_ = jinja2.Environment(
        loader=jinja2.PackageLoader("ablation.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # The callables read the active language when called, so one environment serves all.
    # Newstyle, as catalogs.OPTIONS extracts them: a literal % is looked up as %%.
    env_.install_gettext_callables(gettext, ngettext, newstyle=True)
    env_.policies["ext.i18n.trimmed"] = True  # a paragraph's line breaks are not in its msgid
    env_.filters.update(FILTERS)
    # texts the tables keep in English, in the page's language
    env_.filters.update(
        anomaly_kind=anomaly_kind, anova_note=anova_note, finding_state=finding_state
    )
    env_.globals["comparison"] = comparison_badge
    return env_
