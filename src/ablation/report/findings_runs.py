"""Headline sentences about the runs themselves: how many overfit, what the regularizers
changed, which runs diverged and which training anomalies were flagged.

Like `ablation.report.findings`, each function reads statistics tables and returns zero
or more sentences in the active language; a table without what a sentence needs yields none.
"""

from __future__ import annotations

import pandas as pd

from ablation import i18n
from ablation.i18n import _, ngettext
from ablation.report.formatting import is_missing, pct, points, points_interval
from ablation.report.phrases import p_clause
from ablation.report.table_texts import anomaly_count
from ablation.stats.paired import resolved


def overfitting(per_run: pd.DataFrame, level: str = "95%", confidence: float = 0.95) -> list[str]:
    """How many runs overfit (with an interval on the share), and what the others did."""
    if per_run.empty or "verdict" not in per_run:
        return []
    counts = per_run["verdict"].value_counts()
    judged = int(len(per_run) - counts.get("not available", 0))
    if judged == 0:
        return [
            _(
                "Overfitting was not judged: the study has no validation split "
                "(training.validation_size is 0)."
            )
        ]
    from ablation.stats.power import probability_of_improvement

    n_over = int(counts.get("overfitting", 0))
    share, low, high = probability_of_improvement([n_over], [judged], confidence)
    clauses = [
        ngettext(  # English keeps its plural for every count, as it always read
            "{n} of {total} runs overfit ({share}, {level} interval {low}\u2013{high}): a "
            "sustained rise of validation loss after its minimum while training loss did not rise",
            "{n} of {total} runs overfit ({share}, {level} interval {low}\u2013{high}): a "
            "sustained rise of validation loss after its minimum while training loss did not rise",
            judged,
        ).format(
            n=n_over,
            total=judged,
            share=pct(share[0], 0),
            level=level,
            low=pct(low[0], 0),
            high=pct(high[0], 0),
        )
    ]
    clauses += _other_verdicts(per_run, counts)
    # independent clauses, each a whole message, in a list the semicolon separates
    return ["; ".join(clauses) + "."]


def _other_verdicts(per_run: pd.DataFrame, counts: pd.Series) -> list[str]:
    clauses = []
    onsets = per_run["onset_epoch"].dropna()
    if len(onsets):
        clauses.append(
            _("the earliest onset was after epoch {epoch}").format(epoch=int(onsets.min()))
        )
    if n := int(counts.get("noisy plateau", 0)):
        clauses.append(
            ngettext(
                "{n} more run had a noisy plateau (validation loss rose and came back), not "
                "counted as overfitting",
                "{n} more runs had a noisy plateau (validation loss rose and came back), not "
                "counted as overfitting",
                n,
            ).format(n=n)
        )
    if n := int(counts.get("still learning", 0)):
        clauses.append(
            ngettext(
                "{n} run was still learning (validation loss still falling at the end: more "
                "epochs would help)",
                "{n} runs were still learning (validation loss still falling at the end: more "
                "epochs would help)",
                n,
            ).format(n=n)
        )
    if n := _learning_not_judged(per_run):
        clauses.append(
            ngettext(
                "whether {n} run was still learning could not be judged: the later half of "
                "its training has fewer than 4 milestones, too few for a trend (add milestones "
                "there)",
                "whether {n} runs were still learning could not be judged: the later half of "
                "their training has fewer than 4 milestones, too few for a trend (add "
                "milestones there)",
                n,
            ).format(n=n)
        )
    if n := int(counts.get("underfitting", 0)):
        clauses.append(
            ngettext(
                "{n} underfit (training accuracy more than the underfit margin below the best "
                "run of its dataset)",
                "{n} underfit (training accuracy more than the underfit margin below the best "
                "run of its dataset)",
                n,
            ).format(n=n)
        )
    return clauses


def _learning_not_judged(per_run: pd.DataFrame) -> int:
    """Runs with a validation split, not diverged, too short of milestones to tell
    "still learning" (``learning_judged``; tables written before it have none)."""
    if "learning_judged" not in per_run:
        return 0
    judged = per_run["validation_available"].astype(bool) & per_run["verdict"].ne("diverged")
    return int((judged & ~per_run["learning_judged"].astype(bool)).sum())


