"""Grids of configurations: accuracy heatmaps, marginal means and interactions of any axes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ablation.axes import label, ordered
from ablation.i18n import _, number
from ablation.plots.style import (
    ALL,
    Layout,
    apply_style,
    bounds_of,
    choose_layout,
    empty_figure,
    in_language,
    joined,
    level_sorted,
    metric_label,
    percent_ticks,
    with_setting,
    yerr,
)
from ablation.report.words import word

MAX_PAIRS = 6  # interaction panels per dataset: the strongest pairs first


@in_language
def accuracy_heatmaps(leaderboard: pd.DataFrame, layout: Layout | None = None) -> plt.Figure:
    """Mean final test accuracy on a grid of two axes, one panel per colour setting (and dataset).

    Parameters
    ----------
    leaderboard : one row per configuration with the config keys, `mean`, `ci_low`,
        `ci_high`, `is_best`, `indistinguishable_from_best` (and `dataset` when several).
    layout : rows and columns of each heatmap and the panel setting (default
        `choose_layout`: activation x optimizer, a panel per regularization). Axes it
        pools show, in each cell, the best configuration over their levels.

    Returns
    -------
    Figure; each cell shows the mean in percent and its interval beneath; a black
    frame marks the best configuration, a grey one those the
    comparisons with the best do not resolve worse (equivalent or unresolved).
    """
    if leaderboard.empty:
        return empty_figure(_("No configuration finished yet."))
    apply_style()
    datasets = ordered(leaderboard["dataset"]) if "dataset" in leaderboard else [None]
    layout = layout or choose_layout(leaderboard.drop(columns="dataset", errors="ignore"))
    if layout.row == "dataset":  # heatmaps are per dataset already: two axes of their own
        layout = choose_layout(leaderboard.drop(columns="dataset"), layout.importance)
    row, col = layout.row or "_row", layout.col or "_col"
    data = with_setting(leaderboard.assign(_row="", _col=""), layout.hue)
    cell = [c for c in ("dataset", row, col, "setting") if c in data]
    data = data.sort_values("mean", ascending=False, na_position="last")
    data = data.drop_duplicates(cell)  # the best configuration of each cell
    settings = list(data["setting"].cat.categories)
    panels = [(d, s) for d in datasets for s in settings]
    rows, cols = ordered(data[row]), ordered(data[col])
    ncols = min(len(settings), 2 if len(datasets) == 1 else 4)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        figsize=(1.25 * len(cols) * ncols + 1.5, 0.8 * len(rows) * nrows + 0.9 * nrows),
    )
    for i, (ax, (dataset, setting)) in enumerate(zip(axes.flat, panels, strict=False)):
        part = data[data["setting"] == setting]
        if dataset is not None:
            part = part[part["dataset"] == dataset]
        scale = data if dataset is None else data[data["dataset"] == dataset]  # never shared
        last = i == len(panels) - 1 or panels[i + 1][0] != dataset
        _heatmap(ax, part.set_index([row, col]), rows, cols, scale, colorbar=last)
        ax.set_title(" / ".join(str(t) for t in (dataset, setting) if t not in (None, ALL)))
        ax.set_xlabel(label(col) if layout.col else "")
        ax.set_ylabel(label(row) if layout.row else "")
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    title = _(
        "Final test accuracy (%): mean over seeds [interval, clipped to 0-100]; "
        "black frame = best, grey = not resolved worse than the best"
    )
    if layout.pooled:
        pooled = joined(label(a) for a in layout.pooled)
        title += "\n" + _("each cell: the best configuration over {axes}").format(axes=pooled)
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig


def _heatmap(ax, part, rows, cols, data, colorbar: bool) -> None:
    vmin, vmax = np.nanmin(data["mean"]) * 100, np.nanmax(data["mean"]) * 100
    means = part["mean"].unstack(part.index.names[1]).reindex(index=rows, columns=cols) * 100
    notes = [[_cell_note(part, r, c) for c in cols] for r in rows]
    sns.heatmap(
        means.astype(float),
        ax=ax,
        annot=np.array(notes, dtype=object),
        fmt="",
        cmap="viridis",
        vmin=vmin,
        vmax=vmax,
        cbar=colorbar,
        linewidths=0.5,
        annot_kws={"fontsize": "x-small"},
        cbar_kws={"label": _("mean test accuracy (%)")} if colorbar else None,
    )
    # seaborn leaves cells without a value blank: say why
    for (y, x), missing in np.ndenumerate(means.isna().to_numpy()):
        if missing:
            ax.text(x + 0.5, y + 0.5, notes[y][x], ha="center", va="center",
                    fontsize="x-small", color="0.4")  # fmt: skip
    _frame_best(ax, part, rows, cols)
    ax.tick_params(axis="y", labelrotation=0)


def _cell_note(part: pd.DataFrame, row, col) -> str:
    if (row, col) not in part.index:
        return word("not run")
    cell = part.loc[(row, col)]
    if isinstance(cell, pd.DataFrame):
        cell = cell.iloc[0]
    if pd.isna(cell["mean"]):
        return _("no value")
    text = number(f"{cell['mean'] * 100:.2f}")
    if pd.notna(cell["ci_low"]):
        # an accuracy cannot leave 0-100 %, though a t-interval of two seeds may
        low, high = np.clip([cell["ci_low"], cell["ci_high"]], 0.0, 1.0) * 100
        bounds = _("[{low}, {high}]").format(low=number(f"{low:.2f}"), high=number(f"{high:.2f}"))
        text += "\n" + bounds
    return text


def _frame_best(ax: plt.Axes, part: pd.DataFrame, rows: list, cols: list) -> None:
    for (row, col), cell in part.iterrows():
        if cell.get("is_best", False):
            color, width = "black", 3
        elif cell.get("indistinguishable_from_best", False):
            color, width = "0.6", 2
        else:
            continue
        y, x = rows.index(row), cols.index(col)
        ax.add_patch(plt.Rectangle((x, y), 1, 1, fill=False, edgecolor=color, linewidth=width))


# ----------------------------------------------------------------------------- factors


@in_language
def factor_effects(marginal_means: pd.DataFrame, metric: str = "final_test_accuracy") -> plt.Figure:
    """Marginal mean of `metric` per level of each axis, with its interval (a row per dataset).

    Parameters
    ----------
    marginal_means : rows of (`dataset`,) `metric`, `axis`, `level`, `mean`, `ci_low`, `ci_high`.
    metric : which metric to draw.
    """
    rows = marginal_means[marginal_means["metric"] == metric]
    if rows.empty:
        return empty_figure(_("No factor effects yet."))
    apply_style()
    names = list(dict.fromkeys(rows["axis"]))
    datasets = ordered(rows["dataset"]) if "dataset" in rows else [None]
    fig, axes = plt.subplots(
        len(datasets),
        len(names),
        figsize=(2.6 * len(names), 3.0 * len(datasets)),
        sharey="row",
        squeeze=False,
    )
    for r, dataset in enumerate(datasets):
        mine = rows if dataset is None else rows[rows["dataset"] == dataset]
        for i, name in enumerate(names):
            ax = axes[r, i]
            part = level_sorted(mine[mine["axis"] == name], "level")
            x = np.arange(len(part))
            bars = yerr(part, bounds_of(metric))
            ax.errorbar(x, part["mean"], yerr=bars, fmt="o", color=f"C{i % 10}",
                        capsize=4, markersize=6, linewidth=1.5)  # fmt: skip
            ax.set_xticks(x, part["level"].astype(str))
            ax.set_xlim(-0.5, len(part) - 0.5)
            ax.set_xlabel(label(name))
        axes[r, 0].set_ylabel(
            metric_label(metric) + (f"\n{dataset}" if dataset is not None else "")
        )
    if "accuracy" in metric:
        percent_ticks(axes.flat, points="gap" in metric)
    fig.suptitle(
        _("Marginal means (averaged over the other axes and seeds) with intervals"), y=1.02
    )
    fig.tight_layout()
    return fig


@in_language
def interaction_plots(
    interactions: pd.DataFrame,
    metric: str = "final_test_accuracy",
    strength: pd.DataFrame | None = None,
    max_pairs: int = MAX_PAIRS,
) -> plt.Figure:
    """Mean `metric` for pairs of axes: x = levels of the first, colour = the second.

    Parallel lines mean the two choices act independently; crossing or diverging
    lines mean the effect of one depends on the other (an interaction). With
    `strength` (`ablation.stats.factors.interaction_strength`) the strongest pairs
    come first and at most `max_pairs` are drawn; a study of several datasets
    gets a row of panels per dataset.
    """
    rows = interactions[interactions["metric"] == metric]
    pairs = _pairs_to_draw(rows, strength, max_pairs)
    if not pairs:
        return empty_figure(_("No interactions: they need two axes with several levels each."))
    apply_style()
    datasets = ordered(rows["dataset"]) if "dataset" in rows else [None]
    panels = [(d, p) for d in datasets for p in pairs]
    ncols = min(3, len(pairs)) if len(datasets) == 1 else len(pairs)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(3.3 * ncols, 2.8 * nrows),
        sharey=True if len(datasets) == 1 else "row",  # datasets' accuracies differ
        squeeze=False,
    )
    for ax, (dataset, (a, b)) in zip(axes.flat, panels, strict=False):
        part = rows[(rows["axis_a"] == a) & (rows["axis_b"] == b)]
        if dataset is not None:
            part = part[part["dataset"] == dataset]
            ax.set_title(dataset, fontsize="small")
        _interaction_panel(ax, part, a, b, bounds_of(metric))
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(metric_label(metric))
    if "accuracy" in metric:
        percent_ticks(axes.flat, points="gap" in metric)
    title = _("Two-way interactions: mean with interval for each pair of choices")
    n_all = len(_varied_pairs(rows))
    if len(pairs) < n_all:
        title += "\n" + _("the {n} strongest of {total} pairs").format(n=len(pairs), total=n_all)
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig


def _varied_pairs(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs of axes that both have several levels (one level: nothing to interact)."""
    levels = {}
    for side in ("a", "b"):
        for axis, n in rows.groupby(f"axis_{side}")[f"level_{side}"].nunique().items():
            levels[axis] = max(levels.get(axis, 0), n)
    return [
        (a, b)
        for a, b in dict.fromkeys(zip(rows["axis_a"], rows["axis_b"], strict=False))
        if levels.get(a, 0) > 1 and levels.get(b, 0) > 1
    ]


