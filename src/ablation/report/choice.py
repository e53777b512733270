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
from ablation.i18n import N_, _, ngettext, number
from ablation.report.formatting import is_missing, points, seconds

CPU, WALL = "CPU time", "wall time"  # what a cost is counted in (`cpu_per_config`)


def _label(row: Any) -> str:
    return _label_of(row, [k for k in AXES if k in row and k != "seed"])


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
    "better": ("yes", N_("best, better than every other")),
    "equivalent": ("yes", N_("equivalent")),
    "unresolved": ("missing", N_("unresolved")),
    "worse": ("no", N_("worse")),
    "not tested": ("missing", N_("not tested")),
}


def comparison_badge(row: Any) -> markupsafe.Markup:
    """A leaderboard row's claim against the best as an HTML badge (the report's "vs best")."""
    claim = claims(pd.DataFrame([dict(row)])).iloc[0]
    if row.get("is_best") and claim != "better":
        kind, text = "yes", _("best (not resolved)") if claim != "not tested" else _("best")
    else:
        kind, text = BADGES.get(claim, ("missing", claim))
        text = _(text)
    return markupsafe.Markup('<span class="badge {}">{}</span>').format(kind, text)


def versus_best(others: pd.DataFrame, best: pd.Series, alpha: float) -> list[str]:
    """Which configurations are equivalent to, worse than or unresolved against the best."""
    claim = claims(others)
    tested = others[claim != "not tested"]
    untested = len(others) - len(tested)
    if tested.empty:
        return [
            ngettext(
                "One seed, not tested: with a single seed per configuration no difference can "
                "be tested, so the {n} other configuration are only ranked.",
                "One seed, not tested: with a single seed per configuration no difference can "
                "be tested, so the {n} other configurations are only ranked.",
                len(others),
            ).format(n=len(others))
        ]
    seeds = int(tested["n_pairs"].max())
    how = ngettext(
        "simultaneous comparisons with the best over up to {n} seed, family-wise "
        "level {alpha}, valid although the best was chosen on the same scores",
        "simultaneous comparisons with the best over up to {n} seeds, family-wise "
        "level {alpha}, valid although the best was chosen on the same scores",
        seeds,
    ).format(n=seeds, alpha=number(f"{alpha:g}"))
    margin = _margin(others)
    text = []
    if claims(best.to_frame().T).iloc[0] == "better":
        text.append(
            _("It is better than every other configuration on validation ({how}).").format(how=how)
        )
    groups = {c: tested[claim[tested.index] == c] for c in ("equivalent", "unresolved", "worse")}
    if len(groups["equivalent"]):
        text.append(_equivalent(groups["equivalent"], margin, how))
    if len(groups["unresolved"]):
        text.append(_unresolved(groups["unresolved"], margin, how))
    if len(groups["worse"]):
        text.append(_worse(len(groups["worse"]), len(groups["worse"]) == len(tested), how))
    if untested:
        text.append(
            ngettext(
                "{n} more had fewer than two shared seeds, so were not tested.",
                "{n} more had fewer than two shared seeds, so were not tested.",
                untested,
            ).format(n=untested)
        )
    return text


def _equivalent(rows: pd.DataFrame, margin: str, how: str) -> str:
    return ngettext(
        "{n} other configuration is equivalent to it within {margin} of validation accuracy "
        "({how}): {names}.",
        "{n} other configurations are equivalent to it within {margin} of validation accuracy "
        "({how}): {names}.",
        len(rows),
    ).format(n=len(rows), margin=margin, how=how, names=_names(rows))


def _unresolved(rows: pd.DataFrame, margin: str, how: str) -> str:
    values = {"n": len(rows), "margin": margin, "how": how, "names": _names(rows)}
    if margin:
        return ngettext(
            "{n} other configuration cannot be told apart from it, nor shown equivalent within "
            "{margin}: unresolved, more seeds would decide ({how}): {names}.",
            "{n} other configurations cannot be told apart from it, nor shown equivalent within "
            "{margin}: unresolved, more seeds would decide ({how}): {names}.",
            len(rows),
        ).format(**values)
    return ngettext(
        "{n} other configuration cannot be told apart from it, nor shown equivalent: "
        "unresolved, more seeds would decide ({how}): {names}.",
        "{n} other configurations cannot be told apart from it, nor shown equivalent: "
        "unresolved, more seeds would decide ({how}): {names}.",
        len(rows),
    ).format(**values)


def _worse(n: int, every: bool, how: str) -> str:
    if every:
        return _(
            "Every other tested configuration is worse on validation by more than the seeds' "
            "noise ({how})."
        ).format(how=how)
    return ngettext(
        "{n} other configuration is worse on validation by more than the seeds' noise ({how}).",
        "{n} other configurations are worse on validation by more than the seeds' noise ({how}).",
        n,
    ).format(n=n, how=how)


def _margin(board: pd.DataFrame) -> str:
    if "equivalence_margin" not in board or board["equivalence_margin"].isna().all():
        return ""
    return points(board["equivalence_margin"].iloc[0], sign=False)


def _names(rows: pd.DataFrame) -> str:
    names = "; ".join(_label(r) for _index, r in rows.head(4).iterrows())
    if len(rows) <= 4:
        return names
    return _("{names} and {n} more").format(names=names, n=len(rows) - 4)


