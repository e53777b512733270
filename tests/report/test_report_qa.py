"""What the report says for studies with new axes: intervals, wording, labels, class words."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ablation.axes import config_label
from ablation.plots.curves import learning_curve_table, learning_curves
from ablation.plots.grids import accuracy_heatmaps, factor_effects
from ablation.plots.overfitting import overfitting_panels
from ablation.report import ReportInputs, build_html
from ablation.report.findings import headline_findings, winner
from ablation.report.formatting import interval, metric_interval, points_interval
from ablation.stats.compare import leaderboard
from report_helpers import hand_tables


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
    text = " ".join(winner(board, "95%", 0.05))
    assert "95% confidence interval 0.00–100.00%" in text
    # the runner-up's difference: a t-interval of [-413, +527] pp, shown within ±100 pp
    assert board["diff_ci_low"].min() < -1
    assert "95% interval -100.00 pp to +100.00 pp" in text
    notes = [t.get_text() for ax in accuracy_heatmaps(board).axes for t in ax.texts]
    assert "64.50\n[0.00, 100.00]" in notes and "7.50\n[0.00, 39.27]" in notes


def worth_table(axes: dict[str, tuple]) -> pd.DataFrame:
    """`datasize_worth` rows: each remedy's paired change of accuracy and gap."""
    rows = [
        {"axis": axis, "level": level, "baseline_level": base, "metric": metric,
         "n_pairs": 4, "mean_delta": 0.01, "ci_low": 0.0, "ci_high": 0.02}
        for axis, (base, level) in axes.items()
        for metric in ("final_test_accuracy", "final_gap_accuracy")
    ]  # fmt: skip
    return pd.DataFrame(rows)


def more_data_text(worth: pd.DataFrame) -> str:
    html = build_html(ReportInputs(datasize_worth=worth), {}, {}, [])
    section = html[html.index('<section id="more-data">') :]
    return " ".join(section[: section.index("</section>")].split())


def test_more_data_explanation_names_only_the_regularizers_varied():
    alone = more_data_text(worth_table({"train_size": (1000, 5000)}))
    assert "dropout" not in alone and "weight decay" not in alone
    assert "varies no regularizer" in alone
    one = more_data_text(worth_table({"train_size": (1000, 5000), "dropout": (0.0, 0.2)}))
    assert "with and without dropout;" in one and "what dropout buys" in one
    assert "weight decay buy" not in one and "varies no regularizer" not in one
    both = more_data_text(
        worth_table({"train_size": (1000, 5000), "dropout": (0.0, 0.2), "weight_decay": (0, 1e-4)})
    )
    assert "what dropout and weight decay buy," in both


def panel_titles(tables: dict, gains: list[float]) -> tuple[str, list[str]]:
    configs = tables["overfitting_configs"].assign(early_stopping_gain_mean=gains)
    fig = overfitting_panels(tables["gaps"], tables["overfitting"], configs, max_panels=4)
    shown = [ax.get_title().split("\n")[0] for ax in fig.axes if ax.get_visible()]
    return fig.get_suptitle(), shown


def test_overfitting_panels_say_how_they_were_chosen(close_figures):
    tables = hand_tables()
    n = len(tables["overfitting_configs"])
    keys = ["activation", "optimizer", "weight_decay", "dropout"]
    first = tables["overfitting_configs"].sort_values(keys).head(4)
    in_order = [config_label(c, keys, " / ") for _, c in first.iterrows()]
    # one epoch: early stopping gains nothing anywhere
    title, shown = panel_titles(tables, [0.0] * n)
    assert f"4 of {n} configurations: the first in grid order (early stopping gains" in title
    assert "gains most" not in title and shown == in_order
    gains = [0.0] * n
    gains[7], gains[9] = 0.01, 0.03
    title, shown = panel_titles(tables, gains)
    assert "the 2 where early stopping gains, then others in grid order" in title
    ids = tables["overfitting_configs"].iloc[[7, 9]]
    assert {config_label(c, keys, " / ") for _, c in ids.iterrows()} <= set(shown)
    title, shown = panel_titles(tables, [0.001 * i for i in range(n)])
    assert "those where early stopping gains most" in title
    top = tables["overfitting_configs"].iloc[-4:]
    assert {config_label(c, keys, " / ") for _, c in top.iterrows()} == set(shown)


def test_per_dataset_findings_do_not_name_the_dataset_again():
    rows = [
        {"dataset": d, "activation": a, "optimizer": "adam", "weight_decay": 0.0, "dropout": 0.0,
         "seed": s, "status": "completed", "final_test_accuracy": acc + 0.01 * s,
         "final_validation_accuracy": acc + 0.01 * s}
        for d, shift in (("mnist", 0.0), ("fashion_mnist", -0.1))
        for a, acc in (("relu", 0.95 + shift), ("tanh", 0.90 + shift))
        for s in (0, 1, 2)
    ]  # fmt: skip
    board = leaderboard(pd.DataFrame(rows))
    inputs = ReportInputs(leaderboard=board, leaderboard_early_stopping=board)
    text = headline_findings(inputs, 12)
    for name in ("mnist", "fashion_mnist"):
        mine = [s for s in text if s.startswith(f"On {name},")]
        best = f"On {name}, chosen on validation accuracy, the best configuration is relu / adam /"
        assert best in " ".join(mine)
        assert any("the worst is tanh / adam /" in s for s in mine)
        assert not any(f"{d} /" in s for s in mine for d in ("mnist", "fashion_mnist"))


