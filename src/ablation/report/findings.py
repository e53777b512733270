"""Headline findings: sentences written from the statistics tables, never by hand.

Each function reads one table and returns zero or more sentences (plain text,
escaped by the template). A table that is empty or lacks what a sentence needs
yields no sentence rather than a wrong one.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ablation.axes import AXES, label
from ablation.axes import config_label as _label_of
from ablation.report.axes_findings import more_data, transfer
from ablation.report.choice import cheapest_equivalent, cost, versus_best
from ablation.report.formatting import (
    DASH,
    clip_share,
    fixed,
    is_missing,
    p_value,
    pct,
    points,
    points_interval,
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
    for name, board in _by_dataset(inputs.leaderboard):
        early = _of_dataset(inputs.leaderboard_early_stopping, name)
        text = winner(board, level, alpha) + early_stopping(early, board, level)
        text += cheapest_equivalent(board, _of_dataset(inputs.runs, name))
        sentences += [f"On {name}, {t[0].lower()}{t[1:]}" for t in text] if name else text
    sentences += seeds(inputs.leaderboard)
    sentences += strongest_factor(inputs.anova, inputs.marginal_means, alpha)
    sentences += overfitting(inputs.overfitting, level)
    sentences += regularization(inputs.regularization_effects, level, alpha)
    sentences += more_data(inputs.datasize_worth, level)
    sentences += transfer(inputs.rank_agreement, inputs.transfer_findings, level)
    sentences += divergence(inputs.overfitting, inputs.anomalies)
    sentences += cost(inputs.runs)
    return sentences


def _by_dataset(board: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """`[(dataset, rows)]` when the study has several datasets, else `[(None, board)]`.

    The rows of one dataset lose their `dataset` column: the sentence that reads them
    starts "On mnist, ...", so a configuration label must not name it again.
    """
    if "dataset" not in board or board["dataset"].nunique() <= 1:
        return [(None, board)]
    return [(name, _of_dataset(board, name)) for name in sorted(board["dataset"].unique())]


def _of_dataset(board: pd.DataFrame, name: str | None) -> pd.DataFrame:
    if name is None or "dataset" not in board:
        return board
    return board[board["dataset"] == name].drop(columns="dataset")


def coverage(runs: pd.DataFrame, n_expected: int) -> list[str]:
    done = len(runs)
    if done == n_expected:
        return [f"All {n_expected} planned runs finished."]
    return [
        f"Only {done} of {n_expected} planned runs have finished; every number below "
        f"describes the finished runs only, and the missing ones are listed at the end."
    ]


def winner(board: pd.DataFrame, level: str, alpha: float) -> list[str]:
    """The best configuration chosen on validation, its test estimate, and who ties with it."""
    ranked = board.dropna(subset=["mean", "rank"]).sort_values("rank") if len(board) else board
    if ranked.empty:
        return []
    unranked = board.dropna(subset=["mean"])["rank"].isna().sum()
    best = ranked.iloc[0]
    n = int(best["n"])
    chosen_on = best.get("selected_on", "validation")
    estimate = f"{pct(best['mean'])} ({_interval_clause(best, level)}, n = {_plural(n, 'seed')})"
    if chosen_on == "validation":
        first = (
            f"Chosen on validation accuracy, the best configuration is {config_label(best)}; "
            f"its final test accuracy, the study's estimate for it, is {estimate}."
        )
    else:
        first = (
            f"Without a validation split the best configuration, {config_label(best)}, was "
            f"chosen on the test set itself, so its test accuracy of {estimate} is optimistic."
        )
    text = [first]
    if unranked:
        text.append(
            f"{_plural(int(unranked), 'configuration')} without a validation split "
            f"(validation_size 0) {'is' if unranked == 1 else 'are'} not ranked: only the "
            "test set could choose between them, which would flatter the winner."
        )
    others = ranked.iloc[1:]
    if others.empty:
        return text
    text += versus_best(others, best, alpha)
    text += _runner_up(others.iloc[0], level)
    worst = ranked.iloc[-1]
    text.append(
        f"The worst is {config_label(worst)} at {pct(worst['mean'])} test accuracy "
        f"(n = {_plural(int(worst['n']), 'seed')})."
    )
    return text


def _runner_up(row: pd.Series, level: str) -> list[str]:
    if "p_improvement" not in row or is_missing(row.get("diff_from_best")):
        return []
    n = int(row["n_pairs"])
    diff = f"{points(row['diff_from_best'], sign=False)} behind on validation"
    if not is_missing(row.get("diff_ci_low")):
        diff += (
            f" ({level} interval {points_interval(row['diff_ci_low'], row['diff_ci_high'])}, "
            f"n = {_plural(n, 'paired seed')})"
        )
    else:
        diff += f" (n = {_plural(n, 'paired seed')}, too few for an interval)"
    if n < 2:
        return [f"The runner-up, {config_label(row)}, is {diff}."]
    chance = (
        f"on test accuracy, which took no part in the choice, the best beats it on a new seed "
        f"with probability {pct(row['p_improvement'], 0)} ({level} interval "
        f"{pct(row['p_improvement_low'], 0)}{DASH}{pct(row['p_improvement_high'], 0)}, "
        f"ties counted both ways, n = {_plural(n, 'seed')})"
    )
    return [f"The runner-up, {config_label(row)}, is {diff}; {chance}."]


def early_stopping(board: pd.DataFrame, final: pd.DataFrame, level: str) -> list[str]:
    """The choice when every run is taken at its epoch of lowest validation loss."""
    if board.empty or board["mean"].isna().all():
        return []
    best = board.sort_values("rank").iloc[0]
    same = len(final) and config_label(final.sort_values("rank").iloc[0]) == config_label(best)
    choice = "the choice is the same" if same else f"the choice is {config_label(best)}"
    return [
        f"With early stopping (each run taken at its epoch of lowest validation loss), {choice}, "
        f"at {pct(best['mean'])} test accuracy ({_interval_clause(best, level)}, "
        f"n = {_plural(int(best['n']), 'seed')})."
    ]


def _mdd_range(tested: pd.DataFrame) -> str:
    """The median detectable difference over the spread's 95% interval, where known."""
    if "mdd_low" not in tested or tested["mdd_low"].isna().all():
        return ""
    low, high = tested["mdd_low"].median(), tested["mdd_high"].median()
    return (
        f"; the spread known only within its 95% interval, {points(low, sign=False)} "
        f"to {points(high, sign=False)}"
    )


