"""What the report says for studies with new axes: intervals, wording, labels, class words."""

from __future__ import annotations

import re

import pandas as pd

from ablation.plots.grids import accuracy_heatmaps
from ablation.report import ReportInputs, build_html
from ablation.report.findings import winner
from ablation.stats.compare import leaderboard


def two_seed_board() -> pd.DataFrame:
    """Two seeds far apart: t-intervals (one degree of freedom) reach far past 0 and 100 %."""
    rows = [
        {"activation": a, "optimizer": "adam", "weight_decay": 0.0, "dropout": 0.0, "seed": s,
         "status": "completed", "final_test_accuracy": acc, "final_validation_accuracy": acc}
        for a, accs in (("relu", (0.30, 0.99)), ("tanh", (0.10, 0.05)))
        for s, acc in enumerate(accs)
    ]  # fmt: skip
    return leaderboard(pd.DataFrame(rows))


def test_accuracy_intervals_are_shown_within_0_and_100_percent(close_figures):
    board = two_seed_board()
    assert board["ci_low"].min() < 0 and board["ci_high"].max() > 1  # the table keeps them
    html = build_html(ReportInputs(leaderboard=board), {}, {}, [])
    shown = re.findall(r"\[(-?[0-9.]+), (-?[0-9.]+)\]%?", html)
    assert ("0.00", "100.00") in shown and ("0.00", "39.27") in shown
    assert all(0 <= float(v) <= 100 for pair in shown for v in pair)
    assert html.count("clipped to 0–100 %") == 1
    assert "95% confidence interval 0.00–100.00%" in " ".join(winner(board, "95%", 0.05))
    notes = [t.get_text() for ax in accuracy_heatmaps(board).axes for t in ax.texts]
    assert "64.50\n[0.00, 100.00]" in notes and "7.50\n[0.00, 39.27]" in notes
