"""Headline sentences for any axes: what more data is worth, and whether findings transfer.

Like `ablation.report.findings`, each function reads statistics tables and returns
zero or more sentences; a table without what a sentence needs yields none.
"""

from __future__ import annotations

import pandas as pd

from ablation import i18n
from ablation.axes import format_number, label
from ablation.i18n import _, ngettext
from ablation.report.formatting import fixed, is_missing, points, points_interval
from ablation.report.phrases import and_list
from ablation.report.table_texts import finding_state


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
    size_gap = _gap(gap, "train_size", largest["level"])
    values = {
        "dataset": dataset,
        "smallest": _n(largest["baseline_level"]),
        "largest": _n(largest["level"]),
        "change": points(largest["mean_delta"]),
        "interval": _interval(largest, level),
        "gap": size_gap,
    }
    sentence = _size_message(dataset is not None, size_gap is not None, largest["level"])
    sentence = sentence.format(**values)
    others = [
        _regularizer_item(row, gap)
        for _i, row in acc[acc["axis"].isin(["dropout", "weight_decay"])].iterrows()
    ]
    if not others:
        return [sentence + "."]
    return [
        _("{sentence}; for comparison, with everything else fixed: {others}.").format(
            sentence=sentence, others="; ".join(others)
        )
    ]


def _size_message(on_dataset: bool, with_gap: bool, largest) -> str:
    """What the largest training set changed (a sentence without its full stop)."""
    n = int(float(largest))
    messages = {  # English keeps its plural for every count, as it always read
        (False, False): ngettext(
            "Going from {smallest} to {largest} training images changed final test accuracy "
            "by {change}{interval}",
            "Going from {smallest} to {largest} training images changed final test accuracy "
            "by {change}{interval}",
            n,
        ),
        (False, True): ngettext(
            "Going from {smallest} to {largest} training images changed final test accuracy "
            "by {change}{interval} and the train-test accuracy gap by {gap}",
            "Going from {smallest} to {largest} training images changed final test accuracy "
            "by {change}{interval} and the train-test accuracy gap by {gap}",
            n,
        ),
        (True, False): ngettext(
            "On {dataset}, going from {smallest} to {largest} training images changed final "
            "test accuracy by {change}{interval}",
            "On {dataset}, going from {smallest} to {largest} training images changed final "
            "test accuracy by {change}{interval}",
            n,
        ),
        (True, True): ngettext(
            "On {dataset}, going from {smallest} to {largest} training images changed final "
            "test accuracy by {change}{interval} and the train-test accuracy gap by {gap}",
            "On {dataset}, going from {smallest} to {largest} training images changed final "
            "test accuracy by {change}{interval} and the train-test accuracy gap by {gap}",
            n,
        ),
    }
    return messages[on_dataset, with_gap]


def _regularizer_item(row: pd.Series, gap: pd.DataFrame) -> str:
    """`dropout 0.2 +0.71 pp (gap -0.70 pp)`: one regularizer's change, for comparison."""
    values = {
        "axis": label(row["axis"]),
        "level": _n(row["level"]),
        "change": points(row["mean_delta"]),
        "gap": _gap(gap, row["axis"], row["level"]),
    }
    if values["gap"] is None:
        return _("{axis} {level} {change}").format(**values)
    return _("{axis} {level} {change} (gap {gap})").format(**values)