def seeds(board: pd.DataFrame) -> list[str]:
    """How many seeds would separate the leading configurations (`ablation.stats.power`)."""
    if board.empty or "seeds_needed" not in board or board["n"].max() < 1:
        return []
    from ablation.stats.power import plan_sentences, seeds_to_separate

    plan = seeds_to_separate(board)
    text = plan_sentences(plan)
    tested = board[board["tested"].astype(bool)]
    if len(tested):
        text.append(
            f"With {_plural(int(tested['n_pairs'].max()), 'seed')}, the smallest difference "
            f"the paired test detects with 80% power is {points(tested['mdd'].min(), sign=False)}"
            f" (median over {_plural(len(tested), 'comparison')}: "
            f"{points(tested['mdd'].median(), sign=False)}"
            f"{_mdd_range(tested)})."
        )
    if plan["seeds_total"] > plan["seeds_run"]:
        text.append(
            "`ablation seeds-overlay -o config/more_seeds.yaml` writes the config overlay "
            "that adds them (to every configuration: the grid's seeds are shared)."
        )
    return text


def strongest_factor(anova: pd.DataFrame, marginal: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """Which choice matters most and which interact, from the factorial model."""
    if anova.empty or anova["kind"].isna().all():
        return _marginal_spread(marginal) + _anova_note(anova)
    text = []
    for dataset, part in anova.groupby("dataset") if "dataset" in anova else [(None, anova)]:
        text += _anova_sentences(part, f" on {dataset}" if dataset else "", alpha)
    return text


def _anova_sentences(table: pd.DataFrame, where: str, alpha: float) -> list[str]:
    main = table[table["kind"] == "main"].sort_values("partial_omega_sq", ascending=False)
    if main.empty:
        return _anova_note(table)
    residual_df = int(table["residual_df"].iloc[0])
    n = int(table["n_runs"].iloc[0])
    top = main.iloc[0]
    text = (
        f"In a model of the whole design{where} (type II ANOVA of final test accuracy on every "
        f"axis, their two-way interactions and the seed; n = {n} runs), "
        f"{_subject(top['term'])} matters most "
        f"({_effect(top, residual_df)})"
    )
    if len(main) > 1:
        low = main.iloc[-1]
        text += f" and {_subject(low['term'])} least ({_effect(low, residual_df)})"
    text = [text + "; F-tests give p-values, not intervals."]
    pairs = table[table["kind"] == "interaction"]
    strong = pairs[pairs["p_holm"] < alpha].sort_values("partial_omega_sq", ascending=False)
    if len(strong):
        listed = "; ".join(
            f"{_pair_label(r['term'])} ({_effect(r, residual_df)})"
            for _, r in strong.head(3).iterrows()
        )
        more = f"; and {len(strong) - 3} more pairs (Factor effects)" if len(strong) > 3 else ""
        text.append(f"These choices interact (Holm-corrected p < {alpha:g}): {listed}{more}.")
    elif len(pairs):
        text.append(
            f"No two-way interaction is significant (all {_plural(len(pairs), 'pair')} "
            f"Holm-corrected p \u2265 {alpha:g}, n = {n} runs)."
        )
    return text + _anova_note(table)


def _effect(row: pd.Series, residual_df: int) -> str:
    return (
        f"partial \u03c9\u00b2 {fixed(row['partial_omega_sq'], 3)}, "
        f"F({int(row['df'])}, {residual_df}) = {fixed(row['F'], 2)}, p {_p_clause(row['p_value'])}"
    )


def _subject(axis: str) -> str:
    """An axis as the subject of "matters": `the dropout`, `the number of hidden units`."""
    name = label(axis)
    return f"the number of {name}" if name.endswith("s") else f"the {name}"


def _pair_label(term: str) -> str:
    return " \u00d7 ".join(label(axis) for axis in term.split(":"))


def _anova_note(table: pd.DataFrame) -> list[str]:
    notes = {n for n in table.get("note", pd.Series(dtype=str)).dropna() if n}
    return [f"The factorial model: {note}." for note in sorted(notes)]


def _marginal_spread(marginal: pd.DataFrame) -> list[str]:
    """Fallback without the ANOVA table: the spread of marginal means per axis (per dataset)."""
    rows = marginal[marginal["metric"] == "final_test_accuracy"] if len(marginal) else marginal
    rows = rows.dropna(subset=["mean"]) if len(rows) else rows
    if rows.empty:
        return []
    return [s for dataset, part in _by_dataset(rows) for s in _widest_axis(part, dataset)]


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
    where = f"On {dataset}, averaged" if dataset else "Averaged"
    return [
        f"{where} over everything else, final test accuracy is {pct(top['mean'])} with "
        f"{label(axis)} {top['level']} and {pct(bottom['mean'])} with "
        f"{bottom['level']} ({points(span, sign=False)} apart, n = {int(top['n'])} and "
        f"{int(bottom['n'])} runs; no model of the design was fitted, so untested)."
    ]


def overfitting(per_run: pd.DataFrame, level: str = "95%") -> list[str]:
    if per_run.empty or "verdict" not in per_run:
        return []
    counts = per_run["verdict"].value_counts()
    judged = int(len(per_run) - counts.get("not available", 0))
    if judged == 0:
        return [
            "Overfitting was not judged: the study has no validation split "
            "(training.validation_size is 0)."
        ]
    from ablation.stats.power import probability_of_improvement

    n_over = int(counts.get("overfitting", 0))
    share, low, high = probability_of_improvement([n_over], [judged], float(level[:-1]) / 100)
    text = (
        f"{n_over} of {judged} runs overfit ({pct(share[0], 0)}, {level} interval "
        f"{pct(low[0], 0)}{DASH}{pct(high[0], 0)}): a sustained rise of validation loss after "
        f"its minimum while training loss did not rise"
    )
    onsets = per_run["onset_epoch"].dropna()
    if len(onsets):
        text += f"; the earliest onset was after epoch {int(onsets.min())}"
    n_noisy = int(counts.get("noisy plateau", 0))
    if n_noisy:
        text += (
            f"; {_plural(n_noisy, 'more run')} had a noisy plateau (validation loss rose and "
            f"came back), not counted as overfitting"
        )
    n_learning = int(counts.get("still learning", 0))
    if n_learning:
        text += (
            f"; {_plural(n_learning, 'run')} {'was' if n_learning == 1 else 'were'} still "
            f"learning (validation loss still falling at the end: more epochs would help)"
        )
    n_under = int(counts.get("underfitting", 0))
    if n_under:
        text += (
            f"; {n_under} underfit (training accuracy more than the underfit margin below "
            f"the best run of its dataset)"
        )
    return [text + "."]


def regularization(effects: pd.DataFrame, level: str, alpha: float = 0.05) -> list[str]:
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
            f"on average over {_plural(int(acc['n_pairs']), 'paired run')} "
            f"and {_plural(int(acc['n_seeds']), 'seed')}"
        )
        if not is_missing(acc["ci_low"]):
            sentence += (
                f" ({level} interval {points_interval(acc['ci_low'], acc['ci_high'])}, "
                f"Holm-adjusted p {_p_clause(acc['p_holm'])}{_unless_significant(acc, alpha)})"
            )
        else:
            sentence += " (too few seeds for an interval)"
        if "final_gap_accuracy" in by_metric.index:
            gap = by_metric.loc["final_gap_accuracy"]
            sentence += f", and the train-test accuracy gap by {points(gap['mean_delta'])}"
        text.append(sentence + ".")
    return text


