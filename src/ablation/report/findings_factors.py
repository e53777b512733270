"""Headline sentences of the factorial model: which choice matters most, which interact;
without the model, the widest spread of marginal means.

Like `ablation.report.findings`, each function reads statistics tables and returns zero
or more sentences in the active language; a table without what a sentence needs yields none.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ablation import i18n
from ablation.axes import LABELS, label
from ablation.i18n import _, ngettext
from ablation.report.formatting import fixed, pct, points
from ablation.report.phrases import by_dataset, n_runs, p_clause
from ablation.report.table_texts import anova_note


def strongest_factor(anova: pd.DataFrame, marginal: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """Which choice matters most and which interact, from the factorial model."""
    if anova.empty or anova["kind"].isna().all():
        return _marginal_spread(marginal) + _anova_note(anova)
    text = []
    for dataset, part in anova.groupby("dataset") if "dataset" in anova else [(None, anova)]:
        text += _anova_sentences(part, dataset or None, alpha)
    return text


def _anova_sentences(table: pd.DataFrame, dataset: str | None, alpha: float) -> list[str]:
    main = table[table["kind"] == "main"].sort_values("partial_omega_sq", ascending=False)
    if main.empty:
        return _anova_note(table)
    residual_df = int(table["residual_df"].iloc[0])
    n = int(table["n_runs"].iloc[0])
    text = [_strongest(main, residual_df, n, dataset)]
    pairs = table[table["kind"] == "interaction"]
    strong = pairs[pairs["p_holm"] < alpha].sort_values("partial_omega_sq", ascending=False)
    alpha_text = i18n.number(f"{alpha:g}")
    if len(strong):
        listed = "; ".join(
            _("{pair} ({effect})").format(
                pair=_pair_label(r["term"]), effect=_effect(r, residual_df)
            )
            for _i, r in strong.head(3).iterrows()
        )
        if len(strong) > 3:
            more = len(strong) - 3
            text.append(
                ngettext(  # English keeps its plural for every count, as it always read
                    "These choices interact (Holm-corrected p < {alpha}): {listed}; and {n} "
                    "more pairs (Factor effects).",
                    "These choices interact (Holm-corrected p < {alpha}): {listed}; and {n} "
                    "more pairs (Factor effects).",
                    more,
                ).format(alpha=alpha_text, listed=listed, n=more)
            )
        else:
            text.append(
                _("These choices interact (Holm-corrected p < {alpha}): {listed}.").format(
                    alpha=alpha_text, listed=listed
                )
            )
    elif len(pairs):
        text.append(
            ngettext(
                "No two-way interaction is significant (all {n} pair Holm-corrected p \u2265 "
                "{alpha}, {runs}).",
                "No two-way interaction is significant (all {n} pairs Holm-corrected p \u2265 "
                "{alpha}, {runs}).",
                len(pairs),
            ).format(n=len(pairs), alpha=alpha_text, runs=n_runs(n))
        )
    return text + _anova_note(table)


def _strongest(main: pd.DataFrame, residual_df: int, n: int, dataset: str | None) -> str:
    """The axis that matters most in the model, and the one that matters least."""
    top, low = main.iloc[0], main.iloc[-1]
    values = {
        "dataset": dataset,
        "runs": n_runs(n),
        "top": _subject(top["term"]),
        "top_effect": _effect(top, residual_df),
        "low": _subject(low["term"]),
        "low_effect": _effect(low, residual_df),
    }
    messages = {
        (False, False): _(
            "In a model of the whole design (type II ANOVA of final test accuracy on every "
            "axis, their two-way interactions and the seed; {runs}), {top} matters most "
            "({top_effect}); F-tests give p-values, not intervals."
        ),
        (False, True): _(
            "In a model of the whole design on {dataset} (type II ANOVA of final test accuracy "
            "on every axis, their two-way interactions and the seed; {runs}), {top} matters "
            "most ({top_effect}); F-tests give p-values, not intervals."
        ),
        (True, False): _(
            "In a model of the whole design (type II ANOVA of final test accuracy on every "
            "axis, their two-way interactions and the seed; {runs}), {top} matters most "
            "({top_effect}) and {low} least ({low_effect}); F-tests give p-values, not "
            "intervals."
        ),
        (True, True): _(
            "In a model of the whole design on {dataset} (type II ANOVA of final test accuracy "
            "on every axis, their two-way interactions and the seed; {runs}), {top} matters "
            "most ({top_effect}) and {low} least ({low_effect}); F-tests give p-values, not "
            "intervals."
        ),
    }
    return messages[len(main) > 1, dataset is not None].format(**values)


def _effect(row: pd.Series, residual_df: int) -> str:
    return _("partial \u03c9\u00b2 {omega}, F({df}, {residual_df}) = {f}, p {p}").format(
        omega=fixed(row["partial_omega_sq"], 3),
        df=int(row["df"]),
        residual_df=residual_df,
        f=fixed(row["F"], 2),
        p=p_clause(row["p_value"]),
    )


def _subject(axis: str) -> str:
    """An axis as the subject of "matters": `the dropout`, `the number of hidden units`."""
    if axis == "hidden_size":
        return _("the number of hidden units")
    if axis == "train_size":
        return _("the number of training images")
    if axis == "validation_size":
        return _("the number of validation images")
    if axis not in LABELS and label(axis).endswith("s"):  # an axis this version does not name
        return _("the number of {axis}").format(axis=label(axis))
    return _("the {axis}").format(axis=label(axis))


def _pair_label(term: str) -> str:
    return " \u00d7 ".join(label(axis) for axis in term.split(":"))


def _anova_note(table: pd.DataFrame) -> list[str]:
    notes = {n for n in table.get("note", pd.Series(dtype=str)).dropna() if n}
    return [
        _("The factorial model: {note}.").format(note=anova_note(note)) for note in sorted(notes)
    ]


def _marginal_spread(marginal: pd.DataFrame) -> list[str]:
    """Fallback without the ANOVA table: the spread of marginal means per axis (per dataset)."""
    rows = marginal[marginal["metric"] == "final_test_accuracy"] if len(marginal) else marginal
    rows = rows.dropna(subset=["mean"]) if len(rows) else rows
    if rows.empty:
        return []
    return [s for dataset, part in by_dataset(rows) for s in _widest_axis(part, dataset)]


def _widest_axis(rows: pd.DataFrame, dataset: str | None) -> list[str]:
    spans = []
    for axis, part in rows.groupby("axis", sort=False):
        if len(part) < 2:
            continue
        top, bottom = part.loc[part["mean"].idxmax()], part.loc[part["mean"].idxmin()]
        spans.append((top["mean"] - bottom["mean"], axis, top, bottom))
    if not spans:
        return []
    span, axis, top, bottom = max(spans, key=lambda s: s[0])
    values = {
        "dataset": dataset,
        "top": pct(top["mean"]),
        "axis": label(axis),
        "top_level": _level(top["level"]),
        "bottom": pct(bottom["mean"]),
        "bottom_level": _level(bottom["level"]),
        "span": points(span, sign=False),
        "top_n": int(top["n"]),
        "bottom_n": int(bottom["n"]),
    }
    if dataset is None:
        message = _(
            "Averaged over everything else, final test accuracy is {top} with {axis} "
            "{top_level} and {bottom} with {bottom_level} ({span} apart, n = {top_n} and "
            "{bottom_n} runs; no model of the design was fitted, so untested)."
        )
    else:
        message = _(
            "On {dataset}, averaged over everything else, final test accuracy is {top} with "
            "{axis} {top_level} and {bottom} with {bottom_level} ({span} apart, n = {top_n} "
            "and {bottom_n} runs; no model of the design was fitted, so untested)."
        )
    return [message.format(**values)]


def _level(value: Any) -> str:
    """A level as a table keeps it (text), a number as the active language writes it."""
    text = str(value)
    try:
        float(text)
    except ValueError:
        return text
    return i18n.number(text)
