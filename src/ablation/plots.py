"""Figures: each function takes tables and returns a matplotlib figure; callers save it."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ablation.io import atomic_write  # noqa: E402

STYLE = {"style": "whitegrid", "context": "notebook"}


def learning_curves(metrics: pd.DataFrame) -> plt.Figure:
    """Test and train accuracy against epoch; facets by activation x optimizer."""
    sns.set_theme(**STYLE)
    measured = metrics[metrics["split"].isin(["train", "test"])]
    grid = sns.relplot(
        data=measured,
        x="epoch",
        y="accuracy",
        hue="split",
        row="activation",
        col="optimizer",
        kind="line",
        errorbar=("ci", 95),
        height=2.6,
        aspect=1.3,
        facet_kws={"margin_titles": True},
    )
    grid.set_axis_labels("epoch", "accuracy")
    grid.figure.suptitle("Learning curves (mean over seeds and regularization, 95% CI)", y=1.02)
    return grid.figure


def save_figure(fig: plt.Figure, path: str | Path) -> None:
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=110, bbox_inches="tight")
    plt.close(fig)