def test_confused_tables_say_digits_on_mnist_and_classes_on_fashion_mnist():
    rows = [
        {"dataset": d, "activation": a, "optimizer": "adam", "weight_decay": 0.0, "dropout": 0.0,
         "seed": s, "status": "completed", "final_test_accuracy": acc + 0.01 * s,
         "final_validation_accuracy": acc + 0.01 * s, "train_seconds": 1.0}
        for d in ("mnist", "fashion_mnist")
        for a, acc in (("relu", 0.9), ("tanh", 0.8))
        for s in (0, 1)
    ]  # fmt: skip
    runs = pd.DataFrame(rows)
    runs["run_id"] = [f"run{i}" for i in range(len(runs))]
    keys = ["dataset", "activation", "optimizer", "weight_decay", "dropout"]
    pairs = (
        runs[keys].drop_duplicates()
        .assign(rank=1, true=4, predicted=9, count=3, true_total=100, rate=0.03)
    )  # fmt: skip
    inputs = ReportInputs(runs=runs, leaderboard=leaderboard(runs), confused_pairs=pairs)
    html = build_html(inputs, {}, {}, [])
    headings = re.findall(r"<h3>Most confused (\w+), (\w+) configuration</h3>\s*<p>(\w+)", html)
    assert sorted(headings) == [
        ("classes", "best", "fashion_mnist"),
        ("classes", "worst", "fashion_mnist"),
        ("digits", "best", "mnist"),
        ("digits", "worst", "mnist"),
    ]
    assert "% of true digit</th>" in html and "% of true class</th>" in html
    # a study of one dataset (no dataset axis): its words, from the config
    for name, words, other in (
        ("fashion_mnist", "classes", "digits"),
        ("mnist", "digits", "classes"),
    ):
        alone = runs[runs["dataset"] == name].drop(columns="dataset")
        mine = pairs[pairs["dataset"] == name].drop(columns="dataset")
        inputs = ReportInputs(runs=alone, leaderboard=leaderboard(alone), confused_pairs=mine)
        html = build_html(inputs, {}, {"data": {"dataset": name}}, [])
        assert html.count(f"<h3>Most confused {words},") == 2
        assert f"Most confused {other}" not in html


def test_interval_filters_clip_only_what_has_bounds():
    assert interval(-0.5, 1.2) == "[0.00, 100.00]%"
    assert interval(-0.5, 1.2, 1, 4, "", share=False) == "[-0.5000, 1.2000]"  # a loss
    assert metric_interval(-1.5, 0.2, "final_gap_accuracy") == "[-100.00, +20.00] pp"
    assert metric_interval(-1.5, 0.2, "final_test_loss") == "[-1.5000, +0.2000]"
    assert points_interval(-0.01, 3.0) == "-1.00 pp to +100.00 pp"


def test_error_bars_of_accuracy_stop_at_0_and_100_percent(close_figures):
    marginal = pd.DataFrame(
        [("activation", "relu", 0.6, -0.5, 1.5), ("activation", "tanh", 0.4, 0.3, 0.5)],
        columns=["axis", "level", "mean", "ci_low", "ci_high"],
    ).assign(metric="final_test_accuracy", n=2)
    fig = factor_effects(marginal)
    ends = np.concatenate(
        [
            np.asarray(seg)[:, 1]
            for ax in fig.axes
            for c in ax.collections
            for seg in c.get_segments()
        ]
    )
    assert ends.min() == 0.0 and ends.max() == 1.0  # not -0.5 and 1.5
    assert 0.3 in ends and 0.5 in ends  # intervals within the range are left alone


def test_interval_bands_of_accuracy_curves_stop_at_0_and_100_percent(close_figures):
    tables = hand_tables()
    curves = learning_curve_table(tables["seed_summary"], tables["gaps"])
    wide = curves["metric"] == "accuracy"
    curves = curves.assign(
        ci_low=np.where(wide, -0.5, curves["ci_low"]),
        ci_high=np.where(wide, 1.5, curves["ci_high"]),
    )
    for metric, (low, high) in (("accuracy", (0.0, 1.0)), ("loss", (None, None))):
        fig = learning_curves(curves, metric)
        ys = np.concatenate(
            [c.get_paths()[0].vertices[:, 1] for ax in fig.axes for c in ax.collections]
        )
        if low is not None:
            assert ys.min() == low and ys.max() == high
        else:  # losses have no upper bound: their bands are drawn as computed
            assert ys.max() > 1.0