def regularization(effects: pd.DataFrame, level: str, alpha: float = 0.05) -> list[str]:
    """What each regularizer level changed, against the same runs without it."""
    if effects.empty:
        return []
    text = []
    strata = ["dataset"] if "dataset" in effects else []  # never pooled across datasets
    for key, part in effects.groupby([*strata, "regularizer", "level"], sort=True):
        dataset, regularizer, strength = key if strata else (None, *key)
        by_metric = part.assign(resolved=resolved(part, alpha)).set_index("metric")
        if "final_test_accuracy" not in by_metric.index:
            continue
        acc = by_metric.loc["final_test_accuracy"]
        gap = (
            by_metric.loc["final_gap_accuracy"] if "final_gap_accuracy" in by_metric.index else None
        )
        values = {
            "dataset": dataset,
            "strength": i18n.number(f"{strength:g}"),
            "change": points(acc["mean_delta"]),
            "pairs": ngettext(
                "over {n} paired run", "over {n} paired runs", int(acc["n_pairs"])
            ).format(n=int(acc["n_pairs"])),
            "seeds": ngettext("and {n} seed", "and {n} seeds", int(acc["n_seeds"])).format(
                n=int(acc["n_seeds"])
            ),
            "detail": _effect_detail(acc, level, alpha),
            "gap": None if gap is None else points(gap["mean_delta"]),
        }
        text.append(_regularizer_message(regularizer, dataset, gap is not None).format(**values))
    return text


def _effect_detail(acc: pd.Series, level: str, alpha: float) -> str:
    """The interval and the Holm-adjusted p of a paired effect, or why there is none."""
    if is_missing(acc["ci_low"]):
        return _("too few seeds for an interval")
    values = {
        "level": level,
        "interval": points_interval(acc["ci_low"], acc["ci_high"]),
        "p": p_clause(acc["p_holm"]),
        "alpha": i18n.number(f"{alpha:g}"),
    }
    if acc["resolved"]:
        return _("{level} interval {interval}, Holm-adjusted p {p}").format(**values)
    return _("{level} interval {interval}, Holm-adjusted p {p}, not significant at {alpha}").format(
        **values
    )


def _regularizer_message(regularizer: str, dataset: str | None, with_gap: bool) -> str:
    """The sentence of one regularizer's effect: dropout or weight decay, on one dataset of
    several or not, with the change of the train-test gap or without."""
    dropout = regularizer == "dropout"
    return {
        (True, False, False): _(
            "Dropout {strength} changed final test accuracy by {change} on average "
            "{pairs} {seeds} ({detail})."
        ),
        (True, False, True): _(
            "Dropout {strength} changed final test accuracy by {change} on average "
            "{pairs} {seeds} ({detail}), and the train-test accuracy gap by {gap}."
        ),
        (True, True, False): _(
            "On {dataset}, dropout {strength} changed final test accuracy by {change} on "
            "average {pairs} {seeds} ({detail})."
        ),
        (True, True, True): _(
            "On {dataset}, dropout {strength} changed final test accuracy by {change} on "
            "average {pairs} {seeds} ({detail}), and the train-test accuracy gap by {gap}."
        ),
        (False, False, False): _(
            "Weight decay {strength} changed final test accuracy by {change} on average "
            "{pairs} {seeds} ({detail})."
        ),
        (False, False, True): _(
            "Weight decay {strength} changed final test accuracy by {change} on average "
            "{pairs} {seeds} ({detail}), and the train-test accuracy gap by {gap}."
        ),
        (False, True, False): _(
            "On {dataset}, weight decay {strength} changed final test accuracy by {change} on "
            "average {pairs} {seeds} ({detail})."
        ),
        (False, True, True): _(
            "On {dataset}, weight decay {strength} changed final test accuracy by {change} on "
            "average {pairs} {seeds} ({detail}), and the train-test accuracy gap by {gap}."
        ),
    }[dropout, dataset is not None, with_gap]


def divergence(per_run: pd.DataFrame, anomalies: pd.DataFrame) -> list[str]:
    """Which runs diverged, and the training anomalies flagged in the others."""
    text = []
    if len(per_run) and "status" in per_run:
        n = int((per_run["status"] == "diverged").sum())
        if n == 0:
            text.append(
                ngettext(  # English keeps its plural for every count, as it always read
                    "None of the {n} runs diverged.", "None of the {n} runs diverged.", len(per_run)
                ).format(n=len(per_run))
            )
        else:
            text.append(
                ngettext(
                    "{n} run diverged (the loss became infinite or NaN); it keeps its last "
                    "finite measurements and is marked in the figures.",
                    "{n} runs diverged (the loss became infinite or NaN); they keep their last "
                    "finite measurements and are marked in the figures.",
                    n,
                ).format(n=n)
            )
    if len(anomalies):
        listed = ", ".join(
            anomaly_count(k, int(n)) for k, n in anomalies["kind"].value_counts().items()
        )
        runs = int(anomalies["run_id"].nunique())
        text.append(
            ngettext(
                "{n} training anomaly was flagged {runs}: {listed}.",
                "{n} training anomalies were flagged {runs}: {listed}.",
                len(anomalies),
            ).format(
                n=len(anomalies),
                runs=ngettext("in {n} run", "in {n} runs", runs).format(n=runs),
                listed=listed,
            )
        )
    return text
