"""Train and test loss of every run, one panel per configuration, verdicts marked."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ablation.axes import config_keys, config_label
from ablation.i18n import _, ngettext
from ablation.plots.style import (
    PANEL,
    apply_style,
    empty_figure,
    in_language,
    integer_epochs,
    lone_points,
    matches,
)
from ablation.report.words import word

VERDICT_COLORS = {
    "overfitting": "#b2182b",
    "noisy plateau": "#d6604d",
    "underfitting": "#8c510a",
    "diverged": "#542788",
    "still learning": "#4393c3",
    "good fit": "#1b7837",
    "not available": "#555555",
}
MAX_PANELS = 36  # beyond this, the configurations where early stopping gains most


@in_language
def overfitting_panels(
    gaps: pd.DataFrame,
    runs: pd.DataFrame,
    configs: pd.DataFrame,
    columns: int = 6,
    max_panels: int = MAX_PANELS,
) -> plt.Figure:
    """Train and test loss of every run, one panel per configuration, verdicts marked.

    Parameters
    ----------
    gaps : one row per run x milestone (`run_id`, config keys, `seed`, `epoch`,
        `train_loss`, `test_loss`).
    runs : one row per run with `run_id`, `onset_epoch` (NA = no onset) and `best_val_epoch`.
    configs : one row per configuration with its `verdict` and `best_val_epoch_median`.
    columns : panels per row.
    max_panels : at most this many panels: with more configurations, those whose
        early stopping gains most (``early_stopping_gain_mean``) are shown, and the
        title says so (or, where it gains nothing, the first in grid order).

    Returns
    -------
    Figure; solid = train loss, dotted = test loss, one thin line per seed;
    triangle = overfitting onset of that seed (open: a noisy rise that came back);
    green vertical line = median epoch of lowest validation loss.
    """
    if gaps.empty or configs.empty:
        return empty_figure(_("No runs finished yet."))
    apply_style()
    keys = config_keys(configs)
    total = len(configs)
    shown, chosen = _pick(configs, keys, max_panels)
    n = len(shown)
    ncols = min(columns, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(PANEL * 0.95 * ncols, PANEL * 0.9 * nrows),
        sharex=True,
        squeeze=False,
    )
    onsets = runs.set_index("run_id")["onset_epoch"]
    noisy = runs.set_index("run_id").get("noisy_rise_epoch", pd.Series(dtype="Int64"))
    for ax, (_row, config) in zip(axes.flat, shown.iterrows(), strict=False):
        mine = gaps[matches(gaps, config, keys)]
        _draw_runs(ax, mine, onsets, noisy)
        if pd.notna(config.get("best_val_epoch_median")):
            ax.axvline(config["best_val_epoch_median"], color="C2", linewidth=1.2)
        ax.set_title(
            f"{_wrapped(config_label(config, keys, ' / '))}\n{word(config['verdict'])}",
            fontsize="x-small",
            color=VERDICT_COLORS.get(config["verdict"], "black"),
        )
        ax.tick_params(labelsize="x-small")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(_("loss"))
    for ax in axes[-1, :]:
        ax.set_xlabel(_("epoch"))
    integer_epochs(axes.flat)
    handles = [
        Line2D([], [], color="C0", label=_("train loss (one line per seed)")),
        Line2D([], [], color="C3", linestyle=":", label=_("test loss")),
        Line2D([], [], color="C3", marker="v", linestyle="", label=_("overfitting onset")),
        Line2D(
            [],
            [],
            color="C3",
            marker="v",
            markerfacecolor="none",
            linestyle="",
            label=_("noisy rise that came back"),
        ),  # fmt: skip
        Line2D([], [], color="C2", label=_("median epoch of lowest validation loss")),
    ]
    fig.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5, frameon=False
    )
    title = _("Train vs test loss per configuration (title: verdict over seeds)")
    if n < total:
        shown_of = ngettext(
            "{n} of {total} configuration: {chosen}",
            "{n} of {total} configurations: {chosen}",
            total,
        )
        title += "\n" + shown_of.format(n=n, total=total, chosen=chosen)
    fig.suptitle(title, y=1.0)
    # fixed spacing, not tight_layout: with 36 panels that alone took most of the time
    lines = 1 + max(
        _wrapped(config_label(c, keys, " / ")).count("\n") + 1 for _row, c in shown.iterrows()
    )
    fig.subplots_adjust(left=0.05, right=0.99, top=0.93, bottom=0.07, wspace=0.25,
                        hspace=0.18 * lines + 0.15)  # fmt: skip
    return fig


def _wrapped(text: str, width: int = 40, sep: str = " / ") -> str:
    """A long configuration label on two or more lines, broken between axes."""
    lines = [""]
    for part in text.split(sep):
        joined = f"{lines[-1]}{sep}{part}" if lines[-1] else part
        if len(joined) > width and lines[-1]:
            lines.append(part)
        else:
            lines[-1] = joined
    return "\n".join(lines)


def _pick(configs: pd.DataFrame, keys: list[str], limit: int) -> tuple[pd.DataFrame, str]:
    """At most `limit` configurations, and how they were chosen (in words, for the title;
    `all` when every one is shown).

    With more, those with the largest early-stopping gain come first; where early
    stopping gains nothing (one epoch, no rise), the rest follow in grid order.
    """
    in_order = configs.sort_values(keys, ignore_index=True)
    if len(configs) <= limit:
        return in_order, "all"
    gain = in_order.get("early_stopping_gain_mean", pd.Series(0.0, index=in_order.index))
    gain = gain.astype(float).fillna(0.0).clip(lower=0.0)
    gaining = int((gain > 0).sum())
    top = in_order.iloc[np.argsort(-gain.to_numpy(), kind="stable")[:limit]]
    if gaining >= limit:
        chosen = _("those where early stopping gains most")
    elif gaining:
        chosen = _("the {n} where early stopping gains, then others in grid order").format(
            n=gaining
        )
    else:
        chosen = _("the first in grid order (early stopping gains nothing in any)")
    return top.sort_values(keys, ignore_index=True), chosen


def _draw_runs(ax: plt.Axes, mine: pd.DataFrame, onsets: pd.Series, noisy: pd.Series) -> None:
    for run_id, run in mine.groupby("run_id"):
        run = run.sort_values("epoch")
        dots = lone_points(len(run))
        ax.plot(run["epoch"], run["train_loss"], color="C0", linewidth=1, **dots)
        ax.plot(run["epoch"], run["test_loss"], color="C3", linewidth=1, linestyle=":", **dots)
        for epoch, face in ((onsets.get(run_id, pd.NA), "C3"), (noisy.get(run_id, pd.NA), "none")):
            at = run[run["epoch"] == epoch]["test_loss"] if pd.notna(epoch) else []
            if len(at):  # filled: overfitting onset; open: a rise that came back
                ax.plot([epoch], at.iloc[:1], marker="v", color="C3", mfc=face, markersize=7)
