"""Headline findings: sentences written from the statistics tables, never by hand.

Each function reads one table and returns zero or more sentences (plain text,
escaped by the template). A table that is empty or lacks what a sentence needs
yields no sentence rather than a wrong one. Every sentence is one message of the
catalogs, in the active language (`ablation.i18n`); counts take their plural forms.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ablation.axes import AXES
from ablation.axes import config_label as _label_of
from ablation.i18n import _, ngettext
from ablation.report.axes_findings import more_data, transfer
from ablation.report.choice import cheapest_equivalent, cost, versus_best
from ablation.report.findings_factors import strongest_factor
from ablation.report.findings_runs import divergence, overfitting, regularization
from ablation.report.formatting import is_missing, pct, points, points_interval
from ablation.report.inputs import ReportInputs
from ablation.report.phrases import (
    by_dataset,
    interval_clause,
    n_seeds,
    of_dataset,
    on_dataset,
    with_seeds,
)
from ablation.stats.power import POWER


def config_label(row: Any, keys: list[str] | None = None) -> str:
    """A configuration in words: `keys`, or every axis of a statistics row (not the seed)."""
    return _label_of(row, keys or [k for k in AXES if k in row and k != "seed"])


def headline_findings(
    inputs: ReportInputs, n_expected: int, confidence: float = 0.95, alpha: float = 0.05
) -> list[str]:
    """All headline sentences, most important first."""
    level = pct(confidence, 0)
    sentences = coverage(inputs.runs, n_expected)
    for name, board in by_dataset(inputs.leaderboard):
        early = of_dataset(inputs.leaderboard_early_stopping, name)
        sentences += winner(board, level, alpha, name)
        sentences += early_stopping(early, board, level, name)
        runs = of_dataset(inputs.runs, name)
        sentences += [on_dataset(name, s) for s in cheapest_equivalent(board, runs)]
    sentences += seeds(inputs.leaderboard)
    sentences += strongest_factor(inputs.anova, inputs.marginal_means, alpha)
    sentences += overfitting(inputs.overfitting, level, confidence)
    sentences += regularization(inputs.regularization_effects, level, alpha)
    sentences += more_data(inputs.datasize_worth, level)
    sentences += transfer(inputs.rank_agreement, inputs.transfer_findings, level)
    sentences += divergence(inputs.overfitting, inputs.anomalies)
    sentences += cost(inputs.runs)
    return [_one_full_stop(s) for s in sentences]


def _one_full_stop(sentence: str) -> str:
    """A sentence that ends on an abbreviation (Russian `п. п.`) takes no second full stop."""
    return sentence[:-1] if sentence.endswith("..") and not sentence.endswith("...") else sentence


def coverage(runs: pd.DataFrame, n_expected: int) -> list[str]:
    done = len(runs)
    if done == n_expected:  # English keeps its plural for every count, as it always read
        return [
            ngettext(
                "All {n} planned runs finished.", "All {n} planned runs finished.", n_expected
            ).format(n=n_expected)
        ]
    return [
        ngettext(
            "Only {done} of {n} planned runs have finished; every number below describes the "
            "finished runs only, and the missing ones are listed at the end.",
            "Only {done} of {n} planned runs have finished; every number below describes the "
            "finished runs only, and the missing ones are listed at the end.",
            n_expected,
        ).format(done=done, n=n_expected)
    ]


def winner(board: pd.DataFrame, level: str, alpha: float, dataset: str | None = None) -> list[str]:
    """The best configuration chosen on validation, its test estimate, and who ties with it.

    `dataset` names the dataset of `board` when the study has several (the sentences say so).
    """
    ranked = board.dropna(subset=["mean", "rank"]).sort_values("rank") if len(board) else board
    if ranked.empty:
        return []
    unranked = int(board.dropna(subset=["mean"])["rank"].isna().sum())
    best = ranked.iloc[0]
    text = [_chosen(best, level, dataset)]
    if unranked:
        text.append(_unranked(unranked, dataset))
    others = ranked.iloc[1:]
    if others.empty:
        return text
    text += [on_dataset(dataset, s) for s in versus_best(others, best, alpha)]
    text += _runner_up(others.iloc[0], level, dataset)
    text.append(_worst(ranked.iloc[-1], dataset))
    return text


def _estimate(row: pd.Series, level: str) -> str:
    """`98.10% (95% confidence interval 97.60–98.60%, n = 3 seeds)`."""
    return _("{accuracy} ({interval}, {seeds})").format(
        accuracy=pct(row["mean"]), interval=interval_clause(row, level), seeds=n_seeds(row["n"])
    )


def _chosen(best: pd.Series, level: str, dataset: str | None) -> str:
    values = {"config": config_label(best), "estimate": _estimate(best, level), "dataset": dataset}
    on_validation = best.get("selected_on", "validation") == "validation"
    if on_validation and dataset is None:
        message = _(
            "Chosen on validation accuracy, the best configuration is {config}; its final test "
            "accuracy, the study's estimate for it, is {estimate}."
        )
    elif on_validation:
        message = _(
            "On {dataset}, chosen on validation accuracy, the best configuration is {config}; "
            "its final test accuracy, the study's estimate for it, is {estimate}."
        )
    elif dataset is None:
        message = _(
            "Without a validation split the best configuration, {config}, was chosen on the "
            "test set itself, so its test accuracy of {estimate} is optimistic."
        )
    else:
        message = _(
            "On {dataset}, without a validation split the best configuration, {config}, was "
            "chosen on the test set itself, so its test accuracy of {estimate} is optimistic."
        )
    return message.format(**values)


def _unranked(n: int, dataset: str | None) -> str:
    if dataset is None:
        message = ngettext(
            "{n} configuration without a validation split (validation_size 0) is not ranked: "
            "only the test set could choose between them, which would flatter the winner.",
            "{n} configurations without a validation split (validation_size 0) are not ranked: "
            "only the test set could choose between them, which would flatter the winner.",
            n,
        )
    else:
        message = ngettext(
            "On {dataset}, {n} configuration without a validation split (validation_size 0) is "
            "not ranked: only the test set could choose between them, which would flatter the "
            "winner.",
            "On {dataset}, {n} configurations without a validation split (validation_size 0) "
            "are not ranked: only the test set could choose between them, which would flatter "
            "the winner.",
            n,
        )
    return message.format(n=n, dataset=dataset)


def _runner_up(row: pd.Series, level: str, dataset: str | None) -> list[str]:
    if "p_improvement" not in row or is_missing(row.get("diff_from_best")):
        return []
    n = int(row["n_pairs"])
    pairs = ngettext("n = {n} paired seed", "n = {n} paired seeds", n).format(n=n)
    if not is_missing(row.get("diff_ci_low")):
        detail = _("{level} interval {interval}, {pairs}").format(
            level=level,
            interval=points_interval(row["diff_ci_low"], row["diff_ci_high"]),
            pairs=pairs,
        )
    else:
        detail = _("{pairs}, too few for an interval").format(pairs=pairs)
    values = {
        "config": config_label(row),
        "gap": points(row["diff_from_best"], sign=False),
        "detail": detail,
        "dataset": dataset,
    }
    if n < 2:
        message = (
            _("The runner-up, {config}, is {gap} behind on validation ({detail}).")
            if dataset is None
            else _(
                "On {dataset}, the runner-up, {config}, is {gap} behind on validation ({detail})."
            )
        )
        return [message.format(**values)]
    values |= {
        "probability": pct(row["p_improvement"], 0),
        "level": level,
        "low": pct(row["p_improvement_low"], 0),
        "high": pct(row["p_improvement_high"], 0),
        "seeds": n_seeds(n),
    }
    if dataset is None:
        message = _(
            "The runner-up, {config}, is {gap} behind on validation ({detail}); on test "
            "accuracy, which took no part in the choice, the best beats it on a new seed with "
            "probability {probability} ({level} interval {low}\u2013{high}, ties counted both "
            "ways, {seeds})."
        )
    else:
        message = _(
            "On {dataset}, the runner-up, {config}, is {gap} behind on validation ({detail}); "
            "on test accuracy, which took no part in the choice, the best beats it on a new "
            "seed with probability {probability} ({level} interval {low}\u2013{high}, ties "
            "counted both ways, {seeds})."
        )
    return [message.format(**values)]


def _worst(row: pd.Series, dataset: str | None) -> str:
    message = (
        _("The worst is {config} at {accuracy} test accuracy ({seeds}).")
        if dataset is None
        else _("On {dataset}, the worst is {config} at {accuracy} test accuracy ({seeds}).")
    )
    return message.format(
        config=config_label(row),
        accuracy=pct(row["mean"]),
        seeds=n_seeds(row["n"]),
        dataset=dataset,
    )


def early_stopping(
    board: pd.DataFrame, final: pd.DataFrame, level: str, dataset: str | None = None
) -> list[str]:
    """The choice when every run is taken at its epoch of lowest validation loss."""
    if board.empty or board["mean"].isna().all():
        return []
    best = board.sort_values("rank").iloc[0]
    same = len(final) and config_label(final.sort_values("rank").iloc[0]) == config_label(best)
    messages = {
        (True, False): _(
            "With early stopping (each run taken at its epoch of lowest validation loss), the "
            "choice is the same, at {accuracy} test accuracy ({interval}, {seeds})."
        ),
        (True, True): _(
            "On {dataset}, with early stopping (each run taken at its epoch of lowest "
            "validation loss), the choice is the same, at {accuracy} test accuracy "
            "({interval}, {seeds})."
        ),
        (False, False): _(
            "With early stopping (each run taken at its epoch of lowest validation loss), the "
            "choice is {config}, at {accuracy} test accuracy ({interval}, {seeds})."
        ),
        (False, True): _(
            "On {dataset}, with early stopping (each run taken at its epoch of lowest "
            "validation loss), the choice is {config}, at {accuracy} test accuracy "
            "({interval}, {seeds})."
        ),
    }
    message = messages[bool(same), dataset is not None]
    return [
        message.format(
            config=config_label(best),
            accuracy=pct(best["mean"]),
            interval=interval_clause(best, level),
            seeds=n_seeds(best["n"]),
            dataset=dataset,
        )
    ]


def seeds(board: pd.DataFrame) -> list[str]:
    """How many seeds would separate the leading configurations (`ablation.stats.power`)."""
    if board.empty or "seeds_needed" not in board or board["n"].max() < 1:
        return []
    from ablation.stats.power import plan_sentences, seeds_to_separate

    plan = seeds_to_separate(board)
    text = plan_sentences(plan)
    tested = board[board["tested"].astype(bool)]
    if len(tested):
        text.append(_detectable(tested))
    if plan["seeds_total"] > plan["seeds_run"]:
        text.append(
            _(
                "`ablation seeds-overlay -o config/more_seeds.yaml` writes the config overlay "
                "that adds them (to every configuration: the grid's seeds are shared)."
            )
        )
    return text


def _detectable(tested: pd.DataFrame) -> str:
    """The smallest difference the paired test detects, and its median over comparisons."""
    n = len(tested)
    values = {
        "with_seeds": with_seeds(int(tested["n_pairs"].max())),
        "power": pct(POWER, 0),
        "smallest": points(tested["mdd"].min(), sign=False),
        "comparisons": ngettext("over {n} comparison", "over {n} comparisons", n).format(n=n),
        "median": points(tested["mdd"].median(), sign=False),
    }
    if "mdd_low" not in tested or tested["mdd_low"].isna().all():
        return _(
            "{with_seeds}, the smallest difference the paired test detects with {power} power "
            "is {smallest} (median {comparisons}: {median})."
        ).format(**values)
    return _(
        "{with_seeds}, the smallest difference the paired test detects with {power} power is "
        "{smallest} (median {comparisons}: {median}; the spread known only within its {level} "
        "interval, {low} to {high})."
    ).format(
        **values,
        level=pct(0.95, 0),
        low=points(tested["mdd_low"].median(), sign=False),
        high=points(tested["mdd_high"].median(), sign=False),
    )
