"""The report's Explore section: the study's runs as compact JSON, drawn in the page by Vega-Lite.

Python prepares the numbers and words; the page's script (``templates/explorer.js``)
groups runs as the reader asks and draws them with Vega-Lite, whose JavaScript
(``vendor/``, refreshed by ``scripts/vendor_vega.sh``) is inlined, so the page still
opens offline from one file under its Content-Security-Policy. Vega's expressions
run through vega-interpreter, since the policy allows no ``eval``.

The payload (`explorer_payload`), columnar so that a 1,000-run study stays small:

- ``axes``: the configuration axes (``ablation.axes.config_keys``) with their values
  as text, in `ablation.axes.ordered` order; ``configs[i].codes`` index into them.
- ``runs``: per run its id, seed, configuration index and overfitting verdict.
- ``points``: per run and milestone epoch the metrics of ``METRICS``.
- ``configs``: per configuration its anchor, label, verdict, the comparison with the
  best in the leaderboard's own terms, and its confusion matrix (rates, summed over
  seeds, as ``confusion_by_config`` has it).
- ``tq``: the Student t quantiles ``t_{(1+c)/2, df}`` for df = 0..runs (index = df,
  0 unused), so a mean's interval in the page is `ablation.stats.seeds.t_interval`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from ablation.axes import class_label, class_names, config_keys, format_number, label, ordered
from ablation.i18n import N_, _, number
from ablation.report.choice import claims
from ablation.report.formatting import pct, points, probability
from ablation.report.inputs import ReportInputs
from ablation.report.script_texts import explorer_texts, table_texts
from ablation.report.words import word

# The metrics the chart builder offers: key -> (label, whether it is a share of images).
METRICS = {
    "test_accuracy": (N_("test accuracy"), True),
    "validation_accuracy": (N_("validation accuracy"), True),
    "train_accuracy": (N_("train accuracy"), True),
    "test_loss": (N_("test loss"), False),
    "validation_loss": (N_("validation loss"), False),
    "train_loss": (N_("train loss"), False),
    "gap_accuracy": (N_("train-test gap (accuracy)"), True),
    "train_seconds": (N_("training time (s)"), False),
}
VENDOR = ("vega.min.js", "vega-lite.min.js", "vega-interpreter.js")
SPLITS = ("train", "validation", "test")


def explorer_context(
    inputs: ReportInputs,
    board: Sequence[Mapping[str, Any]],
    config_key: Callable[[Mapping[str, Any], Sequence[str]], tuple],
    confidence: float,
    alpha: float,
) -> dict[str, Any]:
    """What the template needs: the payload as safe JSON text, the texts of the page's
    scripts (`ablation.report.script_texts`, in the active language) and the libraries' code.

    `board` are the leaderboard rows of `ablation.report.render.leaderboard_rows`
    (with ``key``, ``id`` and ``label``); `config_key` turns a row into such a key.
    """
    payload = explorer_payload(inputs, board, config_key, confidence, alpha)
    return {
        "has_runs": bool(payload["runs"]["id"]),
        "data": _script_json(payload),
        "texts": _script_json(explorer_texts()),
        "table_texts": _script_json(table_texts()),
        "libraries": [vendor_code(name) for name in VENDOR],
    }


def explorer_payload(
    inputs: ReportInputs,
    board: Sequence[Mapping[str, Any]],
    config_key: Callable[[Mapping[str, Any], Sequence[str]], tuple],
    confidence: float,
    alpha: float,
) -> dict[str, Any]:
    """The study's runs, milestones and configurations for the page (see the module doc)."""
    runs = inputs.runs
    if runs.empty:
        return _empty_payload(confidence)
    keys = config_keys(runs)
    levels = {k: ordered(runs[k]) for k in keys}
    listed = [row for row in board if not row.get("missing")]
    index = {row["key"]: i for i, row in enumerate(listed)}
    run_rows = runs.sort_values(["run_id"]).reset_index(drop=True)
    run_config = [index.get(config_key(row, keys), -1) for row in run_rows.to_dict("records")]
    verdicts = _run_verdicts(inputs.overfitting)
    matrices = confusion_matrices(inputs.confusion_by_config, config_key)
    payload = {
        "level": confidence,
        "tq": _t_quantiles(len(run_rows), confidence),
        "axes": [_axis(k, levels[k]) for k in keys],
        "metrics": [{"key": k, "label": _(v[0]), "share": v[1]} for k, v in METRICS.items()],
        "runs": {
            "id": run_rows["run_id"].tolist(),
            "seed": [int(s) for s in run_rows["seed"]],
            "config": run_config,
            "verdict": [verdicts.get(r) for r in run_rows["run_id"]],
        },
        "points": _points(inputs.metrics, run_rows["run_id"]),
        "configs": [_config(row, keys, levels, alpha, matrices) for row in listed],
    }
    payload["epochs"] = sorted(set(payload["points"]["epoch"]))
    return payload


