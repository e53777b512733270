"""Headline sentences about the choice: who stands where next to the best, and what it costs.

Each configuration's claim against the best comes from the comparisons with the best
(`ablation.stats.best`, column ``comparison`` of the leaderboard): better, worse,
equivalent within the margin, or unresolved; no sentence reads "not significantly
different" as "as good". Cost is each run's own CPU time (``train_cpu_seconds``), which
other work on the machine cannot inflate; wall time only where no CPU time was recorded.
"""

from __future__ import annotations

from typing import Any

import markupsafe
import pandas as pd

from ablation.axes import AXES, config_keys
from ablation.axes import config_label as _label_of
from ablation.report.formatting import is_missing, points, seconds


def _label(row: Any) -> str:
    return _label_of(row, [k for k in AXES if k in row and k != "seed"])


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def claims(board: pd.DataFrame) -> pd.Series:
    """Each row's claim; a board without MCB columns (older results) reads its old flags."""
    if "comparison" in board:
        return board["comparison"].fillna("not tested")
    if "indistinguishable_from_best" not in board:
        return pd.Series("not tested", index=board.index)
    tested = board["tested"].astype(bool) if "tested" in board else True
    tied = board["indistinguishable_from_best"].astype(bool)
    return tied.map({True: "unresolved", False: "worse"}).where(tested, "not tested")


BADGES = {
    "better": ("yes", "best, better than every other"),
    "equivalent": ("yes", "equivalent"),
    "unresolved": ("missing", "unresolved"),
    "worse": ("no", "worse"),
    "not tested": ("missing", "not tested"),
}


def comparison_badge(row: Any) -> markupsafe.Markup:
    """A leaderboard row's claim against the best as an HTML badge (the report's "vs best")."""
    claim = claims(pd.DataFrame([dict(row)])).iloc[0]
    if row.get("is_best") and claim != "better":
        kind, text = "yes", "best (not resolved)" if claim != "not tested" else "best"
    else:
        kind, text = BADGES.get(claim, ("missing", claim))
    return markupsafe.Markup('<span class="badge {}">{}</span>').format(kind, text)


def versus_best(others: pd.DataFrame, best: pd.Series, alpha: float) -> list[str]:
    """Which configurations are equivalent to, worse than or unresolved against the best."""
    claim = claims(others)
    tested = others[claim != "not tested"]
    untested = len(others) - len(tested)
    if tested.empty:
        return [
            f"One seed, not tested: with a single seed per configuration no difference can be "
            f"tested, so the {_plural(len(others), 'other configuration')} are only ranked."
        ]
    seeds = int(tested["n_pairs"].max())
    how = (
        f"simultaneous comparisons with the best over up to {seeds} seeds, family-wise "
        f"level {alpha:g}, valid although the best was chosen on the same scores"
    )
    margin = _margin(others)
    text = []
    if claims(best.to_frame().T).iloc[0] == "better":
        text.append(f"It is better than every other configuration on validation ({how}).")
    equivalent = tested[claim[tested.index] == "equivalent"]
    unresolved = tested[claim[tested.index] == "unresolved"]
    worse = tested[claim[tested.index] == "worse"]
    if len(equivalent):
        text.append(
            f"{_plural(len(equivalent), 'other configuration')} "
            f"{'is' if len(equivalent) == 1 else 'are'} equivalent to it within "
            f"{margin} of validation accuracy ({how}): {_names(equivalent)}."
        )
    if len(unresolved):
        text.append(
            f"{_plural(len(unresolved), 'other configuration')} cannot be told apart from it, "
            f"nor shown equivalent{f' within {margin}' if margin else ''}: unresolved, more "
            f"seeds would decide ({how}): {_names(unresolved)}."
        )
    if len(worse):
        every = "Every other tested configuration is" if len(worse) == len(tested) else (
            f"{_plural(len(worse), 'other configuration')} {'is' if len(worse) == 1 else 'are'}"
        )  # fmt: skip
        text.append(f"{every} worse on validation by more than the seeds' noise ({how}).")
    if untested:
        text.append(f"{untested} more had fewer than two shared seeds, so were not tested.")
    return text