def _n(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{int(number):,}" if number.is_integer() and number >= 1000 else format_number(number)
    return i18n.number(text)


def _interval(row: pd.Series, level: str) -> str:
    """` (95% interval -0.12 pp to +0.30 pp)`, or nothing without an interval."""
    if is_missing(row.get("ci_low")):
        return ""
    return _(" ({level} interval {interval})").format(
        level=level, interval=points_interval(row["ci_low"], row["ci_high"])
    )


def _gap(gap: pd.DataFrame, axis: str, level) -> str | None:
    match = gap[(gap["axis"] == axis) & (gap["level"] == level)]
    return None if match.empty else points(match["mean_delta"].iloc[0])


def transfer(agreement: pd.DataFrame, findings: pd.DataFrame, level: str) -> list[str]:
    """Rank agreement between datasets, and how many findings hold on every dataset."""
    if agreement.empty:
        return []
    text = [_agreement(row, level) for _i, row in agreement.iterrows()]
    best = findings[findings["finding"] == "best level"] if len(findings) else findings
    if len(best):
        text.append(_best_level_sentence(best))
    return text


def _agreement(row: pd.Series, level: str) -> str:
    """How far the ranking of one dataset carries to another (Kendall's tau): judged by
    the interval for the true tau where there is one, by the observed tau otherwise."""
    n = int(row["n_configs"])
    if n == 2:
        over = _("over 2 configurations (with two, tau can only be 1 or -1)")
    else:
        over = ngettext("over {n} configuration", "over {n} configurations", n).format(n=n)
    values = dict(a=row["dataset_a"], b=row["dataset_b"], tau=fixed(row["tau"], 2), over=over)
    if not row["has_interval"]:
        detail = _(" (one seed: no interval)") if int(row["n_seeds"]) < 2 else ""
        return _observed_agreement(row["tau"]).format(detail=detail, **values)
    detail = _(" ({level} interval for the tau of the true means: {low} to {high})").format(
        level=level, low=fixed(row["ci_low"], 2), high=fixed(row["ci_high"], 2)
    )
    return _bounded_agreement(row["ci_low"], row["ci_high"]).format(detail=detail, **values)


def _observed_agreement(tau: float) -> str:
    if tau >= 0.5:
        return _(
            "The ranking of configurations largely transfers between {a} and {b}: Kendall's "
            "tau = {tau}{detail}, {over}."
        )
    if tau > 0:
        return _(
            "The ranking of configurations transfers only in part between {a} and {b}: "
            "Kendall's tau = {tau}{detail}, {over}."
        )
    return _(
        "The ranking of configurations does not transfer between {a} and {b}: Kendall's "
        "tau = {tau}{detail}, {over}."
    )


def _bounded_agreement(low: float, high: float) -> str:
    if low >= 0.5:
        return _(
            "The ranking of configurations largely transfers between {a} and {b}: Kendall's "
            "tau = {tau}{detail}, {over}."
        )
    if low > 0:
        return _(
            "The ranking of configurations transfers at least in part between {a} and {b}: "
            "Kendall's tau = {tau}{detail}, {over}."
        )
    if high < 0:
        return _(
            "The ranking of configurations is reversed between {a} and {b}: Kendall's "
            "tau = {tau}{detail}, {over}."
        )
    return _(
        "Whether the ranking of configurations transfers between {a} and {b} cannot be told "
        "from these seeds: Kendall's tau = {tau}{detail}, {over}; too few pairs of "
        "configurations are ordered beyond doubt on both datasets (more seeds narrow it)."
    )


def _best_level_sentence(best: pd.DataFrame) -> str:
    """Which axes' best level holds on every dataset, is reversed, or is not resolved."""
    if "state" not in best:
        best = best.assign(state=best["holds"].map({True: "holds", False: "reversed"}))
    states = best.groupby("axis", sort=False)["state"].first()
    kept = and_list([label(a) for a, s in states.items() if s == "holds"])
    flipped = and_list([label(a) for a, s in states.items() if s == "reversed"])
    open_ = and_list(
        [
            _("{axis} ({state})").format(axis=label(a), state=finding_state(s))
            for a, s in states.items()
            if s not in ("holds", "reversed")
        ]
    )
    messages = {
        (False, False, False): _("No axis has a best level to compare."),
        (True, False, False): _(
            "The best level of {kept} is resolved and the same on every dataset."
        ),
        (False, True, False): _("That of {flipped} is resolved on each dataset and differs."),
        (False, False, True): _("That of {open} cannot be told apart from the other levels."),
        (True, True, False): _(
            "The best level of {kept} is resolved and the same on every dataset; that of "
            "{flipped} is resolved on each dataset and differs."
        ),
        (True, False, True): _(
            "The best level of {kept} is resolved and the same on every dataset; that of "
            "{open} cannot be told apart from the other levels."
        ),
        (False, True, True): _(
            "That of {flipped} is resolved on each dataset and differs; that of {open} cannot "
            "be told apart from the other levels."
        ),
        (True, True, True): _(
            "The best level of {kept} is resolved and the same on every dataset; that of "
            "{flipped} is resolved on each dataset and differs; that of {open} cannot be told "
            "apart from the other levels."
        ),
    }
    message = messages[bool(kept), bool(flipped), bool(open_)]
    return message.format(kept=kept, flipped=flipped, open=open_)
