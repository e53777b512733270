"""Running training loss of every run, with loss spikes, non-finite losses and divergences."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from ablation.axes import config_keys
from ablation.i18n import N_, _, ngettext
from ablation.plots.style import (
    ALL,
    PANEL,
    Layout,
    apply_style,
    choose_layout,
    empty_figure,
    facet_levels,
    facet_title,
    in_language,
    integer_epochs,
    plain_log_labels,
    setting_palette,
    with_setting,
)

EVENT_MARKERS = {
    "diverged": ("X", "black"),
    "loss_spike": ("^", "#d62728"),
    "non_finite_loss": ("*", "#9467bd"),
    "accuracy_drop": ("v", "#ff7f0e"),
}
EVENT_NAMES = {  # as the legend shows them; "diverged" is the state word of a run
    "diverged": N_("diverged"),
    "loss_spike": N_("loss spike"),
    "non_finite_loss": N_("non finite loss"),
    "accuracy_drop": N_("accuracy drop"),
}


@in_language
def anomaly_timeline(
    metrics: pd.DataFrame, anomalies: pd.DataFrame, layout: Layout | None = None
) -> plt.Figure:
    """Running training loss of every run, with anomalies and divergences marked.

    Parameters
    ----------
    metrics : the tidy metrics table; the `train_running` rows (one per epoch) are drawn.
    anomalies : one row per detected anomaly (`run_id`, `epoch`, `kind`).
    layout : panels and colours (default `choose_layout`: activation x optimizer,
        colour = regularization); every run is drawn, pooled axes in the same panel.

    Returns
    -------
    Figure, log-scale loss; markers sit on the run's curve at the epoch of the
    event (at the panel's top edge when the loss there is not finite).
    """
    running = metrics[metrics["split"] == "train_running"]
    if running.empty:
        return empty_figure(_("No runs finished yet."))
    apply_style()
    runs = running.drop_duplicates("run_id")
    layout = layout or choose_layout(runs[[*config_keys(runs), "seed"]])
    runs = with_setting(runs, layout.hue)
    palette = setting_palette(runs["setting"].cat.categories)
    rows, cols = facet_levels(runs, layout.row), facet_levels(runs, layout.col)
    fig, axes = plt.subplots(
        len(rows),
        len(cols),
        figsize=(PANEL * 1.25 * len(cols), PANEL * len(rows)),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    panel = _panels(runs, layout, rows, cols)
    loss = running.pivot(index="run_id", columns="epoch", values="loss").astype(float)
    loss = loss.where(np.isfinite(loss))
    colour = runs.set_index("run_id")["setting"].map(palette)
    for (i, j), ids in panel.groupby(panel).groups.items() if len(panel) else []:
        ax = axes[i, j]
        curves = [_finite(loss.columns.to_numpy(float), loss.loc[r].to_numpy()) for r in ids]
        ax.add_collection(
            LineCollection(curves, colors=[colour[r] for r in ids], linewidths=0.9, alpha=0.8)
        )
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            ax = axes[i, j]
            ax.set_yscale("log")
            ax.autoscale_view()
            plain_log_labels(ax)
            ax.set_title(facet_title(layout, row, col), fontsize="small")
    events = _events(running, anomalies)
    _draw_events(axes, panel, events)
    for ax in axes[:, 0]:
        ax.set_ylabel(_("running train loss (log)"))
    for ax in axes[-1, :]:
        ax.set_xlabel(_("epoch"))
    integer_epochs(axes.flat)
    handles = [Line2D([], [], color=c, label=r) for r, c in palette.items() if r != ALL]
    handles += [
        Line2D([], [], marker=m, color=c, linestyle="", label=_(EVENT_NAMES[k]))
        for k, (m, c) in EVENT_MARKERS.items()
    ]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4,
               frameon=False, fontsize="small")  # fmt: skip
    fig.suptitle(_timeline_title(events), y=1.0)
    fig.tight_layout()
    return fig


def _timeline_title(events: pd.DataFrame) -> str:
    """`Running training loss per run; 3 events in 2 runs marked`."""
    n_events, n_runs = len(events), events["run_id"].nunique() if len(events) else 0
    return _("Running training loss per run; {events} {in_runs} marked").format(
        events=ngettext("{n} event", "{n} events", n_events).format(n=n_events),
        in_runs=ngettext("in {n} run", "in {n} runs", n_runs).format(n=n_runs),
    )


def _finite(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    keep = np.isfinite(y) & (y > 0)
    return np.column_stack([x[keep], y[keep]])


def _panels(runs: pd.DataFrame, layout: Layout, rows: list, cols: list) -> pd.Series:
    """The (row, column) panel of every run, by run id."""
    i = runs[layout.row].map({v: k for k, v in enumerate(rows)}) if layout.row else 0
    j = runs[layout.col].map({v: k for k, v in enumerate(cols)}) if layout.col else 0
    cells = pd.Series(list(zip(pd.Series(i, index=runs.index), pd.Series(j, index=runs.index),
                               strict=True)), index=runs.index)  # fmt: skip
    return pd.Series(cells.to_numpy(), index=runs["run_id"].to_numpy())


def _events(running: pd.DataFrame, anomalies: pd.DataFrame) -> pd.DataFrame:
    """Anomalies and divergences with the run's running loss at that epoch (NaN if not finite)."""
    diverged = (
        running[running["status"] == "diverged"]
        .drop_duplicates("run_id")[["run_id", "diverged_epoch"]]
        .rename(columns={"diverged_epoch": "epoch"})
        .assign(kind="diverged")
    )
    listed = anomalies[["run_id", "epoch", "kind"]] if len(anomalies) else diverged.iloc[:0]
    events = pd.concat([listed, diverged], ignore_index=True).dropna(subset=["epoch"])
    if events.empty:
        return events.assign(y=[])
    events["epoch"] = events["epoch"].astype(float)
    loss = running[["run_id", "epoch", "loss"]].astype({"epoch": float})
    events = events.merge(loss, on=["run_id", "epoch"], how="left")
    events["y"] = events["loss"].where(np.isfinite(events["loss"].astype(float)))
    return events


def _draw_events(axes: np.ndarray, panel: pd.Series, events: pd.DataFrame) -> None:
    for _row, event in events.iterrows():
        if event["run_id"] not in panel.index:
            continue
        ax = axes[panel[event["run_id"]]]
        marker, color = EVENT_MARKERS.get(event["kind"], ("o", "black"))
        if pd.notna(event["y"]):
            ax.plot([event["epoch"]], [event["y"]], marker=marker, color=color, markersize=8,
                    linestyle="")  # fmt: skip
        else:  # not finite: on the top edge, in axes coordinates
            ax.plot([event["epoch"]], [0.97], marker=marker, color=color, markersize=9,
                    linestyle="", transform=ax.get_xaxis_transform(), clip_on=False)  # fmt: skip
