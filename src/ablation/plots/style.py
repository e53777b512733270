"""The one look of every figure, and how figures of any axes choose their facets.

Seaborn's whitegrid theme and colour-blind palette; line style = data split.
Which axes become panel rows, panel columns and colours is chosen once, by
`choose_layout`, from the axes the study varies and how much each matters.
Every text is in the active language (`ablation.i18n`), numbers as it writes them:
the figure functions are wrapped in `in_language`, which also fixes the language of
their tick labels (matplotlib writes those only when the figure is saved).
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ablation import i18n  # noqa: E402
from ablation.axes import config_label, label, ordered, strata_and_factors  # noqa: E402
from ablation.i18n import N_, _  # noqa: E402
from ablation.io import atomic_write  # noqa: E402

METRIC_LABELS = {
    "final_test_accuracy": N_("final test accuracy"),
    "final_test_loss": N_("final test loss"),
    "final_gap_accuracy": N_("final train - test accuracy"),
    "loss": N_("loss (cross-entropy)"),
    "accuracy": N_("accuracy"),
    "gap": N_("train - test accuracy"),
}
SPLIT_DASHES = {"train": "", "validation": (4, 2), "test": (1, 1.5)}
SPLIT_NAMES = {"train": N_("train"), "validation": N_("validation"), "test": N_("test")}
ALL = "all"  # the setting of every run when no axis is a colour
FONT = "DejaVu Sans"  # ships with matplotlib and draws Cyrillic: the same look in every language
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
        font=FONT,
        font_scale=0.85,
        rc={"figure.dpi": DPI, "savefig.dpi": DPI, "axes.titlesize": "medium"},
    )


def metric_label(metric: str) -> str:
    """The axis label of a metric in the active language (the metric's name if it has none)."""
    return _(METRIC_LABELS[metric]) if metric in METRIC_LABELS else metric


def split_name(split: str) -> str:
    """`train`, `validation`, `test` as a legend shows them."""
    return _(SPLIT_NAMES[split]) if split in SPLIT_NAMES else split


def setting_name(setting: str) -> str:
    """A colour setting as a legend shows it (`ALL`: every run, when no axis is a colour)."""
    return _("all") if setting == ALL else setting


def joined(names: Iterable[str]) -> str:
    """`batch size and hidden units` (`a, b and c`), in the active language."""
    names = list(names)
    return ", ".join(names[:-1]) + _(" and ") + names[-1] if len(names) > 1 else "".join(names)


def in_language(draw: Callable[..., plt.Figure]) -> Callable[..., plt.Figure]:
    """A figure function whose tick numbers read as the active language writes them."""

    @functools.wraps(draw)
    def drawn(*args, **kwargs) -> plt.Figure:
        fig = draw(*args, **kwargs)
        localize_ticks(fig)
        return fig

    return drawn


NUMERIC_FORMATTERS = (mticker.ScalarFormatter, mticker.LogFormatter, mticker.PercentFormatter)
NUMBER = re.compile(r"\d[\d.,]*\d|\d")


class LocalizedFormatter(mticker.Formatter):
    """The labels of a numeric tick formatter with their numbers as `language` writes them.

    The language is the one active when the figure was drawn: tick labels are made when
    the figure is saved, which may be outside `ablation.i18n.use`.
    """

    def __init__(self, inner: mticker.Formatter, language: str):
        self.inner, self.language = inner, language

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        self.inner.set_locs(locs)

    def localize(self, text: str) -> str:
        with i18n.use(self.language):
            return NUMBER.sub(lambda m: i18n.number(m.group()), text)

    def __call__(self, x, pos=None) -> str:
        return self.localize(self.inner(x, pos))

    def format_ticks(self, values) -> list[str]:
        return [self.localize(t) for t in self.inner.format_ticks(values)]

    def get_offset(self) -> str:
        return self.localize(self.inner.get_offset())

    def format_data_short(self, value) -> str:
        return self.localize(self.inner.format_data_short(value))


def localize_ticks(fig: plt.Figure) -> None:
    """Numeric tick labels (not the levels of a category) in the active language."""
    language = i18n.current()
    if language == i18n.SOURCE:
        return
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            # shared axes share their formatters: each is wrapped once
            if isinstance(axis.get_major_formatter(), NUMERIC_FORMATTERS):
                axis.set_major_formatter(LocalizedFormatter(axis.get_major_formatter(), language))
            if isinstance(axis.get_minor_formatter(), NUMERIC_FORMATTERS):
                axis.set_minor_formatter(LocalizedFormatter(axis.get_minor_formatter(), language))


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
    symbol = " " + _("pp") if points else i18n.percent_sign()
    for ax in axes:
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, symbol=symbol))


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
        return _("; averaged over {axes}").format(axes=joined(label(a) for a in self.pooled))


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
        df[column] = pd.Categorical([ALL] * len(df), categories=[ALL])
        return df
    combos = df[list(hue)].drop_duplicates()
    combos = combos.sort_values(list(hue), key=lambda c: c.map(_rank_of(c)))
    order = [config_label(r, hue, sep=", ") for _row, r in combos.iterrows()]
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