def _margin(board: pd.DataFrame) -> str:
    if "equivalence_margin" not in board or board["equivalence_margin"].isna().all():
        return ""
    return points(board["equivalence_margin"].iloc[0], sign=False)


def _names(rows: pd.DataFrame) -> str:
    names = "; ".join(_label(r) for _, r in rows.head(4).iterrows())
    return names + (f" and {len(rows) - 4} more" if len(rows) > 4 else "")


def cpu_per_config(runs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Mean training time per configuration (CPU seconds where every run has them)."""
    if runs.empty:
        return pd.DataFrame(), ""
    column, unit = ("train_cpu_seconds", "CPU time")
    if column not in runs or runs[column].isna().any():
        column, unit = ("train_seconds", "wall time")
    keys = config_keys(runs)
    per = runs.groupby(keys, sort=True, dropna=False)[column].mean().rename("cost")
    return per.reset_index(), unit


def cheapest_equivalent(board: pd.DataFrame, runs: pd.DataFrame) -> list[str]:
    """The user's real choice: the cheapest configuration equivalent to the best."""
    if board.empty or "comparison" not in board or not board["is_best"].any():
        return []
    costs, unit = cpu_per_config(runs)
    if costs.empty:
        return []
    keys = [k for k in config_keys(board) if k in costs]
    pool = board[board["is_best"] | board["comparison"].eq("equivalent")]
    pool = pool.merge(costs, on=keys, how="left").dropna(subset=["cost"])
    if pool.empty:
        return []
    best = pool[pool["is_best"].astype(bool)]
    cheapest = pool.loc[pool["cost"].idxmin()]
    margin = _margin(board)
    if best.empty or bool(cheapest["is_best"]) or len(pool) == 1:
        if len(pool) > 1:
            return [
                f"The best is also the cheapest of those equivalent to it within {margin} "
                f"({seconds(cheapest['cost'])} of {unit} per run, mean over seeds)."
            ]
        cheaper = board.merge(costs, on=keys, how="left")
        cheaper = cheaper[cheaper["comparison"].eq("unresolved") & ~cheaper["is_best"]]
        cheaper = cheaper[cheaper["cost"] < cheapest["cost"]]
        text = (
            f"No configuration is shown equivalent to the best within {margin}, "
            "so the best is the choice"
        )
        if len(cheaper):
            text += (
                f"; {_plural(len(cheaper), 'cheaper one')} "
                f"{'is' if len(cheaper) == 1 else 'are'} unresolved, and more seeds could "
                f"show {'it' if len(cheaper) == 1 else 'one'} equivalent"
            )
        return [text + "."]
    best = best.iloc[0]
    return [
        f"The cheapest configuration equivalent to the best within {margin} is "
        f"{_label(cheapest)}: {seconds(cheapest['cost'])} of {unit} per run against "
        f"{seconds(best['cost'])} for the best (mean over seeds, training only), at "
        f"{points(cheapest['selection_mean'] - best['selection_mean'])} on validation."
    ]


def cost(runs: pd.DataFrame) -> list[str]:
    """What the choices cost, by each configuration's mean CPU time per run."""
    costs, unit = cpu_per_config(runs)
    if costs.empty or costs["cost"].dropna().empty:
        return []
    costs = costs.dropna(subset=["cost"])
    fast, slow = costs.loc[costs["cost"].idxmin()], costs.loc[costs["cost"].idxmax()]
    column = "train_cpu_seconds" if unit == "CPU time" else "train_seconds"
    total = runs[column].sum()
    note = (
        "" if unit == "CPU time"
        else " (wall time: no CPU time was recorded, so the load of the machine counts too)"
    )  # fmt: skip
    text = (
        f"Training {unit} per run (mean over seeds) ranged from {seconds(fast['cost'])} "
        f"({_label(fast)}) to {seconds(slow['cost'])} ({_label(slow)}){note}; "
        f"all {len(runs)} runs together trained for {seconds(total)} of {unit}"
    )
    if unit == "CPU time" and not is_missing(runs["train_seconds"].sum()):
        text += f" ({seconds(runs['train_seconds'].sum())} wall)"
    return [text + "."]
