"""The one look of every figure, and how figures of any axes choose their facets.

Seaborn's whitegrid theme and colour-blind palette; line style = data split.
Which axes become panel rows, panel columns and colours is chosen once, by
`choose_layout`, from the axes the study varies and how much each matters.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ablation.axes import config_label, label, ordered, strata_and_factors  # noqa: E402
from ablation.io import atomic_write  # noqa: E402

METRIC_LABELS = {
    "final_test_accuracy": "final test accuracy",
    "final_test_loss": "final test loss",
    "final_gap_accuracy": "final train - test accuracy",
    "loss": "loss (cross-entropy)",
    "accuracy": "accuracy",
    "gap": "train - test accuracy",
}
SPLIT_DASHES = {"train": "", "validation": (4, 2), "test": (1, 1.5)}
REGULARIZERS = ("weight_decay", "dropout")
DPI = 100
BAND_ALPHA = 0.18
PANEL = 2.6  # inches per facet side: 36 panels stay within a laptop screen's width at dpi 100
MAX_LEVELS = 8  # an axis with more levels than this is not a facet (too many panels)


def apply_style() -> None:
    """The one theme of every figure."""
    sns.set_theme(
        style="whitegrid",
        context="notebook",
        palette="colorblind",
        font_scale=0.85,
        rc={"figure.dpi": DPI, "savefig.dpi": DPI, "axes.titlesize": "medium"},
    )


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = DPI) -> None:
    """Write `fig` atomically as PNG or SVG (from the suffix) and close it."""
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def figure_bytes(fig: plt.Figure, fmt: str = "png", dpi: int = DPI) -> bytes:
    """`fig` as the bytes of an image file (for inlining), and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def empty_figure(message: str) -> plt.Figure:
    """A small figure that says why there is nothing to draw."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return fig


def integer_epochs(axes: Iterable[plt.Axes]) -> None:
    """Epoch ticks at whole numbers only (a 2-epoch study would show 1.2, 1.4, ...)."""
    for ax in axes:
        low, high = ax.get_xlim()
        if high - low <= 1:  # one epoch measured: one tick at it, not 0.945, 0.960, ...
            middle = round((low + high) / 2)
            ax.set_xlim(middle - 0.5, middle + 0.5)
            ax.set_xticks([middle])
        else:
            ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))


def percent_ticks(axes: Iterable[plt.Axes], points: bool = False) -> None:
    """Tick labels of an accuracy axis (0-1) in percent, as the report's tables give it;
    a difference of accuracies (`points`) in percentage points."""
    for ax in axes:
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, symbol=" pp" if points else "%"))


def lone_points(n_points: int) -> dict[str, object]:
    """Line keywords that mark a curve of one point (a line through it would not show)."""
    return {"marker": "o", "markersize": 4} if n_points == 1 else {}


def plain_log_labels(ax: plt.Axes) -> None:
    """Tick labels of a log axis as plain numbers (0.05, 0.1, 2) rather than powers of ten."""
    # LogFormatter labels minor ticks only when the axis spans few decades.
    ax.yaxis.set_major_formatter(mticker.LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(mticker.LogFormatter(labelOnlyBase=False))


def bounds_of(metric: str) -> tuple[float, float] | None:
    """The possible range of a metric: accuracies in [0, 1], their differences in [-1, 1]."""
    if "accuracy" not in metric:
        return None
    return (-1.0, 1.0) if "gap" in metric or "delta" in metric else (0.0, 1.0)


def yerr(part: pd.DataFrame, bounds: tuple[float, float] | None = None) -> np.ndarray:
    """Asymmetric error bars from an interval; zero-length where there is none.

    `bounds`: the metric's possible range (`bounds_of`); a t-interval of few seeds
    may reach past it, and the bars stop there.
    """
    ci_low, ci_high = part["ci_low"], part["ci_high"]
    if bounds is not None:
        ci_low, ci_high = ci_low.clip(*bounds), ci_high.clip(*bounds)
    low = (part["mean"] - ci_low).fillna(0).to_numpy(dtype=float)
    high = (ci_high - part["mean"]).fillna(0).to_numpy(dtype=float)
    return np.vstack([low, high])


def level_sorted(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows in the order of their levels in `column` (numbers ascending, names alphabetical)."""
    order = {level: i for i, level in enumerate(ordered(df[column].astype(str)))}
    return df.iloc[np.argsort(df[column].astype(str).map(order).to_numpy(), kind="stable")]


def matches(df: pd.DataFrame, config: pd.Series | dict, keys: Sequence[str]) -> pd.Series:
    """Rows of `df` that belong to the configuration `config` (numbers compared as numbers)."""
    mask = pd.Series(True, index=df.index)
    for key in keys:
        value = config[key]
        if isinstance(value, str):
            mask &= df[key].astype(str) == value
        else:
            mask &= np.isclose(df[key].astype(float), float(value))
    return mask


