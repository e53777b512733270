"""The report of studies grown by new axes: run folders that omit default values, datasets."""

from __future__ import annotations

import itertools

import pandas as pd

from ablation.grid import TRAIN_IMAGES, run_axes, run_path
from ablation.report import ReportInputs, build_html
from ablation.report.axes_findings import transfer
from ablation.report.build import analyze_runs
from ablation.report.findings import strongest_factor, winner
from ablation.report.render import grid_status
from ablation.stats.analyze import analysis_defaults
from ablation.stats.compare import leaderboard
from ablation.steps import layout_of
from synthetic import synthetic_study

GROWN = {
    "dataset": ["mnist", "fashion_mnist"],
    "activation": ["relu", "tanh"],
    "optimizer": ["adam"],
    "weight_decay": [0.0],
    "dropout": [0.0],
    "train_size": [1000, None],  # None: all the validation split leaves
    "seed": [0, 1],
}


def grown_runs() -> pd.DataFrame:
    """Finished runs as the metrics table records them: every axis, the real size trained on."""
    rows = []
    for combo in itertools.product(*GROWN.values()):
        cell = dict(zip(GROWN, combo, strict=True))
        size = cell["train_size"] or TRAIN_IMAGES - 10_000
        rows.append({**cell, "run_id": run_path(cell), "train_size": size, "n": 1})
    return pd.DataFrame(rows)


def test_folders_without_default_axes_name_their_configuration():
    runs = grown_runs()
    # mnist and the full training set are defaults: their folders omit them
    full = runs[(runs["dataset"] == "mnist") & (runs["train_size"] == 50_000)]["run_id"].iloc[0]
    assert "mnist" not in full and "train_size" not in full
    axes = run_axes(full)
    assert (axes["dataset"], axes["train_size"], axes["validation_size"]) == (
        "mnist",
        50_000,
        10_000,
    )
    status = grid_status(list(runs["run_id"]), runs)
    ran = {tuple(row[k] for k in status["keys"]) for _, row in runs.iterrows()}
    normal = {tuple(float(v) if not isinstance(v, str) else v for v in key) for key in ran}
    assert set(status["seeds_expected"]) == normal  # no configuration of `None`s is planned
    assert status["n_configs"] == 8 and set(status["seeds_expected"].values()) == {2}


def test_spread_of_marginal_means_is_told_per_dataset():
    marginal = pd.DataFrame(
        [
            ("mnist", "activation", "relu", 0.97),
            ("mnist", "activation", "tanh", 0.95),
            ("fashion_mnist", "activation", "relu", 0.85),
            ("fashion_mnist", "activation", "tanh", 0.88),
        ],
        columns=["dataset", "axis", "level", "mean"],
    ).assign(metric="final_test_accuracy", n=2)
    text = strongest_factor(pd.DataFrame(), marginal)
    assert len(text) == 2
    assert (
        text[0].startswith("On fashion_mnist, averaged")
        and "88.00% with activation tanh" in text[0]
    )
    assert text[1].startswith("On mnist,") and "97.00% with activation relu" in text[1]


def test_configurations_without_validation_are_unranked_not_tied():
    """validation_size [0, 1000]: the runs without a validation split cannot be chosen."""
    rows = [
        {"activation": a, "optimizer": "adam", "weight_decay": 0.0, "dropout": 0.0,
         "validation_size": v, "seed": s, "status": "completed",
         "final_test_accuracy": acc + 0.01 * s,
         "final_validation_accuracy": (acc + 0.01 * s) if v else float("nan")}
        for a, acc in (("relu", 0.9), ("tanh", 0.8))
        for v in (0, 1000)
        for s in (0, 1, 2)
    ]  # fmt: skip
    board = leaderboard(pd.DataFrame(rows))
    without = board[board["validation_size"] == 0]
    assert without["rank"].isna().all() and not without["indistinguishable_from_best"].any()
    text = " ".join(winner(board, "95%", 0.05))
    assert "2 configurations without a validation split (validation_size 0) are not ranked" in text
    assert "The worst is tanh / adam / wd 0 / dropout 0 / val 1000" in text
    assert "fewer than two shared seeds" not in text
    html = build_html(ReportInputs(leaderboard=board), {}, {}, [])
    assert html.count('<span class="badge missing">no validation</span>') == 2