def _unless_significant(row: pd.Series, alpha: float) -> str:
    """`, not significant at 0.05` when the adjusted p does not reach the study's level."""
    return "" if row["p_holm"] < alpha else f", not significant at {alpha:g}"


def divergence(per_run: pd.DataFrame, anomalies: pd.DataFrame) -> list[str]:
    text = []
    if len(per_run) and "status" in per_run:
        diverged = per_run[per_run["status"] == "diverged"]
        if diverged.empty:
            text.append(f"None of the {len(per_run)} runs diverged.")
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


KIND_NAMES = {
    "loss_spike": "loss spike",
    "non_finite_loss": "non-finite loss",
    "accuracy_drop": "accuracy drop",
}


def _interval_clause(row: pd.Series, level: str) -> str:
    """`95% confidence interval 97.80–98.10%`, or why there is none."""
    if is_missing(row.get("ci_low")):
        return "one seed, so no interval"
    return f"{level} confidence interval {_range(row['ci_low'], row['ci_high'])}"


def _range(low: Any, high: Any) -> str:
    """An interval of fractions in words, clipped to 0–100 %: `97.80–98.10%`."""
    low, high = clip_share(low, high)
    return f"{low * 100:.2f}{DASH}{high * 100:.2f}%"


def _p_clause(value: float) -> str:
    """`= 0.211` or `< 0.001`, for reading inside a sentence."""
    text = p_value(value)
    return text if text.startswith("<") else f"= {text}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"
