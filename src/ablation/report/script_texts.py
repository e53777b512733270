"""The texts the page's scripts put on screen, translated here: JavaScript cannot call gettext.

`explorer_texts` serves ``templates/explorer.js``, `table_texts` ``templates/report.js``;
each goes into the page as JSON beside the script. Sentences stay whole, with ``{name}``
placeholders the script fills in. The state codes the data keep in English (verdicts) come
as a dictionary of their own (``words``), and numbers with the marks of the language
(``number``: decimal mark, thousands separator, percent sign), which the script applies to
what it formats itself and hands to Vega as its number locale.
"""

from __future__ import annotations

from typing import Any

from ablation import i18n
from ablation.i18n import _
from ablation.report.words import STATE_WORDS, word


def explorer_texts() -> dict[str, Any]:
    """Every text the Explore section's script shows, in the active language."""
    return {
        "number": number_marks(),
        "locale": vega_locale(),
        "words": {code: word(code) for code in sorted(STATE_WORDS)},
        # a shared link asking for what the study lacks
        "badMetric": _("metric “{value}”"),
        "badAxis": _("axis “{value}”"),
        "badConfig": _("configuration “{value}”"),
        "badBox": _("box “{value}”"),
        "badLevel": _("{axis} “{value}”"),
        "badSetting": _("setting “{value}”"),
        "badLink": _(
            "This link asks for {list}, which this study does not have: showing the default view."
        ),
        # controls and the chart
        "epoch": _("epoch"),
        "none": _("none"),
        "atEpoch": _("{metric} at epoch {epoch}"),
        "mean": _("mean"),
        "ciLow": _("ci_low"),
        "ciHigh": _("ci_high"),
        "runs": _("runs"),
        "run": _("run"),
        "value": _("value"),
        # the table of configurations
        "seeds": _("seeds"),
        "meanAtLast": _("mean at last epoch [interval]"),
        "verdict": _("verdict"),
        "meanInterval": _("{mean} [{low} – {high}]"),
        "shownCount": _("{shown} of {total} configurations shown"),
        # one configuration
        "verdictLine": _("Overfitting verdict: {verdict} (seeds: {counts})."),
        "seedCount": _("{n} {verdict}"),
        "noVerdict": _("no verdict"),
        "loss": _("loss"),
        "accuracy": _("accuracy"),
        "split": _("split"),
        "train": _("train"),
        "validation": _("validation"),
        "test": _("test"),
        "seed": _("seed"),
        "predicted": _("predicted"),
        "trueClass": _("true"),
        "rate": _("rate"),
        "trueShare": _("share of true class"),
        "noConfusion": _("No confusion matrix for this configuration."),
    }


def table_texts() -> dict[str, str]:
    """The texts of the sortable and filterable tables' script, in the active language."""
    return {
        "sortBy": _("Sort by {column}"),
        "shown": _("{shown} of {total} shown"),
    }


def number_marks() -> dict[str, str]:
    """How the active language writes a number: decimal mark, thousands, percent sign."""
    return {
        "decimal": i18n.number("."),
        "group": i18n.number(","),
        "percent": i18n.percent_sign(),
    }


def vega_locale() -> dict[str, Any] | None:
    """Vega's number locale (d3-format) for the active language; None: Vega's own English."""
    if i18n.current() == i18n.SOURCE:
        return None
    marks = number_marks()
    return {
        "decimal": marks["decimal"],
        "thousands": marks["group"],
        "grouping": [3],
        "currency": ["", ""],
        "percent": marks["percent"],
    }
