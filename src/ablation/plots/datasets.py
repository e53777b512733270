"""Figures for any axes: paired effects of every choice, more data, transfer between datasets."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ablation.axes import config_keys, format_number, label, ordered
from ablation.i18n import N_, _, number
from ablation.plots.style import (
    apply_style,
    bounds_of,
    empty_figure,
    in_language,
    setting_palette,
    with_setting,
    yerr,
)

EFFECT_METRICS = {
    "final_test_accuracy": N_("change in final test accuracy (pp)"),
    "final_gap_accuracy": N_("change in train - test gap (pp)"),
}


@in_language
def paired_effects_plot(effects: pd.DataFrame) -> plt.Figure:
    """Mean paired change of each level against its axis's baseline, with interval, in pp.

    Parameters
    ----------
    effects : `ablation.stats.paired.paired_effects` (a `dataset` column when several).

    Returns
    -------
    Figure: one row per change (``dropout 0.2 vs 0``), test accuracy on the left and
    the train-test gap on the right; one colour per dataset; the zero line is "no effect".
    """
    rows = effects[effects["metric"].isin(EFFECT_METRICS)] if len(effects) else effects
    if rows.empty:
        return empty_figure(_("No paired effects: they need an axis with two levels or more."))
    apply_style()
    rows = rows.assign(change=[_change(r) for r in rows.to_dict("records")])
    changes = list(dict.fromkeys(rows["change"]))
    datasets = ordered(rows["dataset"]) if "dataset" in rows else [None]
    colours = setting_palette([str(d) for d in datasets])
    fig, axes = plt.subplots(
        1, 2, figsize=(11, 0.9 + 0.32 * len(changes) * max(1, len(datasets) / 2)), sharey=True
    )
    for ax, (metric, xlabel) in zip(axes, EFFECT_METRICS.items(), strict=True):
        for k, dataset in enumerate(datasets):
            part = rows[rows["metric"] == metric]
            if dataset is not None:
                part = part[part["dataset"] == dataset]
            part = part.set_index("change").reindex(changes)
            y = np.arange(len(changes)) + (k - (len(datasets) - 1) / 2) * 0.25
            shown = part.rename(columns={"mean_delta": "mean"}) * 1
            ax.errorbar(shown["mean"] * 100, y, xerr=yerr(shown) * 100, fmt="o", capsize=3,
                        color=colours[str(dataset)], label=dataset)  # fmt: skip
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_xlabel(_(xlabel))
        ax.set_yticks(np.arange(len(changes)), changes)
    axes[0].invert_yaxis()  # shared: the first change on top
    if len(datasets) > 1:
        axes[1].legend(title=_("dataset"), fontsize="x-small")
    fig.suptitle(
        _("What one change does, everything else fixed: mean paired change with interval"), y=1.0
    )
    fig.tight_layout()
    return fig


def _change(effect: dict) -> str:
    """`dropout 0.2 vs 0`: a level of an axis against the axis's baseline."""
    return _("{axis} {level} vs {baseline}").format(
        axis=label(effect["axis"]),
        level=_short(effect["level"]),
        baseline=_short(effect["baseline_level"]),
    )


def _short(level) -> str:
    try:
        return format_number(float(level))
    except (TypeError, ValueError):
        return str(level)


@in_language
def datasize_plot(curve: pd.DataFrame) -> plt.Figure:
    """Test accuracy and train-test gap against training-set size, per regularization setting.

    Parameters
    ----------
    curve : `ablation.stats.datasize.datasize_curve`.
    """
    if curve.empty:
        return empty_figure(_("The training-set size does not vary in this study."))
    apply_style()
    hue = [a for a in ("weight_decay", "dropout") if a in curve and curve[a].nunique() > 1]
    data = with_setting(curve, hue)
    palette = setting_palette(data["setting"].cat.categories)
    datasets = ordered(data["dataset"]) if "dataset" in data else [None]
    fig, axes = plt.subplots(len(datasets), 2, figsize=(10, 3.4 * len(datasets)), squeeze=False)
    for r, dataset in enumerate(datasets):
        mine = data if dataset is None else data[data["dataset"] == dataset]
        for ax, metric in zip(axes[r], EFFECT_METRICS, strict=True):
            for setting, part in mine[mine["metric"] == metric].groupby("setting", observed=True):
                part = part.sort_values("train_size")
                ax.errorbar(
                    part["train_size"], part["mean"] * 100,
                    yerr=yerr(part, bounds_of(metric)) * 100, marker="o",
                    capsize=3, color=palette[setting], label=setting,
                )  # fmt: skip
            ax.set_xscale("log")
            sizes = ordered(mine["train_size"])
            ax.set_xticks(sizes, [format_number(v) for v in sizes])
            ax.minorticks_off()
            ax.set_xlabel(_("{axis} (log scale)").format(axis=label("train_size")))
            name = (
                _("test accuracy (%)")
                if metric == "final_test_accuracy"
                else _("train - test (pp)")
            )
            ax.set_ylabel(name + (f"\n{dataset}" if dataset is not None else ""))
    if hue:
        axes[0, 1].legend(title=_("regularization"), fontsize="x-small")
    fig.suptitle(_("More data against regularization: mean over runs with interval"), y=1.0)
    fig.tight_layout()
    return fig


@in_language
def transfer_plot(leaderboard: pd.DataFrame, agreement: pd.DataFrame) -> plt.Figure:
    """Rank of every configuration on one dataset against its rank on another, tau in the title.

    Parameters
    ----------
    leaderboard : per-dataset leaderboard (`dataset`, config keys, `rank`).
    agreement : `ablation.stats.transfer.rank_agreement`.
    """
    if agreement.empty or "dataset" not in leaderboard:
        return empty_figure(_("One dataset only: nothing to transfer to."))
    apply_style()
    keys = [k for k in config_keys(leaderboard) if k != "dataset"]
    ranks = leaderboard.pivot_table(index=keys, columns="dataset", values="rank")
    pairs = list(itertools.combinations(ordered(leaderboard["dataset"]), 2))
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 4.2), squeeze=False)
    for ax, (a, b) in zip(axes.flat, pairs, strict=True):
        ax.scatter(ranks[a], ranks[b], s=14, alpha=0.7)
        ax.set_xlabel(_("rank on {dataset} (1 = best)").format(dataset=a))
        ax.set_ylabel(_("rank on {dataset}").format(dataset=b))
        row = agreement[(agreement["dataset_a"] == a) & (agreement["dataset_b"] == b)]
        if len(row):
            ax.set_title(_tau_title(row.iloc[0]), fontsize="small")
    fig.suptitle(_("Does the ranking of configurations transfer between datasets?"), y=1.0)
    fig.tight_layout()
    return fig


def _tau_title(agreement: pd.Series) -> str:
    """`Kendall's tau 0.83 [0.61, 0.95]` (the interval where there is one)."""
    tau = number(f"{agreement['tau']:.2f}")
    if not agreement["has_interval"]:
        return _("Kendall's tau {tau}").format(tau=tau)
    interval = _("[{low}, {high}]").format(
        low=number(f"{agreement['ci_low']:.2f}"), high=number(f"{agreement['ci_high']:.2f}")
    )
    return _("Kendall's tau {tau} {interval}").format(tau=tau, interval=interval)