def _pairs_to_draw(rows, strength, max_pairs) -> list[tuple[str, str]]:
    pairs = _varied_pairs(rows)
    if strength is not None and len(strength):
        mean = strength.groupby(["axis_a", "axis_b"])["strength"].mean()
        pairs.sort(key=lambda p: -mean.get(p, 0.0))
    return pairs[:max_pairs]


def _interaction_panel(
    ax: plt.Axes, part: pd.DataFrame, a: str, b: str, bounds: tuple[float, float] | None
) -> None:
    levels_a = level_sorted(part[["level_a"]].drop_duplicates(), "level_a")["level_a"].tolist()
    levels_b = level_sorted(part[["level_b"]].drop_duplicates(), "level_b")["level_b"].tolist()
    colors = sns.color_palette("colorblind", max(len(levels_b), 1))
    width = 0.25 / max(len(levels_b) - 1, 1)
    for j, level_b in enumerate(levels_b):
        line = part[part["level_b"] == level_b].set_index("level_a").reindex(levels_a)
        x = np.arange(len(levels_a)) + (j - (len(levels_b) - 1) / 2) * width
        ax.errorbar(x, line["mean"], yerr=yerr(line, bounds), marker="o", capsize=3, markersize=4,
                    color=colors[j % len(colors)], label=str(level_b), linewidth=1.3)  # fmt: skip
    ax.set_xticks(np.arange(len(levels_a)), [str(v) for v in levels_a])
    ax.set_xlabel(label(a))
    ax.legend(title=label(b), fontsize="x-small", title_fontsize="x-small")