# ----------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    """Which axes a figure of configurations shows how.

    ``row`` and ``col`` are facet axes (None: one row / column), ``hue`` the axes
    whose combination is the colour, ``pooled`` the axes averaged over (their runs
    pooled, as in a marginal mean).
    """

    row: str | None = None
    col: str | None = None
    hue: tuple[str, ...] = ()
    pooled: tuple[str, ...] = field(default_factory=tuple)
    importance: tuple[str, ...] = ()  # the order the facets were chosen in

    @property
    def keys(self) -> list[str]:
        """The axes a figure keeps apart (everything but the pooled ones)."""
        return [k for k in (self.row, self.col, *self.hue) if k]

    def pooled_note(self) -> str:
        """`; averaged over batch size and hidden units` or nothing."""
        if not self.pooled:
            return ""
        return "; averaged over " + " and ".join(label(a) for a in self.pooled)


def axis_importance(
    marginal_means: pd.DataFrame | None, metric: str = "final_test_accuracy"
) -> list[str]:
    """Axes by how much they move `metric` (range of their marginal means), largest first."""
    if marginal_means is None or marginal_means.empty:
        return []
    rows = marginal_means[marginal_means["metric"] == metric]
    span = rows.groupby("axis")["mean"].agg(lambda m: m.max() - m.min())
    return list(span.sort_values(ascending=False, kind="stable").index)


def choose_layout(frame: pd.DataFrame, importance: Sequence[str] = ()) -> Layout:
    """Facets for a figure of the configurations in `frame`, for 1 to 7 axes.

    Colour = the regularizers (weight decay x dropout) that vary, the story of the
    report; rows = the datasets when there are several; the remaining facets go
    to the axes that matter most (`importance`, e.g. `axis_importance`), in
    canonical order; every axis left over is pooled. Today's four-axis study
    gets activation rows, optimizer columns, regularization colours.
    """
    strata, factors = strata_and_factors(frame)
    varied = [a for a in factors if frame[a].nunique() > 1]
    hue = tuple(a for a in REGULARIZERS if a in varied)
    rank = {a: i for i, a in enumerate(importance)}
    others = sorted(
        (a for a in varied if a not in hue and frame[a].nunique() <= MAX_LEVELS),
        key=lambda a: rank.get(a, len(rank)),
    )
    slots = 1 if strata else 2
    facets = [a for a in factors if a in others[:slots]]  # canonical order
    if not hue and len(others) > slots:
        hue = (others[slots],)
    rest = tuple(a for a in varied if a not in (*facets, *hue))
    importance = tuple(importance)
    if strata:
        col = facets[0] if facets else None
        return Layout(row="dataset", col=col, hue=hue, pooled=rest, importance=importance)
    row, col = (facets + [None, None])[:2]
    return Layout(row=row, col=col, hue=hue, pooled=rest, importance=importance)


def with_setting(df: pd.DataFrame, hue: Sequence[str], column: str = "setting") -> pd.DataFrame:
    """`df` with an ordered categorical `column` naming the combination of the `hue` axes."""
    df = df.copy()
    if not hue:
        df[column] = pd.Categorical(["all"] * len(df), categories=["all"])
        return df
    combos = df[list(hue)].drop_duplicates()
    combos = combos.sort_values(list(hue), key=lambda c: c.map(_rank_of(c)))
    order = [config_label(r, hue, sep=", ") for _, r in combos.iterrows()]
    names = [config_label(r, hue, sep=", ") for r in df[list(hue)].to_dict("records")]
    df[column] = pd.Categorical(names, categories=list(dict.fromkeys(order)), ordered=True)
    return df


def _rank_of(values: pd.Series) -> dict:
    return {v: i for i, v in enumerate(ordered(values))}


def with_regularization(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with an ordered categorical `regularization` column (weight decay, then dropout)."""
    return with_setting(df, [a for a in REGULARIZERS if a in df], column="regularization")


def setting_palette(labels: Iterable[str]) -> dict[str, tuple]:
    """One colour-blind-safe colour per setting."""
    labels = list(labels)
    colours = sns.color_palette("colorblind", max(len(labels), 1))
    if len(labels) > len(colours):
        colours = sns.color_palette("husl", len(labels))
    return dict(zip(labels, colours, strict=False))


def facet_levels(frame: pd.DataFrame, axis: str | None) -> list:
    """The levels of a facet axis in order, or ``[None]`` for no facet."""
    return [None] if axis is None else ordered(frame[axis])


def facet_title(layout: Layout, row_level, col_level) -> str:
    """`relu / adam`: the panel's facet values."""
    parts = [
        config_label({a: v}, [a])
        for a, v in ((layout.row, row_level), (layout.col, col_level))
        if a is not None
    ]
    return " / ".join(parts)
