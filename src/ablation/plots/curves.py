"""Learning curves and the generalization gap against epoch, faceted by `choose_layout`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from ablation.axes import config_keys, config_label, label
from ablation.i18n import N_, _
from ablation.plots.style import (
    BAND_ALPHA,
    PANEL,
    REGULARIZERS,
    SPLIT_DASHES,
    Layout,
    apply_style,
    bounds_of,
    choose_layout,
    empty_figure,
    facet_levels,
    in_language,
    integer_epochs,
    lone_points,
    metric_label,
    percent_ticks,
    setting_name,
    setting_palette,
    split_name,
    with_setting,
)
from ablation.stats.seeds import describe

NO_CURVES = {
    "loss": N_("No loss measurements yet."),
    "accuracy": N_("No accuracy measurements yet."),
}
CURVE_TITLES = {
    "loss": N_("Loss during training: mean over seeds, band = confidence interval{pooled}"),
    "accuracy": N_("Accuracy during training: mean over seeds, band = confidence interval{pooled}"),
}


def learning_curve_table(
    seed_summary: pd.DataFrame,
    gaps: pd.DataFrame,
    confidence: float = 0.95,
    layout: Layout | None = None,
) -> pd.DataFrame:
    """The seed statistics of loss and accuracy per split and milestone, in one long table.

    Rows of `seed_summary` are used as they are (``test_loss``, ``test_accuracy``
    and any ``train_*`` / ``validation_*`` it holds). Splits it does not cover, and
    every split when `layout` pools axes, are summarized from the per-run milestone
    values of `gaps` by `ablation.stats.seeds.describe` (the function that makes
    `seed_summary`) at the same `confidence`, over the axes `layout` keeps apart.

    Returns
    -------
    Columns: config keys (or the layout's), `split`, `epoch`, `metric` (`loss` |
    `accuracy`), `n`, `mean`, `ci_low`, `ci_high`.
    """
    pooled = layout is not None and bool(layout.pooled)
    keys = layout.keys if pooled else config_keys(gaps if len(gaps) else seed_summary)
    columns = [*keys, "split", "epoch", "metric", "n", "mean", "ci_low", "ci_high"]
    given = seed_summary[seed_summary["point"] == "milestone"] if len(seed_summary) else None
    frames = []
    for split in SPLIT_DASHES:
        for metric in ("loss", "accuracy"):
            name = f"{split}_{metric}"
            rows = pd.DataFrame()
            if not pooled and given is not None:
                rows = given[given["metric"] == name]
            if len(rows) == 0 and name in gaps and gaps[name].notna().any():
                rows = describe(gaps, [*keys, "epoch"], name, confidence)
            if len(rows):
                frames.append(rows.assign(split=split, metric=metric))
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return out.astype({"epoch": float})


@in_language
def learning_curves(curves: pd.DataFrame, metric: str, layout: Layout | None = None) -> plt.Figure:
    """Mean `metric` against epoch on train, validation and test, with interval bands.

    Parameters
    ----------
    curves : `learning_curve_table` rows (the interval may be NaN with one seed).
    metric : which metric to draw (`loss` | `accuracy`).
    layout : facets and colours (default `choose_layout` of `curves`).

    Returns
    -------
    Figure with one panel per level of the layout's row x column axes (today:
    activation x optimizer); colour = the hue axes (regularization), line style = split.
    """
    data = curves[curves["metric"] == metric]
    if data.empty:
        return empty_figure(_(NO_CURVES[metric]))
    layout = layout or choose_layout(data)
    fig = _facet_curves(
        data,
        layout,
        ylabel=metric_label(metric),
        title=_(CURVE_TITLES[metric]).format(pooled=layout.pooled_note()),
    )
    if metric == "accuracy":
        percent_ticks(fig.axes)
    return fig


@in_language
def accuracy_gap(
    seed_summary: pd.DataFrame,
    metric: str = "gap_accuracy_test",
    layout: Layout | None = None,
    gaps: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> plt.Figure:
    """Train-minus-test accuracy against epoch, per configuration, with interval bands.

    Parameters
    ----------
    seed_summary : the seed statistics; rows with `point == "milestone"` and
        `metric == metric` are drawn.
    metric : which gap to draw.
    layout : facets and colours; when it pools axes, the gaps of the pooled runs
        (`gaps`) are summarized instead, by `ablation.stats.seeds.describe`.
    """
    rows = seed_summary[(seed_summary["point"] == "milestone") & (seed_summary["metric"] == metric)]
    if layout is not None and layout.pooled and gaps is not None and len(gaps):
        rows = describe(gaps, [*layout.keys, "epoch"], metric, confidence)
    if rows.empty:
        return empty_figure(_("No train-test gap measurements yet."))
    layout = layout or choose_layout(rows)
    fig = _facet_curves(
        rows.assign(split="train", epoch=rows["epoch"].astype(float)),
        layout,
        ylabel=metric_label("gap"),
        title=_(
            "Generalization gap (train minus test accuracy): mean over seeds, band = "
            "interval{pooled}"
        ).format(pooled=layout.pooled_note()),
    )
    for ax in fig.axes:
        ax.axhline(0, color="0.3", linewidth=0.8)
    percent_ticks(fig.axes, points=True)
    return fig


def _facet_curves(data: pd.DataFrame, layout: Layout, ylabel: str, title: str) -> plt.Figure:
    """Lines of `mean` and bands of `ci_low`..`ci_high` against epoch, one panel per facet."""
    apply_style()
    data = with_setting(data, layout.hue)
    palette = setting_palette(data["setting"].cat.categories)
    splits = [s for s in SPLIT_DASHES if s in set(data["split"])]
    facets = {}
    for facet, axis in (("row", layout.row), ("col", layout.col)):
        if axis:
            data, names = _named_levels(data, axis)
            facets.update({facet: axis, f"{facet}_order": names})
    grid = sns.relplot(
        data=data,
        x="epoch",
        y="mean",
        hue="setting",
        style="split",
        style_order=splits,
        dashes=SPLIT_DASHES,
        palette=palette,
        kind="line",
        errorbar=None,
        legend=False,
        height=PANEL,
        aspect=1.25,
        facet_kws={"margin_titles": True, "sharey": "row" if layout.row == "dataset" else True},
        **facets,
        **lone_points(data["epoch"].nunique()),
    )
    grid.map_dataframe(_bands, palette=palette)
    grid.set_axis_labels(_("epoch"), ylabel)
    grid.set_titles(row_template="{row_name}", col_template="{col_name}")
    integer_epochs(grid.axes.flat)
    _legends_below(grid.figure, palette, splits if len(splits) > 1 else [], _hue_title(layout))
    grid.figure.suptitle(title, y=1.02)
    return grid.figure


def _hue_title(layout: Layout) -> str:
    """The colour legend's title: `regularization` for weight decay with dropout."""
    if layout.hue == REGULARIZERS:
        return _("regularization")
    return ", ".join(label(a) for a in layout.hue) or _("setting")


