"""Texts the statistics tables keep in English, in the active language where the report
shows them: the reason of each run's overfitting verdict, the kinds of training anomaly,
the notes of the factorial model and the states of findings across datasets.

The tables keep their English texts (the CSV files are read as they are); the report
rebuilds each sentence from the row's own columns with a translated message. In English,
or when a row lacks what its sentence needs, it shows the table's text as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ablation import i18n
from ablation.i18n import N_, _, ngettext
from ablation.report.formatting import fixed, is_missing, pct
from ablation.report.words import word
from ablation.stats.overfitting import TREND_ALPHA

Row = Mapping[str, Any]


def reason(row: Row, tolerance: float = 0.05) -> Any:
    """Why a run got its verdict, in the active language (the table's ``reason``).

    `tolerance` is the study's ``analysis.onset_tolerance``, which the reasons quote.
    """
    text = row.get("reason")
    if i18n.current() == i18n.SOURCE or row.get("verdict") not in REASONS:
        return text
    try:
        return reason_text(row, tolerance)
    except (KeyError, TypeError, ValueError):  # an older table without some column
        return text


def reason_text(row: Row, tolerance: float = 0.05) -> str:
    """The reason of `row`'s verdict rebuilt from its columns (the same words in English as
    `ablation.stats.overfitting` writes)."""
    return REASONS[row["verdict"]](row, tolerance)


def _epoch(row: Row, column: str) -> int:
    value = row.get(column)
    if is_missing(value):
        raise ValueError(f"no {column}")
    return int(value)


def _diverged(row: Row, tolerance: float) -> str:
    epoch = row.get("diverged_epoch")
    if is_missing(epoch):  # diverged by a non-finite loss alone: its epoch is only in the text
        found = re.search(r"epoch (\S+)$", str(row.get("reason") or ""))
        epoch = found.group(1) if found else "?"
    return _("non-finite loss at epoch {epoch}").format(
        epoch=epoch if isinstance(epoch, str) else int(epoch)
    )


def _still_learning(row: Row, tolerance: float) -> str:
    return _(
        "validation loss still fell over the later half of training (Kendall trend, "
        "p < {alpha}) to a new low at the last milestone: more epochs would help"
    ).format(alpha=i18n.number(f"{TREND_ALPHA:g}"))


def _underfitting(row: Row, tolerance: float) -> str:
    if is_missing(row.get("final_train_accuracy")) or is_missing(row.get("underfit_threshold")):
        raise ValueError("no accuracies")
    return _(
        "final training accuracy {accuracy} is below {threshold} (the best run of its "
        "dataset less the underfit margin)"
    ).format(
        accuracy=fixed(row["final_train_accuracy"], 4),
        threshold=fixed(row["underfit_threshold"], 4),
    )


def _not_available(row: Row, tolerance: float) -> str:
    return _("no validation split (training.validation_size is 0): overfitting not judged")


def _overfitting(row: Row, tolerance: float) -> str:
    rise = row.get("final_val_loss_rise")
    if is_missing(rise):
        raise ValueError("no rise")
    return _(
        "validation loss rose after its minimum at epoch {onset}, a sustained rise from "
        "epoch {detected} (several milestones more than {tolerance} above it, or a "
        "significant upward trend) while training loss did not rise; at the end {rise} "
        "above the minimum"
    ).format(
        onset=_epoch(row, "onset_epoch"),
        detected=_epoch(row, "onset_detected_epoch"),
        tolerance=pct(tolerance, 0),
        rise=i18n.percent(f"{float(rise) * 100:+.0f}"),
    )


def _noisy_plateau(row: Row, tolerance: float) -> str:
    return _(
        "validation loss rose more than {tolerance} above its running minimum at epoch "
        "{epoch} but came back (lowest at epoch {lowest}): a flat, noisy curve, not overfitting"
    ).format(
        tolerance=pct(tolerance, 0),
        epoch=_epoch(row, "noisy_rise_epoch"),
        lowest=_epoch(row, "best_val_epoch"),
    )


def _good_fit(row: Row, tolerance: float) -> str:
    return _(
        "validation loss never rose more than {tolerance} above its minimum while training "
        "loss fell"
    ).format(tolerance=pct(tolerance, 0))


REASONS: dict[str, Callable[[Row, float], str]] = {
    "diverged": _diverged,
    "still learning": _still_learning,
    "underfitting": _underfitting,
    "not available": _not_available,
    "overfitting": _overfitting,
    "noisy plateau": _noisy_plateau,
    "good fit": _good_fit,
}

# ----------------------------------------------------------------------- anomalies

KINDS = {
    "loss_spike": N_("loss spike"),
    "non_finite_loss": N_("non-finite loss"),
    "accuracy_drop": N_("accuracy drop"),
}


def anomaly_kind(kind: str) -> str:
    """A kind of training anomaly (``loss_spike``) in words: `loss spike`."""
    return _(KINDS[kind]) if kind in KINDS else str(kind).replace("_", " ")


def anomaly_count(kind: str, n: int) -> str:
    """`2 loss spikes`, in the active language."""
    counts = {
        "loss_spike": lambda: ngettext("{n} loss spike", "{n} loss spikes", n),
        "non_finite_loss": lambda: ngettext("{n} non-finite loss", "{n} non-finite losses", n),
        "accuracy_drop": lambda: ngettext("{n} accuracy drop", "{n} accuracy drops", n),
    }
    if kind in counts:
        return counts[kind]().format(n=n)
    name = str(kind).replace("_", " ")
    return f"{n} {name if n == 1 else name + 's'}"  # a kind this version does not know


# ------------------------------------------------------------- the factorial model

_TOO_FEW = re.compile(
    r"too few runs \((\d+)\) for a model of (\d+) ax(?:is|es): (-?\d+) residual degrees? of freedom"
)
_LEFT_OUT = re.compile(
    r"two-way interactions left out: with them only (-?\d+) residual degrees of freedom "
    r"remain \((\d+) runs\)"
)


def anova_note(note: str) -> str:
    """A note of the factorial model (`ablation.stats.anova`) in the active language."""
    if note == "fewer than two levels of every axis: nothing to model":
        return _("fewer than two levels of every axis: nothing to model")
    if found := _TOO_FEW.fullmatch(note):
        runs, axes, dof = (int(g) for g in found.groups())
        return ngettext(
            "too few runs ({runs}) for a model of {n} axis: {dof}",
            "too few runs ({runs}) for a model of {n} axes: {dof}",
            axes,
        ).format(runs=runs, n=axes, dof=_residual_dof(dof))
    if found := _LEFT_OUT.fullmatch(note):
        dof, runs = (int(g) for g in found.groups())
        return ngettext(  # English keeps its plural for every count, as the table writes it
            "two-way interactions left out: with them only {n} residual degrees of freedom "
            "remain ({runs} runs)",
            "two-way interactions left out: with them only {n} residual degrees of freedom "
            "remain ({runs} runs)",
            dof,
        ).format(n=dof, runs=runs)
    return note


def _residual_dof(n: int) -> str:
    return ngettext("{n} residual degree of freedom", "{n} residual degrees of freedom", n).format(
        n=n
    )


# ------------------------------------------------------- findings across datasets


def finding_state(state: str) -> str:
    """A transfer state (`holds`, `reversed`, `unresolved on mnist, kmnist`) in words."""
    prefix = "unresolved on "
    if isinstance(state, str) and state.startswith(prefix):
        return _("unresolved on {datasets}").format(datasets=state[len(prefix) :])
    return word(state)
