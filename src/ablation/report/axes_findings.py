"""Headline sentences for any axes: what more data is worth, and whether findings transfer.

Like `ablation.report.findings`, each function reads statistics tables and returns
zero or more sentences; a table without what a sentence needs yields none.
"""

from __future__ import annotations

import pandas as pd

from ablation.axes import format_number, label
from ablation.report.formatting import is_missing, points, points_interval


def more_data(worth: pd.DataFrame, level: str) -> list[str]:
    """What the largest training set buys against the smallest, next to each regularizer.

    Parameters
    ----------
    worth : `ablation.stats.datasize.datasize_worth` (empty unless ``train_size`` varies).
    level : the confidence level in words (``95%``).
    """
    if worth.empty:
        return []
    acc = worth[worth["metric"] == "final_test_accuracy"]
    gap = worth[worth["metric"] == "final_gap_accuracy"]
    groups = acc.groupby("dataset", sort=True) if "dataset" in acc else [(None, acc)]
    return [s for dataset, part in groups for s in _more_data(part, gap, dataset, level)]


def _more_data(acc: pd.DataFrame, gap: pd.DataFrame, dataset, level: str) -> list[str]:
    if dataset is not None:
        gap = gap[gap["dataset"] == dataset]
    sizes = acc[acc["axis"] == "train_size"]
    if sizes.empty:
        return []
    largest = sizes.loc[sizes["level"].astype(float).idxmax()]
    where = f"On {dataset}, going" if dataset is not None else "Going"
    sentence = (
        f"{where} from {_n(largest['baseline_level'])} to {_n(largest['level'])} training "
        f"images changed final test accuracy by {points(largest['mean_delta'])}"
        + _interval(largest, level)
        + _gap_clause(gap, "train_size", largest["level"])
    )
    others = []
    for _, row in acc[acc["axis"].isin(["dropout", "weight_decay"])].iterrows():
        others.append(
            f"{label(row['axis'])} {_n(row['level'])} {points(row['mean_delta'])}"
            + _gap_clause(gap, row["axis"], row["level"], short=True)
        )
    if others:
        sentence += "; for comparison, with everything else fixed: " + "; ".join(others)
    return [sentence + "."]


def _n(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{int(number):,}" if number.is_integer() and number >= 1000 else format_number(number)


def _interval(row: pd.Series, level: str) -> str:
    if is_missing(row.get("ci_low")):
        return ""
    return f" ({level} interval {points_interval(row['ci_low'], row['ci_high'])})"


def _gap_clause(gap: pd.DataFrame, axis: str, level, short: bool = False) -> str:
    match = gap[(gap["axis"] == axis) & (gap["level"] == level)]
    if match.empty:
        return ""
    delta = points(match["mean_delta"].iloc[0])
    return f" (gap {delta})" if short else f" and the train-test accuracy gap by {delta}"


def transfer(agreement: pd.DataFrame, findings: pd.DataFrame, level: str) -> list[str]:
    """Rank agreement between datasets, and how many findings hold on every dataset."""
    if agreement.empty:
        return []
    text = []
    for _, row in agreement.iterrows():
        how = (
            "largely transfers" if row["tau"] >= 0.5
            else "transfers only in part" if row["tau"] > 0
            else "does not transfer"
        )  # fmt: skip
        sentence = (
            f"The ranking of configurations {how} between {row['dataset_a']} and "
            f"{row['dataset_b']}: Kendall's tau = {row['tau']:.2f}"
        )
        if row["has_interval"]:
            sentence += f" ({level} bootstrap interval over seeds {row['ci_low']:.2f} to "
            sentence += f"{row['ci_high']:.2f})"
        elif int(row["n_seeds"]) < 2:
            sentence += " (one seed: no interval)"
        sentence += f", over {int(row['n_configs'])} configurations"
        if int(row["n_configs"]) == 2:
            sentence += " (with two, tau can only be 1 or -1)"
        text.append(sentence + ".")
    best = findings[findings["finding"] == "best level"] if len(findings) else findings
    if len(best):
        text.append(_best_level_sentence(best))
    return text


def _best_level_sentence(best: pd.DataFrame) -> str:
    """Which axes' best level holds on every dataset, is reversed, or is not resolved."""
    if "state" not in best:
        best = best.assign(state=best["holds"].map({True: "holds", False: "reversed"}))
    states = best.groupby("axis", sort=False)["state"].first()
    kept = [label(a) for a, s in states.items() if s == "holds"]
    flipped = [label(a) for a, s in states.items() if s == "reversed"]
    open_ = [f"{label(a)} ({s})" for a, s in states.items() if s not in ("holds", "reversed")]
    parts = [
        f"the best level of {_list(kept)} is resolved and the same on every dataset"
        if kept
        else "",
        f"that of {_list(flipped)} is resolved on each dataset and differs" if flipped else "",
        f"that of {_list(open_)} cannot be told apart from the other levels" if open_ else "",
    ]
    sentence = "; ".join(p for p in parts if p) or "no axis has a best level to compare"
    return sentence[0].upper() + sentence[1:] + "."


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
