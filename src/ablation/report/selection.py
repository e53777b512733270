"""Report context of the selection and the factorial model: early stopping, ANOVA, seeds.

Kept apart from `ablation.report.render` so that each section's rows are built in
one place; `render.build_html` merges `selection_context` into the template's context.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ablation.axes import config_label, label
from ablation.i18n import N_, _
from ablation.report.inputs import ReportInputs

OPTIMISTIC_NOTE = N_(
    "This study has no validation split (training.validation_size is 0), so the "
    "configurations were chosen on the test set itself: the test accuracy of the chosen "
    "configuration is optimistic, and the ranking is by test accuracy."
)
# The kinds of ANOVA terms, as the table names them.
TERM_KINDS = {
    "main": N_("main"),
    "interaction": N_("interaction"),
    "block": N_("block"),
    "residual": N_("residual"),
}


def selection_context(inputs: ReportInputs) -> dict[str, Any]:
    """What the leaderboard's selection note, the early-stopping table, the ANOVA table
    and the seeds paragraph need."""
    board = inputs.leaderboard
    selected_on = (
        str(board["selected_on"].iloc[0]) if len(board) and "selected_on" in board else None
    )
    return {
        "selected_on": selected_on,
        "optimistic": _(OPTIMISTIC_NOTE) if selected_on not in (None, "validation") else None,
        "early_stopping": _ranked_rows(inputs.leaderboard_early_stopping),
        "anova": anova_rows(inputs.anova),
        "anova_notes": sorted(
            {n for n in inputs.anova.get("note", []) if isinstance(n, str) and n}
        ),
        "seed_plan": _seed_plan(board),
    }


def _ranked_rows(board: pd.DataFrame) -> list[dict[str, Any]]:
    if board.empty:
        return []
    rows = board.sort_values("rank", na_position="last")
    return [{**r.to_dict(), "label": config_label(r)} for _, r in rows.iterrows()]


def anova_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The ANOVA terms with readable names and kinds, largest effect first within each kind."""
    if table.empty or table["kind"].isna().all():
        return []
    order = {"main": 0, "interaction": 1, "block": 2, "residual": 3}
    table = table.dropna(subset=["kind"]).assign(_order=lambda t: t["kind"].map(order))
    by = [c for c in ("dataset", "_order") if c in table]
    table = table.sort_values([*by, "partial_omega_sq"], ascending=[True] * len(by) + [False])
    return [
        {**row, "name": term_name(row["term"]), "kind_label": _kind(row["kind"])}
        for row in table.to_dict("records")
    ]


def term_name(term: str) -> str:
    """`activation:optimizer` -> `activation × optimizer`; the residual by its kind's name."""
    if term == "residual":
        return _(TERM_KINDS["residual"])
    return " \u00d7 ".join(label(a) for a in term.split(":"))


def _kind(kind: str) -> str:
    return _(TERM_KINDS[kind]) if kind in TERM_KINDS else kind


def _seed_plan(board: pd.DataFrame) -> list[str]:
    if board.empty or "seeds_needed" not in board:
        return []
    from ablation.stats.power import plan_sentences, seeds_to_separate

    return plan_sentences(seeds_to_separate(board))