def _named_levels(data: pd.DataFrame, axis: str) -> tuple[pd.DataFrame, list[str]]:
    """The facet axis's values as panel titles read them (`val 1000`, not `1000`), in order."""
    names = {level: config_label({axis: level}, [axis]) for level in facet_levels(data, axis)}
    return data.assign(**{axis: data[axis].map(names)}), list(names.values())


def _bands(data: pd.DataFrame, palette: dict, **_: object) -> None:
    ax = plt.gca()
    for (setting, _split), part in data.groupby(["setting", "split"], observed=True):
        part = part.sort_values("epoch")
        if part["ci_low"].notna().any():
            # an accuracy's band stops at its possible range, as the tables show it
            bounds = bounds_of(str(part["metric"].iloc[0])) if "metric" in part else None
            low, high = part["ci_low"], part["ci_high"]
            if bounds is not None:
                low, high = low.clip(*bounds), high.clip(*bounds)
            ax.fill_between(
                part["epoch"],
                low,
                high,
                color=palette[setting],
                alpha=BAND_ALPHA,
                linewidth=0,
            )


def _legends_below(fig: plt.Figure, palette: dict, splits: list[str], title: str) -> None:
    """Colour legend (the hue axes) and, when several splits, line-style legend."""
    colours = [
        Line2D([], [], color=c, linewidth=2, label=setting_name(r)) for r, c in palette.items()
    ]
    x = 0.38 if splits else 0.5
    fig.legend(
        handles=colours,
        title=title,
        loc="upper center",
        bbox_to_anchor=(x, 0.0),
        ncol=min(2, len(colours)),
        frameon=False,
    )
    if splits:
        styles = [
            Line2D(
                [],
                [],
                color="0.25",
                linestyle=(0, SPLIT_DASHES[s]) if SPLIT_DASHES[s] else "-",
                label=split_name(s),
            )
            for s in splits
        ]
        fig.legend(
            handles=styles,
            title=_("split"),
            loc="upper center",
            bbox_to_anchor=(0.78, 0.0),
            ncol=len(styles),
            frameon=False,
        )
