"""Figures of studies with 2 to 7 axes: every figure draws, facets stay few and readable."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import pytest

from ablation import plots
from ablation.report.build import analyze_runs
from ablation.report.figures import FIGURES
from ablation.stats.analyze import analysis_defaults
from ablation.steps import layout_of
from synthetic import synthetic_study

LEVELS = {
    "activation": ["relu", "tanh"],
    "optimizer": ["adam", "sgd"],
    "dropout": [0.0, 0.2],
    "hidden_size": [64, 128],
    "train_size": [1000, 4000, 16000],
    "dataset": ["mnist", "fashion_mnist"],
    "weight_decay": [0.0, 1e-4],
}


@functools.cache
def study_of(n_axes: int) -> dict:
    grid = {axis: LEVELS[axis] for axis in list(LEVELS)[:n_axes]}
    metrics, confusion = synthetic_study(
        {**grid, "seed": [0, 1] if n_axes < 7 else [0]}, epochs=6, milestones=(2, 4, 6), seed=n_axes
    )
    return analyze_runs(metrics, confusion, analysis_defaults())  # every table and figure


def visible_panels(fig: plt.Figure) -> list[plt.Axes]:
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def is_note(fig: plt.Figure) -> bool:
    return len(fig.axes) == 1 and not fig.axes[0].axison


@pytest.mark.parametrize("n_axes", [2, 5, 7])
def test_every_figure_draws_for_any_number_of_axes(n_axes):
    tables = study_of(n_axes)
    layout = layout_of(tables)
    assert len(layout.keys) <= 4 and len(layout.keys) + len(layout.pooled) == n_axes
    for name in FIGURES:
        fig = tables[name]
        assert 1 <= len(visible_panels(fig)) <= 40, name  # readable, not one per cell
        plt.close(fig)
    # a study without what a figure shows gets a one-line note (one panel, axes off)
    assert is_note(tables["datasize"]) == (n_axes < 5)  # train_size varies from 5 axes on
    assert is_note(tables["transfer"]) == (n_axes < 6)  # dataset from 6 on


def test_facets_put_datasets_in_rows_and_pool_the_least_important():
    tables = study_of(7)
    layout = layout_of(tables)
    assert layout.row == "dataset"
    assert layout.hue == ("weight_decay", "dropout")
    # the column is the axis that moves accuracy most (the synthetic study: training size)
    assert layout.col == plots.axis_importance(tables["marginal_means"])[0] == "train_size"
    fig = plots.interaction_plots(
        tables["interactions"], strength=tables["interaction_strength"], max_pairs=3
    )
    titles = fig._suptitle.get_text()
    assert "the 3 strongest of 15 pairs" in titles
    assert len(visible_panels(fig)) == 2 * 3  # two datasets x three pairs
    plt.close(fig)
