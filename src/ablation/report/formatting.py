"""How numbers read in the report: percentages, intervals, p-values, durations."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ablation.axes import class_label, format_number
from ablation.i18n import _, percent, percent_sign
from ablation.i18n import number as localized
from ablation.report.words import word

DASH = "\u2013"  # en dash, for ranges
MISSING = "\u2014"  # em dash, for values that do not exist


def is_missing(value: Any) -> bool:
    """True for None, NA and NaN (and non-finite floats)."""
    if value is None or value is pd.NA:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def pct(value: Any, digits: int = 2) -> str:
    """A fraction as a percentage: 0.98123 -> `98.12%`."""
    return MISSING if is_missing(value) else percent(f"{float(value) * 100:.{digits}f}")


def points(value: Any, digits: int = 2, sign: bool = True) -> str:
    """A difference of fractions in percentage points: 0.0123 -> `+1.23 pp`."""
    if is_missing(value):
        return MISSING
    text = f"{float(value) * 100:{'+' if sign else ''}.{digits}f}"
    return _("{value} pp").format(value=localized(text))


def clip_share(low: Any, high: Any) -> tuple[float, float]:
    """An interval of a fraction clipped to the possible range [0, 1].

    With few seeds a t-interval of an accuracy can reach below 0 or above 1; the
    statistics tables keep it as computed, the report shows only what is possible.
    """
    return min(max(float(low), 0.0), 1.0), min(max(float(high), 0.0), 1.0)


def clip_change(low: Any, high: Any) -> tuple[float, float]:
    """An interval of a difference of fractions clipped to the possible [-1, 1] (±100 pp)."""
    return min(max(float(low), -1.0), 1.0), min(max(float(high), -1.0), 1.0)


def points_interval(low: Any, high: Any) -> str:
    """An interval of differences of fractions, `-0.12 pp to +0.30 pp`, clipped to ±100 pp."""
    if is_missing(low) or is_missing(high):
        return MISSING
    low, high = clip_change(low, high)
    return _("{low} to {high}").format(low=points(low), high=points(high))


def interval(
    low: Any,
    high: Any,
    scale: float = 100.0,
    digits: int = 2,
    unit: str = "%",
    share: bool = True,
) -> str:
    """An interval as `[97.80, 98.10]%`; a dash when there is none (one seed).

    `share` marks a fraction (an accuracy), clipped to [0, 1] (`clip_share`);
    pass False for quantities without that bound, such as losses.
    """
    if is_missing(low) or is_missing(high):
        return MISSING
    low, high = clip_share(low, high) if share else (float(low), float(high))
    return _interval(f"{low * scale:.{digits}f}", f"{high * scale:.{digits}f}", unit)


def _interval(low: str, high: str, unit: str) -> str:
    """`[low, high]unit` in the active language: in Russian the bounds are separated by a
    semicolon, since the comma is their decimal mark."""
    text = _("[{low}, {high}]").format(low=localized(low), high=localized(high))
    return text + (percent_sign() if unit == "%" else unit)


def number(value: Any, digits: int = 3) -> str:
    """A plain number with `digits` significant digits."""
    return MISSING if is_missing(value) else localized(f"{float(value):.{digits}g}")


def fixed(value: Any, digits: int = 3) -> str:
    """A plain number with `digits` decimals."""
    return MISSING if is_missing(value) else localized(f"{float(value):.{digits}f}")


def integer(value: Any) -> str:
    return MISSING if is_missing(value) else str(int(value))


def p_value(value: Any) -> str:
    """A p-value: three decimals, `< 0.001` below that."""
    if is_missing(value):
        return MISSING
    value = float(value)
    return localized("< 0.001" if value < 0.001 else f"{value:.3f}")


def seconds(value: Any) -> str:
    """A duration: `0.04 s`, `12.3 s`, `4.2 min`, `1.5 h`."""
    if is_missing(value):
        return MISSING
    value = float(value)
    if value < 1:
        return _("{value} s").format(value=localized(f"{value:.2f}"))
    if value < 120:
        return _("{value} s").format(value=localized(f"{value:.1f}"))
    if value < 7200:
        return _("{value} min").format(value=localized(f"{value / 60:.1f}"))
    return _("{value} h").format(value=localized(f"{value / 3600:.2f}"))


def grid_value(value: Any) -> str:
    """A grid value as the report shows it (`ablation.axes.format_number`); a dash if missing."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return MISSING
    return format_number(value)


def _share(metric: str) -> bool:
    """Metrics that are fractions (accuracies, gaps of accuracy, the share that overfits)."""
    return "accuracy" in metric or metric == "overfits"


def metric_value(value: Any, metric: str) -> str:
    """A value in its metric's unit: accuracies in %, epochs whole, losses with 4 decimals."""
    if _share(metric):
        return pct(value)
    return number(value, 3) if "epoch" in metric else fixed(value, 4)


def metric_change(value: Any, metric: str) -> str:
    """A difference in its metric's unit: accuracies in percentage points."""
    if _share(metric):
        return points(value)
    if is_missing(value):
        return MISSING
    if "epoch" in metric:
        return _("{value} epochs").format(value=localized(f"{float(value):+.1f}"))
    return localized(f"{float(value):+.4f}")


def metric_interval(low: Any, high: Any, metric: str) -> str:
    """An interval of differences in its metric's unit (`[-0.12, +0.30] pp`)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    if _share(metric):
        low, high = clip_change(low, high)
        return _interval(f"{low * 100:+.2f}", f"{high * 100:+.2f}", " " + _("pp"))
    digits = 1 if "epoch" in metric else 4
    return _interval(f"{float(low):+.{digits}f}", f"{float(high):+.{digits}f}", "")


def seed_count(value: Any) -> str:
    """Seeds needed: a whole number, or `> N` when beyond what was planned."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if math.isinf(float(value)):
        return _("too many")
    return str(int(value))


def seed_range(row: Any) -> str:
    """Seeds needed over the sd's interval, `4-19`; the single figure on older boards."""
    low, high = row.get("seeds_needed_low"), row.get("seeds_needed_high")
    if is_missing(low) or is_missing(high):
        return seed_count(row.get("seeds_needed"))
    low, high = seed_count(low), seed_count(high)
    return low if low == high else f"{low}–{high}"


def probability(value: Any, low: Any, high: Any) -> str:
    """A probability with its interval: `67% [9%, 99%]`; a dash when there is none."""
    if is_missing(value):
        return MISSING
    if is_missing(low) or is_missing(high):
        return pct(value, 0)
    bounds = _("[{low}, {high}]").format(low=pct(low, 0), high=pct(high, 0))
    return f"{pct(value, 0)} {bounds}"


def sort_key(value: Any) -> str:
    """The `data-sort` attribute of a table cell: numbers as numbers, missing last."""
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(float(value))
    return str(value)


FILTERS = {
    "pct": pct,
    "points": points,
    "points_interval": points_interval,
    "interval": interval,
    "number": number,
    "fixed": fixed,
    "integer": integer,
    "p_value": p_value,
    "seconds": seconds,
    "grid_value": grid_value,
    "sort_key": sort_key,
    "metric_value": metric_value,
    "metric_change": metric_change,
    "metric_interval": metric_interval,
    "seed_count": seed_count,
    "seed_range": seed_range,
    "probability": probability,
    "word": word,
    "class_label": class_label,
}