def _empty_payload(confidence: float) -> dict[str, Any]:
    return {
        "level": confidence, "tq": [None], "axes": [], "metrics": [], "epochs": [],
        "runs": {"id": [], "seed": [], "config": [], "verdict": []},
        "points": {"run": [], "epoch": [], **{m: [] for m in METRICS}}, "configs": [],
    }  # fmt: skip


def _axis(key: str, values: list) -> dict[str, Any]:
    numeric = all(isinstance(v, int | float | np.number) for v in values)
    return {
        "key": key,
        "label": label(key),
        "values": [format_number(v) for v in values],
        "numeric": numeric,
    }


def _t_quantiles(n: int, confidence: float) -> list[float | None]:
    """``t_{(1+c)/2, df}`` for df = 0..n (df 0 has none), as `t_interval` uses it."""
    from scipy import stats  # deferred: scipy is slow to import

    df = np.arange(1, max(n, 1) + 1)
    return [None, *(_round(q, 6) for q in stats.t.ppf((1 + confidence) / 2, df))]


def _run_verdicts(overfitting: pd.DataFrame) -> dict[str, str]:
    if overfitting.empty:
        return {}
    return dict(zip(overfitting["run_id"], overfitting["verdict"], strict=True))


def _points(metrics: pd.DataFrame, run_ids: pd.Series) -> dict[str, list]:
    """Per run and milestone: the metrics of `METRICS`, columnar, NaN as null."""
    empty = {"run": [], "epoch": [], **{m: [] for m in METRICS}}
    if metrics.empty:
        return empty
    rows = metrics[metrics["split"].isin(SPLITS)]
    wide = rows.pivot_table(
        index=["run_id", "epoch"], columns="split", values=["loss", "accuracy"], aggfunc="first"
    )
    wide.columns = [f"{split}_{what}" for what, split in wide.columns]
    seconds = rows.groupby(["run_id", "epoch"])["train_seconds"].max()
    wide = wide.join(seconds).reset_index()
    for split in SPLITS:
        for what in ("loss", "accuracy"):
            wide[f"{split}_{what}"] = wide.get(f"{split}_{what}", np.nan)
    wide["gap_accuracy"] = wide["train_accuracy"] - wide["test_accuracy"]
    order = {run: i for i, run in enumerate(run_ids)}
    wide["run"] = wide["run_id"].map(order)
    wide = wide[wide["run"].notna()].sort_values(["run", "epoch"])
    out = {"run": wide["run"].astype(int).tolist(), "epoch": wide["epoch"].astype(int).tolist()}
    for metric in METRICS:
        out[metric] = [_round(v) for v in wide[metric].to_numpy(dtype=float)]
    return out


def _config(
    row: Mapping[str, Any],
    keys: Sequence[str],
    levels: Mapping[str, list],
    alpha: float,
    confusion: Mapping[tuple, dict[str, Any]],
) -> dict[str, Any]:
    codes = [_code(levels[k], row.get(k)) for k in keys]
    return {
        "codes": codes,
        "id": row["id"],
        "label": row["label"],
        "verdict": row.get("verdict"),
        "words": comparison_words(row, alpha),
        "confusion": confusion.get(row["key"]),
    }


def _code(values: list, value: Any) -> int:
    for i, level in enumerate(values):
        if level == value or format_number(level) == format_number(value):
            return i
    return -1


