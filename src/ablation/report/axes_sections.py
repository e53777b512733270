"""The report's sections for any axes: paired effects, more data, transfer between datasets.

Each builder turns a statistics table into rows the template prints; none computes
a statistic. `AXES_FIGURES` draws their figures (a short note in place of a figure
whose study lacks what it shows: a varying training-set size, several datasets).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ablation import plots
from ablation.axes import format_number, label, ordered
from ablation.i18n import N_, _
from ablation.report.formatting import points
from ablation.report.inputs import ReportInputs
from ablation.report.words import word

Tables = Mapping[str, pd.DataFrame]
# The kinds of finding the transfer table checks (codes of ablation.stats.transfer).
FINDINGS = {"best level": N_("best level"), "paired effect": N_("paired effect")}
UNRESOLVED_ON = "unresolved on "  # a transfer state: "unresolved on mnist, kmnist"

# name -> how it is drawn from the tables (and the confidence of the study)
AXES_FIGURES: dict[str, Callable[[Tables, float], Any]] = {
    "paired_changes": lambda t, c: plots.paired_effects_plot(t["paired_effects"]),
    "datasize": lambda t, c: plots.datasize_plot(t["datasize_curve"]),
    "transfer": lambda t, c: plots.transfer_plot(t["leaderboard"], t["rank_agreement"]),
}


def axes_context(inputs: ReportInputs) -> dict[str, Any]:
    """What the template's sections for any axes print (empty lists hide a section)."""
    datasets = (
        ordered(inputs.runs["dataset"])
        if len(inputs.runs) and "dataset" in inputs.runs and inputs.runs["dataset"].nunique() > 1
        else []
    )
    return {
        "datasets": datasets,
        "paired": paired_rows(inputs.paired_effects),
        "datasize": datasize_rows(inputs.datasize_worth),
        "regularizers": varied_regularizers(inputs.datasize_worth),
        "transfer": transfer_context(inputs.rank_agreement, inputs.transfer_findings),
    }


def level_text(level: Any) -> str:
    """A level as written in tables (`0.0001` -> `1e-04`, `relu` -> `relu`)."""
    try:
        return format_number(float(level))
    except (TypeError, ValueError):
        return str(level)


def paired_rows(effects: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per change (and dataset): accuracy change with interval, and gap change."""
    if effects.empty:
        return []
    keys = ["axis", "level", "baseline_level", *(["dataset"] if "dataset" in effects else [])]
    acc = effects[effects["metric"] == "final_test_accuracy"]
    gap = effects[effects["metric"] == "final_gap_accuracy"].set_index(keys)["mean_delta"]
    rows = []
    for row in acc.to_dict("records"):
        rows.append(
            {
                **row,
                "axis_label": label(row["axis"]),
                "level_label": level_text(row["level"]),
                "baseline_label": level_text(row["baseline_level"]),
                "gap_delta": gap.get(tuple(row[k] for k in keys)),
            }
        )
    return rows


def datasize_rows(worth: pd.DataFrame) -> list[dict[str, Any]]:
    """More data next to each regularizer: accuracy and gap change with intervals."""
    if worth.empty:
        return []
    strata = ["dataset"] if "dataset" in worth else []
    keys = [*strata, "axis", "level", "baseline_level"]
    first = {"train_size": 0, "dropout": 1, "weight_decay": 2}  # more data, then the others
    worth = worth.sort_values(strata, kind="stable") if strata else worth
    worth = worth.iloc[
        np.lexsort([worth["axis"].map(first).to_numpy(), *(worth[s] for s in strata)])
    ]
    rows = []
    for key, part in worth.groupby(keys, sort=False):
        cell = dict(zip(keys, key, strict=True))
        by = part.set_index("metric")
        acc = by.loc["final_test_accuracy"] if "final_test_accuracy" in by.index else {}
        gap = by.loc["final_gap_accuracy"] if "final_gap_accuracy" in by.index else {}
        rows.append(
            {
                **cell,
                "remedy": remedy_name(cell["axis"], cell["level"], cell["baseline_level"]),
                "n_pairs": acc.get("n_pairs"),
                "accuracy": acc.get("mean_delta"),
                "accuracy_low": acc.get("ci_low"),
                "accuracy_high": acc.get("ci_high"),
                "gap": gap.get("mean_delta"),
                "gap_low": gap.get("ci_low"),
                "gap_high": gap.get("ci_high"),
            }
        )
    return rows


def varied_regularizers(worth: pd.DataFrame) -> list[str]:
    """Names of the regularizers that the "more data" table compares with (those varied)."""
    present = set(worth["axis"]) if "axis" in worth else set()
    return [label(axis) for axis in ("dropout", "weight_decay") if axis in present]


def remedy_name(axis: str, level: Any, baseline: Any) -> str:
    """`5000 -> 50000 training images`, `dropout 0.2 (vs 0)`."""
    values = {"axis": label(axis), "level": level_text(level), "baseline": level_text(baseline)}
    if axis == "train_size":
        return _("{baseline} \u2192 {level} {axis}").format(**values)
    return _("{axis} {level} (vs {baseline})").format(**values)


def transfer_context(agreement: pd.DataFrame, findings: pd.DataFrame) -> dict[str, Any] | None:
    """Rank agreement rows and one row per finding with its value on each dataset."""
    if agreement.empty:
        return None
    rows = []
    if len(findings):
        for (kind, axis, level), part in _finding_groups(findings):
            values = {}
            for r in part.to_dict("records"):
                if kind == "best level":
                    values[r["dataset"]] = level_text(r["level"])
                else:
                    values[r["dataset"]] = points(r["value"])
            choice = label(axis)
            if kind == "paired effect":
                choice = _("{axis} {level} vs {baseline}").format(
                    axis=choice,
                    level=level_text(level),
                    baseline=level_text(part["baseline_level"].iloc[0]),
                )
            state = part["state"].iloc[0] if "state" in part else None
            if not isinstance(state, str):  # older tables: agreement only
                state = "holds" if bool(part["holds"].all()) else "does not hold"
            rows.append(
                {"finding": kind, "finding_label": _(FINDINGS[kind]), "choice": choice,
                 "by_dataset": values, "state": state, "state_label": state_words(state)}
            )  # fmt: skip
    return {"agreement": agreement.to_dict("records"), "findings": rows}


def state_words(state: str) -> str:
    """A finding's transfer state as shown: `holds`, or `unresolved on mnist, kmnist`."""
    if state.startswith(UNRESOLVED_ON):
        return _("unresolved on {datasets}").format(datasets=state[len(UNRESOLVED_ON) :])
    return word(state)


def _finding_groups(findings: pd.DataFrame):
    best = findings[findings["finding"] == "best level"]
    for axis, part in best.groupby("axis", sort=False):
        yield ("best level", axis, None), part
    effects = findings[findings["finding"] == "paired effect"]
    yield from (
        (("paired effect", axis, level), part)
        for (axis, level), part in effects.groupby(["axis", "level"], sort=False)
    )
