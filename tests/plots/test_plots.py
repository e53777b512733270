"""Each figure of ablation.plots from small hand-made tables: panels, labels, marks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.patches import Rectangle
from PIL import Image

from ablation import plots
from report_helpers import SMALL_GRID, hand_tables

pytestmark = pytest.mark.usefixtures("close_figures")

N_FACETS = len(SMALL_GRID["activation"]) * len(SMALL_GRID["optimizer"])
N_CONFIGS = N_FACETS * len(SMALL_GRID["weight_decay"]) * len(SMALL_GRID["dropout"])


@pytest.fixture(scope="module")
def tables():
    return hand_tables()


def panels(fig: plt.Figure) -> list[plt.Axes]:
    """The visible data panels (colour bars excluded)."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def legend_texts(fig: plt.Figure) -> set[str]:
    texts = set()
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None:
            texts |= {t.get_text() for t in legend.get_texts()}
            texts.add(legend.get_title().get_text())
    return texts


def test_learning_curve_table_takes_test_rows_as_given(tables):
    curves = plots.learning_curve_table(tables["seed_summary"], tables["gaps"])
    assert set(curves["split"]) == {"train", "validation", "test"}
    assert set(curves["metric"]) == {"loss", "accuracy"}
    test = curves[(curves["split"] == "test") & (curves["metric"] == "accuracy")]
    given = tables["seed_summary"][tables["seed_summary"]["metric"] == "test_accuracy"]
    assert np.allclose(np.sort(test["mean"]), np.sort(given["mean"]))
    assert np.allclose(np.sort(test["ci_low"]), np.sort(given["ci_low"]))
    # train and validation come from the per-run values, one row per config and milestone
    train = curves[(curves["split"] == "train") & (curves["metric"] == "loss")]
    assert len(train) == N_CONFIGS * tables["gaps"]["epoch"].nunique()
    assert train["ci_low"].le(train["mean"]).all() and train["n"].eq(3).all()


@pytest.mark.parametrize("metric", ["loss", "accuracy"])
def test_learning_curves_facets_and_legends(tables, metric):
    curves = plots.learning_curve_table(tables["seed_summary"], tables["gaps"])
    fig = plots.learning_curves(curves, metric)
    axes = panels(fig)
    assert len(axes) == N_FACETS
    assert {ax.get_ylabel() for ax in axes} - {""} == {plots.METRIC_LABELS[metric]}
    assert {ax.get_xlabel() for ax in axes} - {""} == {"epoch"}
    # regularization by colour, split by line style, in the figure legends
    assert {"regularization", "split", "train", "validation", "test"} <= legend_texts(fig)
    assert "wd 1e-04, dropout 0.2" in legend_texts(fig)
    # per panel: one line per regularization x split, one band each
    lines = [ln for ln in axes[0].get_lines() if len(ln.get_xdata()) > 1]
    bands = [c for c in axes[0].collections if isinstance(c, PolyCollection)]
    assert len(lines) == 4 * 3 and len(bands) == 4 * 3


def test_accuracy_gap_has_no_split_legend(tables):
    fig = plots.accuracy_gap(tables["seed_summary"])
    assert len(panels(fig)) == N_FACETS
    assert "split" not in legend_texts(fig) and "regularization" in legend_texts(fig)
    assert "train - test accuracy" in {ax.get_ylabel() for ax in fig.axes}


def test_overfitting_panels_mark_onsets_and_best_epoch(tables):
    fig = plots.overfitting_panels(
        tables["gaps"], tables["overfitting"], tables["overfitting_configs"]
    )
    axes = panels(fig)
    assert len(axes) == N_CONFIGS
    onsets = sum(
        1 for ax in axes for ln in ax.get_lines() if ln.get_marker() == "v" and ln.get_visible()
    )
    assert onsets == tables["overfitting"]["onset_epoch"].notna().sum()
    titles = [ax.get_title() for ax in axes]
    assert all(("overfitting" in t) or ("good fit" in t) for t in titles)
    assert "relu / adam / wd 0 / dropout 0" in titles[0]
    # the green vertical line: median epoch of lowest validation loss
    assert all(any(list(ln.get_xdata()) == [10.0, 10.0] for ln in ax.get_lines()) for ax in axes)


def test_overfitting_panels_mark_noisy_rises_apart(tables):
    runs = tables["overfitting"]
    noisy = runs["onset_epoch"].isna()  # the runs without an onset had a rise that came back
    runs = runs.assign(noisy_rise_epoch=pd.array([10 if n else None for n in noisy], "Int64"))
    configs = tables["overfitting_configs"]
    configs = configs.assign(verdict=configs["verdict"].replace("good fit", "noisy plateau"))
    fig = plots.overfitting_panels(tables["gaps"], runs, configs)
    lines = [ln for ax in panels(fig) for ln in ax.get_lines() if ln.get_marker() == "v"]
    assert sum(ln.get_markerfacecolor() == "none" for ln in lines) == noisy.sum()
    assert sum(ln.get_markerfacecolor() != "none" for ln in lines) == (~noisy).sum()
    titles = {ax.get_title(): ax.title.get_color() for ax in panels(fig)}
    plateau = [c for t, c in titles.items() if t.endswith("noisy plateau")]
    assert plateau and set(plateau) == {"#d6604d"}


