"""Headline findings: sentences written from the statistics tables, never by hand.

Each function reads one table and returns zero or more sentences (plain text,
escaped by the template). A table that is empty or lacks what a sentence needs
yields no sentence rather than a wrong one.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ablation.axes import AXES, config_keys, label
from ablation.axes import config_label as _label_of
from ablation.report.axes_findings import each_dataset, more_data, transfer
from ablation.report.formatting import (
    DASH,
    is_missing,
    p_value,
    pct,
    points,
    seconds,
)
from ablation.report.inputs import ReportInputs


def config_label(row: Any, keys: list[str] | None = None) -> str:
    """A configuration in words: `keys`, or every axis of a statistics row (not the seed)."""
    return _label_of(row, keys or [k for k in AXES if k in row and k != "seed"])


def headline_findings(
    inputs: ReportInputs, n_expected: int, confidence: float = 0.95, alpha: float = 0.05
) -> list[str]:
    """All headline sentences, most important first."""
    level = f"{confidence:.0%}"
    sentences = coverage(inputs.runs, n_expected)
    sentences += each_dataset(inputs.leaderboard, lambda b: winner(b, level, alpha))
    sentences += each_dataset(inputs.marginal_means, strongest_factor)
    sentences += overfitting(inputs.overfitting)
    sentences += regularization(inputs.regularization_effects, level)
    sentences += more_data(inputs.datasize_worth, level)
    sentences += transfer(inputs.rank_agreement, inputs.transfer_findings, level)
    sentences += divergence(inputs.overfitting, inputs.anomalies)
    sentences += cost(inputs.runs)
    return sentences


def coverage(runs: pd.DataFrame, n_expected: int) -> list[str]:
    done = len(runs)
    if done == n_expected:
        return [f"All {n_expected} planned runs finished."]
    return [
        f"Only {done} of {n_expected} planned runs have finished; every number below "
        f"describes the finished runs only, and the missing ones are listed at the end."
    ]


def winner(board: pd.DataFrame, level: str, alpha: float) -> list[str]:
    ranked = board.dropna(subset=["mean"]).sort_values("rank") if len(board) else board
    if ranked.empty:
        return []
    best = ranked.iloc[0]
    seeds = _plural(int(best["n"]), "seed")
    text = [
        f"The best configuration is {config_label(best)}, with a mean final test accuracy of "
        f"{pct(best['mean'])}"
        + (
            f" ({level} confidence interval {_range(best['ci_low'], best['ci_high'])})"
            if not is_missing(best["ci_low"])
            else " (one seed, so no interval)"
        )
        + f" over {seeds}."
    ]
    others = ranked.iloc[1:]
    if others.empty:
        return text
    tied = others[others["indistinguishable_from_best"].astype(bool)]
    if tied.empty:
        text.append(
            f"Every other configuration is worse by a margin the seeds can resolve "
            f"(paired t-test, Holm-corrected p < {alpha:g})."
        )
    else:
        names = "; ".join(config_label(r) for _, r in tied.head(4).iterrows())
        more = f" and {len(tied) - 4} more" if len(tied) > 4 else ""
        text.append(
            f"{_plural(len(tied), 'other configuration')} cannot be told apart from it with "
            f"these seeds (Holm-corrected p \u2265 {alpha:g}, or too few seeds to test): "
            f"{names}{more}."
        )
    worst = ranked.iloc[-1]
    text.append(
        f"The worst is {config_label(worst)} at {pct(worst['mean'])}, "
        f"{points(worst.get('diff_from_best'), sign=False)} below the best."
    )
    return text


def strongest_factor(marginal: pd.DataFrame) -> list[str]:
    rows = marginal[marginal["metric"] == "final_test_accuracy"] if len(marginal) else marginal
    rows = rows.dropna(subset=["mean"]) if len(rows) else rows
    spans = []
    for axis, part in rows.groupby("axis", sort=False) if len(rows) else []:
        if len(part) < 2:
            continue
        top, bottom = part.loc[part["mean"].idxmax()], part.loc[part["mean"].idxmin()]
        spans.append((top["mean"] - bottom["mean"], axis, top, bottom))
    if not spans:
        return []
    spans.sort(key=lambda s: s[0], reverse=True)
    span, axis, top, bottom = spans[0]
    text = [
        f"Of the choices varied, the {label(axis)} matters most: averaged over "
        f"everything else, final test accuracy is {pct(top['mean'])} with {top['level']} and "
        f"{pct(bottom['mean'])} with {bottom['level']} ({points(span, sign=False)} apart)."
    ]
    if len(spans) > 1:
        span, axis, top, bottom = spans[-1]
        text.append(
            f"The {label(axis)} matters least: its levels are "
            f"{points(span, sign=False)} apart on average."
        )
    return text


def overfitting(per_run: pd.DataFrame) -> list[str]:
    if per_run.empty or "verdict" not in per_run:
        return []
    counts = per_run["verdict"].value_counts()
    judged = int(len(per_run) - counts.get("not available", 0))
    if judged == 0:
        return [
            "Overfitting was not judged: the study has no validation split "
            "(training.validation_size is 0)."
        ]
    n_over = int(counts.get("overfitting", 0))
    text = (
        f"{n_over} of {judged} runs overfit (validation loss rose while training loss kept falling)"
    )
    onsets = per_run["onset_epoch"].dropna()
    if len(onsets):
        text += f"; the earliest onset was after epoch {int(onsets.min())}"
    n_under = int(counts.get("underfitting", 0))
    if n_under:
        text += f"; {n_under} underfit (training accuracy stayed low)"
    return [text + "."]


def regularization(effects: pd.DataFrame, level: str) -> list[str]:
    if effects.empty:
        return []
    text = []
    strata = ["dataset"] if "dataset" in effects else []  # never pooled across datasets
    for key, part in effects.groupby([*strata, "regularizer", "level"], sort=True):
        dataset, regularizer, strength = key if strata else (None, *key)
        by_metric = part.set_index("metric")
        if "final_test_accuracy" not in by_metric.index:
            continue
        acc = by_metric.loc["final_test_accuracy"]
        name = "Dropout" if regularizer == "dropout" else "Weight decay"
        name = f"On {dataset}, {name.lower()}" if dataset is not None else name
        sentence = (
            f"{name} {strength:g} changed final test accuracy by {points(acc['mean_delta'])} "
            f"on average over {_plural(int(acc['n_pairs']), 'paired run')}"
        )
        if not is_missing(acc["ci_low"]):
            sentence += (
                f" ({level} interval {points(acc['ci_low'])} to {points(acc['ci_high'])}, "
                f"p {_p_clause(acc['p_value'])})"
            )
        if "final_gap_accuracy" in by_metric.index:
            gap = by_metric.loc["final_gap_accuracy"]
            sentence += f", and the train-test accuracy gap by {points(gap['mean_delta'])}"
        text.append(sentence + ".")
    return text


def divergence(per_run: pd.DataFrame, anomalies: pd.DataFrame) -> list[str]:
    text = []
    if len(per_run) and "status" in per_run:
        diverged = per_run[per_run["status"] == "diverged"]
        if diverged.empty:
            text.append("No run diverged.")
        else:
            one = len(diverged) == 1
            text.append(
                f"{_plural(len(diverged), 'run')} diverged (the loss became infinite or NaN); "
                + (
                    "it keeps its last finite measurements and is"
                    if one
                    else "they keep their last finite measurements and are"
                )
                + " marked in the figures."
            )
    if len(anomalies):
        kinds = anomalies["kind"].value_counts()
        listed = ", ".join(
            _plural(n, KIND_NAMES.get(k, k.replace("_", " "))) for k, n in kinds.items()
        )
        verb = "was" if len(anomalies) == 1 else "were"
        text.append(
            f"{_plural(len(anomalies), 'training anomaly', 'training anomalies')} {verb} flagged "
            f"in {_plural(anomalies['run_id'].nunique(), 'run')}: {listed}."
        )
    return text


def cost(runs: pd.DataFrame) -> list[str]:
    if runs.empty or runs["train_seconds"].dropna().empty:
        return []
    keys = config_keys(runs)
    fast = runs.loc[runs["train_seconds"].idxmin()]
    slow = runs.loc[runs["train_seconds"].idxmax()]
    return [
        f"Training time per run ranged from {seconds(fast['train_seconds'])} "
        f"({config_label(fast, keys)}) to {seconds(slow['train_seconds'])} "
        f"({config_label(slow, keys)}); "
        f"all runs together trained for {seconds(runs['train_seconds'].sum())}."
    ]


KIND_NAMES = {
    "loss_spike": "loss spike",
    "non_finite_loss": "non-finite loss",
    "accuracy_drop": "accuracy drop",
}


def _range(low: Any, high: Any) -> str:
    """An interval of fractions in words: `97.80–98.10%`."""
    return f"{float(low) * 100:.2f}{DASH}{float(high) * 100:.2f}%"


def _p_clause(value: float) -> str:
    """`= 0.211` or `< 0.001`, for reading inside a sentence."""
    text = p_value(value)
    return text if text.startswith("<") else f"= {text}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"
