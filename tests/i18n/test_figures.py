"""Every figure in Russian: each text a reader sees (titles, axis labels, tick labels,
legends, annotations, colour bars, notes) holds no English word outside code names, its
numbers are written the Russian way, and its Cyrillic is drawn by DejaVu Sans, the font
that ships with matplotlib, without a missing glyph.

Figures are drawn inside ``i18n.use("ru")`` and saved after it, as the figure steps do.
"""

from __future__ import annotations

import functools
import io
import re
import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager
from matplotlib.text import Text

from ablation import i18n, plots
from ablation.axes import AXES, CLASS_NAMES, FASHION_NAMES, label, value_label
from ablation.report.build import analyze_runs
from ablation.report.figures import FIGURES
from ablation.stats.analyze import analysis_defaults
from report_helpers import hand_tables
from synthetic import synthetic_study

pytestmark = pytest.mark.usefixtures("close_figures")

GRIDS = {
    "two axes": {"activation": ["relu", "tanh"], "optimizer": ["adam", "sgd"], "seed": [0, 1]},
    "six axes": {  # datasets and training sizes: every figure; axes pooled
        "activation": ["relu", "tanh"],
        "optimizer": ["adam", "sgd"],
        "dropout": [0.0, 0.2],
        "train_size": [1000, 4000],
        "dataset": ["mnist", "fashion_mnist"],
        "weight_decay": [0.0, 1e-4],
        "seed": [0],
    },
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_'’-]*[A-Za-z]|[A-Za-z]")  # fashion_mnist: one
NUMBER = re.compile(r"[-−+]?\d+(?:[.,]\d+)*(?:e[-−+]?\d+)?")  # 1e-04 is a number, not `e`
PLACES = ("mpl-data/fonts/ttf/DejaVuSans.ttf", "mpl-data/fonts/ttf/DejaVuSans-Bold.ttf")


@functools.cache
def russian_study(grid_name: str) -> dict:
    """Every table and figure of a synthetic study, the figures drawn in Russian."""
    grid = GRIDS[grid_name]
    metrics, confusion = synthetic_study(grid, epochs=6, milestones=(2, 4, 6), seed=3)
    return analyze_runs(metrics, confusion, {**analysis_defaults(), "language": "ru"})


@functools.cache
def code_names() -> frozenset[str]:
    """The Latin words a Russian figure may show: axis keys and levels, dataset and class
    names, and what `ablation.axes` writes for the axes (translated there, not here)."""
    names = {*AXES, "mnist", "fashion_mnist", "fashion-mnist", "relu", "tanh", "adam", "sgd"}
    for classes in CLASS_NAMES.values():  # names of classes the catalogs leave as they are
        kept = [c for c in classes if c not in FASHION_NAMES]
        names |= {w.lower() for c in kept for w in LATIN_WORD.findall(c)}
    with i18n.use("ru"):
        for axis in AXES:
            shown = f"{label(axis)} {value_label(axis, 1.0)}"
            names |= {w.lower() for w in LATIN_WORD.findall(shown)}
    return frozenset(names)


def english_words(text: str) -> list[str]:
    words = LATIN_WORD.findall(NUMBER.sub(" ", text))
    return [w for w in words if w.lower() not in code_names()]


def drawn(fig: plt.Figure) -> tuple[list[Text], list[str]]:
    """The visible texts of `fig` once drawn, and the warnings drawing it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return texts, [str(w.message) for w in caught]


def assert_russian(fig: plt.Figure, name: str) -> list[str]:
    """Check every text of `fig`; returns the texts."""
    texts, warned = drawn(fig)
    assert not [w for w in warned if "Glyph" in w or "font" in w.lower()], (name, warned)
    shown = [t.get_text() for t in texts]
    english = [(text, english_words(text)) for text in shown if english_words(text)]
    assert not english, f"{name}: English words in {english[:8]}"
    fonts = {font_manager.findfont(t.get_fontproperties()) for t in texts}
    assert all(f.endswith(PLACES) for f in fonts), (name, fonts)
    assert any(re.search(r"[А-Яа-яЁё]", text) for text in shown), name
    plt.close(fig)
    return shown


def in_russian(draw, *args, **kwargs) -> plt.Figure:
    with i18n.use("ru"):
        return draw(*args, **kwargs)


@pytest.mark.parametrize("grid_name", list(GRIDS))
def test_every_figure_of_a_study_reads_in_russian(grid_name):
    tables = russian_study(grid_name)
    for name in FIGURES:
        assert_russian(tables[name], name)


def test_numbers_on_figures_are_written_the_russian_way():
    tables = hand_tables()
    board = tables["leaderboard"]
    fig = in_russian(plots.accuracy_heatmaps, board)
    shown = assert_russian(fig, "heatmap")
    best = board.iloc[0]
    cell = "{:.2f}\n[{:.2f}; {:.2f}]".format(
        *(best[k] * 100 for k in ("mean", "ci_low", "ci_high"))
    )
    assert cell.replace(".", ",") in shown
    colour_bar = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"][0]
    assert colour_bar.yaxis.get_major_formatter().format_ticks([95.5, 96.25]) == ["95,50", "96,25"]
    curves = plots.learning_curve_table(tables["seed_summary"], tables["gaps"])
    shown = assert_russian(in_russian(plots.learning_curves, curves, "loss"), "loss")
    assert any(re.fullmatch(r"\d+,\d+", text) for text in shown)  # 0,2 on the loss axis
    assert not any(re.fullmatch(r"[-−]?\d+\.\d+", text) for text in shown)
    shown = assert_russian(in_russian(plots.learning_curves, curves, "accuracy"), "accuracy")
    assert any(re.fullmatch(r"\d+(,\d+)?\u00a0%", text) for text in shown)
    shown = assert_russian(in_russian(plots.accuracy_gap, tables["seed_summary"]), "gap")
    assert any(text.endswith(" п. п.") for text in shown)


def test_hand_made_cases_read_in_russian():
    tables = hand_tables()
    board = tables["leaderboard"].iloc[1:]  # one configuration not run
    shown = assert_russian(in_russian(plots.accuracy_heatmaps, board), "heatmap, one not run")
    assert "не запускалась" in shown
    configs = tables["overfitting_configs"]
    fig = in_russian(plots.overfitting_panels, tables["gaps"], tables["overfitting"], configs,
                     max_panels=4)  # fmt: skip
    assert_russian(fig, "overfitting, four panels")
    wall = tables["runs"].drop(columns="train_cpu_seconds", errors="ignore")
    assert_russian(in_russian(plots.accuracy_vs_time, wall), "cost in wall time")
    fig = in_russian(plots.anomaly_timeline, tables["metrics"], tables["anomalies"])
    assert_russian(fig, "anomalies")
    fig = in_russian(plots.confusion_matrices, tables["confusion_by_config"], board)
    assert_russian(fig, "confusion")


EMPTY = {
    "learning_curves": lambda t: plots.learning_curves(t["seed_summary"].iloc[:0], "loss"),
    "accuracy_gap": lambda t: plots.accuracy_gap(t["seed_summary"].iloc[:0]),
    "heatmap": lambda t: plots.accuracy_heatmaps(t["leaderboard"].iloc[:0]),
    "overfitting": lambda t: plots.overfitting_panels(
        t["gaps"].iloc[:0], t["overfitting"], t["overfitting_configs"]
    ),
    "anomalies": lambda t: plots.anomaly_timeline(t["metrics"].iloc[:0], t["anomalies"]),
    "confusion": lambda t: plots.confusion_matrices(t["confusion_by_config"].iloc[:0],
                                                    t["leaderboard"]),
    "cost": lambda t: plots.accuracy_vs_time(t["runs"].iloc[:0]),
    "factors": lambda t: plots.factor_effects(t["marginal_means"].iloc[:0]),
    "interactions": lambda t: plots.interaction_plots(t["interactions"].iloc[:0]),
    "paired": lambda t: plots.paired_effects_plot(t["marginal_means"].iloc[:0]),
    "datasize": lambda t: plots.datasize_plot(t["marginal_means"].iloc[:0]),
    "transfer": lambda t: plots.transfer_plot(t["leaderboard"], t["marginal_means"].iloc[:0]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(EMPTY))
def test_a_figure_without_data_says_why_in_russian(name):
    fig = in_russian(EMPTY[name], hand_tables())
    assert len(assert_russian(fig, name)) == 1


def test_english_figures_keep_their_texts():
    with i18n.use("en"):
        fig = plots.accuracy_gap(hand_tables()["seed_summary"])
    shown = [t.get_text() for t in drawn(fig)[0]]
    assert "train - test accuracy" in shown and "epoch" in shown
    assert any(re.fullmatch(r"[-−]?\d+(\.\d+)? pp", text) for text in shown), shown


def test_the_check_sees_a_missing_glyph():
    fig, ax = plt.subplots()
    ax.set_title("\u4e2d")  # a CJK character: DejaVu Sans has none
    assert any("Glyph" in w for w in drawn(fig)[1])
    plt.close(fig)