def cpu_per_config(runs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Mean training time per configuration (CPU seconds where every run has them), and
    what it is counted in: `CPU` or `WALL`."""
    if runs.empty:
        return pd.DataFrame(), ""
    column, unit = ("train_cpu_seconds", CPU)
    if column not in runs or runs[column].isna().any():
        column, unit = ("train_seconds", WALL)
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
            return [_best_is_cheapest(margin, seconds(cheapest["cost"]), unit)]
        cheaper = board.merge(costs, on=keys, how="left")
        cheaper = cheaper[cheaper["comparison"].eq("unresolved") & ~cheaper["is_best"]]
        cheaper = cheaper[cheaper["cost"] < cheapest["cost"]]
        return [_no_equivalent(margin, len(cheaper))]
    best = best.iloc[0]
    values = {
        "margin": margin,
        "name": _label(cheapest),
        "cost": seconds(cheapest["cost"]),
        "best_cost": seconds(best["cost"]),
        "difference": points(cheapest["selection_mean"] - best["selection_mean"]),
    }
    if unit == CPU:
        text = _(
            "The cheapest configuration equivalent to the best within {margin} is {name}: "
            "{cost} of CPU time per run against {best_cost} for the best (mean over seeds, "
            "training only), at {difference} on validation."
        )
    else:
        text = _(
            "The cheapest configuration equivalent to the best within {margin} is {name}: "
            "{cost} of wall time per run against {best_cost} for the best (mean over seeds, "
            "training only), at {difference} on validation."
        )
    return [text.format(**values)]


def _best_is_cheapest(margin: str, cost: str, unit: str) -> str:
    if unit == CPU:
        text = _(
            "The best is also the cheapest of those equivalent to it within {margin} "
            "({cost} of CPU time per run, mean over seeds)."
        )
    else:
        text = _(
            "The best is also the cheapest of those equivalent to it within {margin} "
            "({cost} of wall time per run, mean over seeds)."
        )
    return text.format(margin=margin, cost=cost)


def _no_equivalent(margin: str, cheaper: int) -> str:
    """No configuration equivalent to the best: the best is the choice, and `cheaper`
    unresolved ones might still be shown equivalent by more seeds."""
    if not cheaper:
        return _(
            "No configuration is shown equivalent to the best within {margin}, so the best "
            "is the choice."
        ).format(margin=margin)
    return ngettext(
        "No configuration is shown equivalent to the best within {margin}, so the best is the "
        "choice; {n} cheaper one is unresolved, and more seeds could show it equivalent.",
        "No configuration is shown equivalent to the best within {margin}, so the best is the "
        "choice; {n} cheaper ones are unresolved, and more seeds could show one equivalent.",
        cheaper,
    ).format(margin=margin, n=cheaper)


def cost(runs: pd.DataFrame) -> list[str]:
    """What the choices cost, by each configuration's mean CPU time per run."""
    costs, unit = cpu_per_config(runs)
    if costs.empty or costs["cost"].dropna().empty:
        return []
    costs = costs.dropna(subset=["cost"])
    fast, slow = costs.loc[costs["cost"].idxmin()], costs.loc[costs["cost"].idxmax()]
    column = "train_cpu_seconds" if unit == CPU else "train_seconds"
    values = {
        "fast": seconds(fast["cost"]),
        "fast_name": _label(fast),
        "slow": seconds(slow["cost"]),
        "slow_name": _label(slow),
        "n": len(runs),
        "total": seconds(runs[column].sum()),
    }
    wall = runs["train_seconds"].sum()
    if unit == WALL:
        text = ngettext(
            "Training wall time per run (mean over seeds) ranged from {fast} ({fast_name}) to "
            "{slow} ({slow_name}) (wall time: no CPU time was recorded, so the load of the "
            "machine counts too); all {n} runs together trained for {total} of wall time.",
            "Training wall time per run (mean over seeds) ranged from {fast} ({fast_name}) to "
            "{slow} ({slow_name}) (wall time: no CPU time was recorded, so the load of the "
            "machine counts too); all {n} runs together trained for {total} of wall time.",
            len(runs),
        )
    elif is_missing(wall):
        text = ngettext(
            "Training CPU time per run (mean over seeds) ranged from {fast} ({fast_name}) to "
            "{slow} ({slow_name}); all {n} runs together trained for {total} of CPU time.",
            "Training CPU time per run (mean over seeds) ranged from {fast} ({fast_name}) to "
            "{slow} ({slow_name}); all {n} runs together trained for {total} of CPU time.",
            len(runs),
        )
    else:
        text = ngettext(
            "Training CPU time per run (mean over seeds) ranged from {fast} ({fast_name}) to "
            "{slow} ({slow_name}); all {n} runs together trained for {total} of CPU time "
            "({wall} wall).",
            "Training CPU time per run (mean over seeds) ranged from {fast} ({fast_name}) to "
            "{slow} ({slow_name}); all {n} runs together trained for {total} of CPU time "
            "({wall} wall).",
            len(runs),
        )
    return [text.format(**values, wall=seconds(wall))]