def test_curve_panels_of_one_epoch_name_a_numeric_facet_and_show_points(close_figures):
    """hidden_size [32, 64] with one epoch: panels say `hidden 32`, curves are dots at 1."""
    metrics, confusion = synthetic_study(
        {"activation": ["relu", "tanh"], "hidden_size": [32, 64], "seed": [0, 1]},
        epochs=1,
        milestones=(1,),
    )
    tables = analyze_runs(metrics, confusion, analysis_defaults())
    layout = layout_of(tables)
    assert "hidden_size" in (layout.row, layout.col)
    for name in ("learning_curves_accuracy", "overfitting_panels"):
        fig = tables[name]
        panels = [ax for ax in fig.axes if ax.get_visible() and ax.lines]
        assert panels, name
        for ax in panels:
            assert list(ax.get_xticks()) == [1], name  # not 0.945, 0.960, ...
            assert any(line.get_marker() == "o" for line in ax.lines), name  # a visible point
    fig = tables["learning_curves_accuracy"]
    titles = {ax.get_title() for ax in fig.axes} | {t.get_text() for t in fig.texts}
    assert {"hidden 32", "hidden 64"} <= titles and not {"32", "64"} & titles
    # accuracies in percent, as the tables give them; their differences in points
    for name, unit in (("learning_curves_accuracy", "%"), ("accuracy_gap", " pp")):
        for ax in [a for a in tables[name].axes if a.lines]:
            assert ax.yaxis.get_major_formatter()(0.5, 0).endswith(unit), name


def test_title_line_reads_the_study_axes():
    """A width axis and one epoch: not the default `784 -> 128`, not `1 epochs`."""
    study = {
        "grid": {"dataset": ["mnist", "fashion_mnist"], "hidden_size": [32, 64]},
        "training": {"epochs": 1, "hidden_size": 128},
    }
    html = build_html(ReportInputs(), {}, study, [])
    assert "What does each choice in the MNIST and Fashion-MNIST network do?" in html
    assert "784 → 32 or 64 → activation" in html and "1 epoch each" in html


def test_transfer_sentence_follows_the_sign_of_tau():
    rows = [
        ("mnist", "fashion_mnist", 6, 1, -0.2, False),
        ("mnist", "kmnist", 2, 3, 1.0, True),
    ]
    agreement = pd.DataFrame(
        rows, columns=["dataset_a", "dataset_b", "n_configs", "n_seeds", "tau", "has_interval"]
    ).assign(ci_low=1.0, ci_high=1.0)
    reversed_, two = transfer(agreement, pd.DataFrame(), "95%")
    assert reversed_.startswith("The ranking of configurations does not transfer between mnist")
    assert "(one seed: no interval), over 6 configurations." in reversed_
    assert "largely transfers" in two and "(with two, tau can only be 1 or -1)" in two


def test_transfer_sentence_rests_on_the_interval_for_the_true_tau():
    # (low, high) of the interval: the sentence claims what the lower or upper bound holds
    cases = {
        (-0.93, 1.0): "Whether the ranking of configurations transfers between mnist and "
        "fashion_mnist cannot be told from these seeds",
        (0.2, 0.9): "transfers at least in part",
        (0.6, 1.0): "largely transfers",
        (-0.9, -0.2): "is reversed",
    }
    rows = [("mnist", "fashion_mnist", 8, 3, 0.71, True, low, high) for low, high in cases]
    agreement = pd.DataFrame(
        rows,
        columns=[
            "dataset_a", "dataset_b", "n_configs", "n_seeds", "tau", "has_interval", "ci_low",
            "ci_high",
        ],
    )  # fmt: skip
    sentences = transfer(agreement, pd.DataFrame(), "95%")
    for sentence, expected in zip(sentences, cases.values(), strict=True):
        assert expected in sentence and "tau = 0.71" in sentence
    assert "(95% interval for the tau of the true means: -0.93 to 1.00)" in sentences[0]