def test_heatmaps_one_panel_per_regularization(tables):
    board = tables["leaderboard"]
    fig = plots.accuracy_heatmaps(board)
    axes = panels(fig)
    assert len(axes) == 4
    assert {ax.get_title() for ax in axes} == {
        "wd 0, dropout 0",
        "wd 0, dropout 0.2",
        "wd 1e-04, dropout 0",
        "wd 1e-04, dropout 0.2",
    }
    notes = [t.get_text() for ax in axes for t in ax.texts]
    best = board.iloc[0]
    assert (
        f"{best['mean'] * 100:.2f}\n[{best['ci_low'] * 100:.2f}, {best['ci_high'] * 100:.2f}]"
        in notes
    )
    frames = [p for ax in axes for p in ax.patches if isinstance(p, Rectangle) and not p.fill]
    assert any(p.get_edgecolor()[:3] == (0, 0, 0) for p in frames)  # the best, framed black
    assert len(frames) == board["indistinguishable_from_best"].sum()
    assert {ax.get_xlabel() for ax in axes} == {"optimizer"}


def test_heatmap_marks_configurations_not_run(tables):
    board = tables["leaderboard"].iloc[1:]  # one cell missing
    fig = plots.accuracy_heatmaps(board)
    notes = [t.get_text() for ax in panels(fig) for t in ax.texts]
    assert notes.count("not run") == 1


def test_factor_effects_one_panel_per_axis(tables):
    fig = plots.factor_effects(tables["marginal_means"])
    axes = panels(fig)
    assert [ax.get_xlabel() for ax in axes] == [
        "activation",
        "optimizer",
        "weight decay",
        "dropout",
    ]
    assert [t.get_text() for t in axes[2].get_xticklabels()] == ["0.0", "0.0001"]
    assert axes[0].get_ylabel() == "final test accuracy"


def test_interactions_six_pairs_and_single_level_axes_dropped(tables):
    fig = plots.interaction_plots(tables["interactions"])
    assert len(panels(fig)) == 6
    one_dropout = tables["interactions"][
        ~(
            (tables["interactions"]["axis_b"] == "dropout")
            & (tables["interactions"]["level_b"] == "0.2")
        )
    ]
    assert len(panels(plots.interaction_plots(one_dropout))) == 3


def test_confusion_matrices_best_and_worst(tables):
    fig = plots.confusion_matrices(tables["confusion_by_config"], tables["leaderboard"])
    axes = panels(fig)
    assert len(axes) == 2
    assert axes[0].get_title().startswith("best: ") and axes[1].get_title().startswith("worst: ")
    assert len(axes[0].texts) == 100 and axes[0].get_xlabel() == "predicted digit"


def test_accuracy_vs_time_one_point_per_run(tables):
    fig = plots.accuracy_vs_time(tables["runs"])
    left, right = panels(fig)
    assert left.get_xlabel() == "training CPU time per run (s)"
    assert left.get_ylabel() == "final test accuracy (%)"
    assert sum(len(c.get_offsets()) for c in left.collections) == len(tables["runs"])
    assert "optimizer: adam" in {t.get_text() for t in right.get_yticklabels()}


def test_anomaly_timeline_marks_spikes_and_divergence(tables):
    metrics, anomalies = tables["metrics"], tables["anomalies"]
    fig = plots.anomaly_timeline(metrics, anomalies)
    axes = panels(fig)
    assert len(axes) == N_FACETS
    markers = [ln.get_marker() for ax in axes for ln in ax.get_lines()]
    assert markers.count("^") == len(anomalies)  # the loss spike
    assert markers.count("X") == metrics.query("status == 'diverged'")["run_id"].nunique()
    assert all(ax.get_yscale() == "log" for ax in axes)


@pytest.mark.parametrize(
    "draw",
    [
        lambda t: plots.learning_curves(t["seed_summary"].iloc[:0].assign(split=[]), "loss"),
        lambda t: plots.accuracy_heatmaps(t["leaderboard"].iloc[:0]),
        lambda t: plots.overfitting_panels(
            t["gaps"].iloc[:0], t["overfitting"], t["overfitting_configs"]
        ),
        lambda t: plots.anomaly_timeline(t["metrics"].iloc[:0], t["anomalies"]),
    ],
)
def test_no_data_draws_a_note(tables, draw):
    fig = draw(tables)
    assert any("No " in t.get_text() for ax in fig.axes for t in ax.texts)


def test_save_figure_writes_a_modest_png(tables, tmp_path):
    path = tmp_path / "plots" / "heatmap.png"
    plots.save_figure(plots.accuracy_heatmaps(tables["leaderboard"]), path)
    with Image.open(path) as image:
        width, height = image.size
    assert 400 < width < 1600 and 300 < height < 1600  # dpi 100, not print resolution
    assert path.stat().st_size < 400_000
    assert not plt.get_fignums()  # saved figures are closed


def test_regularization_labels_are_ordered():
    df = pd.DataFrame({"weight_decay": [1e-4, 0.0, 0.0], "dropout": [0.0, 0.2, 0.0]})
    labelled = plots.with_regularization(df)
    assert list(labelled["regularization"].cat.categories) == [
        "wd 0, dropout 0",
        "wd 0, dropout 0.2",
        "wd 1e-04, dropout 0",
    ]
