"""Test confusion matrices of the best and the worst configuration, classes by name."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ablation.axes import class_label, config_keys, config_label, ordered
from ablation.i18n import _, number, percent
from ablation.plots.style import apply_style, empty_figure, in_language, matches


@in_language
def confusion_matrices(confusion: pd.DataFrame, leaderboard: pd.DataFrame) -> plt.Figure:
    """Test confusion matrices (row-normalized, seeds summed) of the best and worst configuration.

    Parameters
    ----------
    confusion : per configuration: config keys, `true`, `predicted`, `count`, `rate`
        (and `true_name` / `predicted_name`: the classes' names).
    leaderboard : ranks the configurations (`rank`, 1 = best; per dataset when it
        has a `dataset` column: then the best and worst of each dataset).
    """
    ranked = leaderboard.dropna(subset=["mean"]).sort_values("rank")
    if ranked.empty or confusion.empty:
        return empty_figure(_("No confusion matrices yet."))
    apply_style()
    keys = [k for k in config_keys(leaderboard) if k in confusion]
    datasets = ordered(ranked["dataset"]) if "dataset" in ranked else [None]
    picks = []
    for dataset in datasets:
        mine = ranked if dataset is None else ranked[ranked["dataset"] == dataset]
        picks.append(("best", mine.iloc[0]))
        if len(mine) > 1:
            picks.append(("worst", mine.iloc[-1]))
    ncols = min(len(picks), 2)
    nrows = -(-len(picks) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.6 * nrows), squeeze=False)
    for ax, (name, config) in zip(axes.flat, picks, strict=False):
        _matrix(ax, confusion[matches(confusion, config, keys)])
        ax.set_title(_pick_title(name, config, keys), fontsize="small")
    for ax in axes.flat[len(picks) :]:
        ax.set_visible(False)
    fig.suptitle(_("Test confusion matrices (% of each true class, seeds summed)"), y=1.0)
    fig.tight_layout()
    return fig


def _pick_title(name: str, config: pd.Series, keys: list[str]) -> str:
    """`best: relu / adam / wd 0 / dropout 0` and its mean test accuracy beneath."""
    template = (
        _("best: {config}\nmean test accuracy {accuracy}")
        if name == "best"
        else _("worst: {config}\nmean test accuracy {accuracy}")
    )
    accuracy = percent(f"{config['mean'] * 100:.2f}")
    return template.format(config=config_label(config, keys), accuracy=accuracy)


def _matrix(ax: plt.Axes, part: pd.DataFrame) -> None:
    rates = part.pivot_table(index="true", columns="predicted", values="rate", aggfunc="first")
    names = _names(part)
    shown = rates * 100
    notes = np.vectorize(lambda v: "" if np.isnan(v) else number(f"{v:.1f}"), otypes=[object])
    sns.heatmap(
        shown,
        ax=ax,
        annot=notes(shown.to_numpy(dtype=float)),
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=100,
        cbar=False,
        annot_kws={"fontsize": 6.5},
        square=True,
        linewidths=0.3,
        xticklabels=[names.get(c, c) for c in rates.columns],
        yticklabels=[names.get(c, c) for c in rates.index],
    )
    digits = all(str(n).isdigit() for n in names.values())
    ax.set_xlabel(_("predicted digit") if digits else _("predicted class"))
    ax.set_ylabel(_("true digit") if digits else _("true class"))


def _names(part: pd.DataFrame) -> dict:
    """Class label -> name (the label itself where the table has no names)."""
    if "true_name" not in part:
        return {}
    return {t: class_label(n) for t, n in zip(part["true"], part["true_name"], strict=True)}