def comparison_words(row: Mapping[str, Any], alpha: float) -> str:
    """How a configuration compares with the best of its dataset, in the leaderboard's terms.

    The claim is the leaderboard's ``comparison`` (simultaneous comparisons with the best
    over seeds, `ablation.stats.best`); older boards without it read their old flags.
    """
    dataset = row.get("dataset")
    claim = claims(pd.DataFrame([dict(row)])).iloc[0]
    error = number(f"{alpha:g}")
    if row.get("is_best"):
        return _best_words(row, dataset, claim == "better", error)
    if row.get("unranked"):
        return _("No validation: its runs have no validation split, so it is never ranked.")
    if claim == "not tested":
        return _("Not tested: fewer than two seeds with a score, so no comparison with the best.")
    margin = points(row.get("equivalence_margin"), sign=False)
    behind = points(row.get("diff_from_best"), sign=False)
    wins = probability(
        row.get("p_improvement"), row.get("p_improvement_low"), row.get("p_improvement_high")
    )
    if dataset is None:
        detail = _(
            "{behind} behind the best on validation accuracy (mean over seeds); "
            "P(best wins a new seed, counted on test) = {wins}."
        ).format(behind=behind, wins=wins)
    else:
        detail = _(
            "{behind} behind the best of {dataset} on validation accuracy (mean over seeds); "
            "P(best wins a new seed, counted on test) = {wins}."
        ).format(behind=behind, dataset=dataset, wins=wins)
    leads = {
        "worse": lambda: _(
            "Worse than the best (simultaneous comparisons, family-wise error {error})"
        ).format(error=error),
        "equivalent": lambda: _("Equivalent to the best within the ±{margin} margin").format(
            margin=margin
        ),
        "unresolved": lambda: _(
            "Unresolved: at these seeds neither worse than the best nor within the ±{margin} margin"
        ).format(margin=margin),
    }
    lead = leads[claim]() if claim in leads else word(claim)
    return _("{lead}: {detail}").format(lead=lead, detail=detail)


def _best_words(row: Mapping[str, Any], dataset: Any, resolved: bool, error: str) -> str:
    """The best configuration's words: its scores, and whether it is resolved better."""
    values = {
        "dataset": dataset,
        "selection": pct(row.get("selection_mean")),
        "test": pct(row.get("mean")),
        "error": error,
    }
    if dataset is None and resolved:
        text = _(
            "The best configuration: the highest mean validation accuracy ({selection}); "
            "test accuracy {test}; better than every other configuration "
            "(family-wise error {error})."
        )
    elif dataset is None:
        text = _(
            "The best configuration: the highest mean validation accuracy ({selection}); "
            "test accuracy {test}; not resolved better than every other configuration "
            "(family-wise error {error})."
        )
    elif resolved:
        text = _(
            "The best configuration of {dataset}: the highest mean validation accuracy "
            "({selection}); test accuracy {test}; better than every other configuration "
            "(family-wise error {error})."
        )
    else:
        text = _(
            "The best configuration of {dataset}: the highest mean validation accuracy "
            "({selection}); test accuracy {test}; not resolved better than every other "
            "configuration (family-wise error {error})."
        )
    return text.format(**values)


def confusion_matrices(
    table: pd.DataFrame, config_key: Callable[[Mapping[str, Any], Sequence[str]], tuple]
) -> dict[tuple, dict[str, Any]]:
    """Each configuration's confusion matrix (rates by true class, rows), by configuration key."""
    if table.empty:
        return {}
    keys = config_keys(table)
    out = {}
    for _key, mine in table.groupby(keys, sort=False):
        dataset = str(mine["dataset"].iloc[0]) if "dataset" in mine else "mnist"
        rates = np.zeros((10, 10))
        true, predicted = mine["true"].to_numpy(int), mine["predicted"].to_numpy(int)
        rates[true, predicted] = mine["rate"].fillna(0).to_numpy(float)
        key = config_key(mine.iloc[0].to_dict(), keys)
        out[key] = {
            "classes": [class_label(name) for name in class_names(dataset)],
            "rates": [[_round(v, 4) for v in r] for r in rates],
        }
    return out


def _round(value: float, digits: int = 5) -> float | None:
    """A finite float to `digits` significant digits (the JSON stays small); else None."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def _script_json(payload: Mapping[str, Any]) -> str:
    """JSON to sit inside a `<script type="application/json">`: `<` escaped, never `</script>`."""
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def vendor_code(name: str) -> str:
    """The text of a vendored library (`VENDOR`), checked to be safe inside a `<script>`."""
    code = resources.files("ablation.report").joinpath("vendor", name).read_text("utf-8")
    if "</script" in code.lower():
        raise ValueError(f"vendor/{name} contains '</script' and cannot be inlined")
    return code
