"""Figures of the study: each function takes tables and returns a matplotlib figure.

The tables are the statistics of `ablation.stats` (results/stats/*.parquet) and the
aggregated metrics; no function here computes a mean or an interval of its own:
lines and bands show the numbers of those tables. Callers save the figure with
`save_figure`, which also closes it.

One style for all figures: seaborn's whitegrid theme, the colour-blind palette,
colour = regularization setting (weight decay x dropout), line style = data split.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ablation.io import atomic_write  # noqa: E402

CONFIG_KEYS = ["activation", "optimizer", "weight_decay", "dropout"]
AXIS_LABELS = {
    "activation": "activation",
    "optimizer": "optimizer",
    "weight_decay": "weight decay",
    "dropout": "dropout",
}
METRIC_LABELS = {
    "final_test_accuracy": "final test accuracy",
    "final_test_loss": "final test loss",
    "final_gap_accuracy": "final train - test accuracy",
    "loss": "loss (cross-entropy)",
    "accuracy": "accuracy",
    "gap": "train - test accuracy",
}
SPLIT_DASHES = {"train": "", "validation": (4, 2), "test": (1, 1.5)}
DPI = 100
BAND_ALPHA = 0.18
PANEL = 2.6  # inches per facet side: 36 panels stay within a laptop screen's width at dpi 100


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


def _integer_epochs(axes: Iterable[plt.Axes]) -> None:
    """Epoch ticks at whole numbers only (a 2-epoch study would show 1.2, 1.4, ...)."""
    for ax in axes:
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))


def _plain_log_labels(ax: plt.Axes) -> None:
    """Tick labels of a log axis as plain numbers (0.05, 0.1, 2) rather than powers of ten."""
    # LogFormatter labels minor ticks only when the axis spans few decades.
    ax.yaxis.set_major_formatter(mticker.LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(mticker.LogFormatter(labelOnlyBase=False))


# ----------------------------------------------------------------------------- labels


def format_number(value: float) -> str:
    """A grid value as a short label: 0.0 -> 0, 0.0001 -> 1e-04, 0.2 -> 0.2."""
    return f"{float(value):g}"


def regularization_label(weight_decay: float, dropout: float) -> str:
    """The legend label of one regularization setting."""
    return f"wd {format_number(weight_decay)}, dropout {format_number(dropout)}"


def config_label(row: pd.Series | dict, sep: str = " / ") -> str:
    """A configuration in words, e.g. `relu / adam / wd 0 / dropout 0.2`."""
    return sep.join(
        [
            str(row["activation"]),
            str(row["optimizer"]),
            f"wd {format_number(row['weight_decay'])}",
            f"dropout {format_number(row['dropout'])}",
        ]
    )


def with_regularization(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with an ordered categorical `regularization` column (weight decay, then dropout)."""
    df = df.copy()
    pairs = sorted(
        {(float(w), float(d)) for w, d in zip(df["weight_decay"], df["dropout"], strict=True)}
    )
    order = [regularization_label(w, d) for w, d in pairs]
    labels = [
        regularization_label(w, d) for w, d in zip(df["weight_decay"], df["dropout"], strict=True)
    ]
    df["regularization"] = pd.Categorical(labels, categories=order, ordered=True)
    return df


def regularization_palette(labels: Iterable[str]) -> dict[str, tuple]:
    labels = list(labels)
    return dict(zip(labels, sns.color_palette("colorblind", len(labels)), strict=True))


def _ordered(values: Iterable) -> list:
    """Levels in one order for every figure: numbers ascending, names alphabetical."""
    unique = list(dict.fromkeys(values))
    try:
        return sorted(unique, key=float)
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def _empty_figure(message: str) -> plt.Figure:
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return fig


# ----------------------------------------------------------------------------- curves


def learning_curve_table(
    seed_summary: pd.DataFrame, gaps: pd.DataFrame, confidence: float = 0.95
) -> pd.DataFrame:
    """The seed statistics of loss and accuracy per split and milestone, in one long table.

    Rows of `seed_summary` are used as they are (``test_loss``, ``test_accuracy``
    and any ``train_*`` / ``validation_*`` it holds). Splits it does not cover are
    summarized from the per-run milestone values of `gaps` by
    `ablation.stats.seeds.describe`, the function that makes `seed_summary`, at the
    same `confidence`.

    Returns
    -------
    Columns: config keys, `split`, `epoch`, `metric` (`loss` | `accuracy`), `n`,
    `mean`, `ci_low`, `ci_high`.
    """
    from ablation.stats.seeds import describe

    columns = [*CONFIG_KEYS, "split", "epoch", "metric", "n", "mean", "ci_low", "ci_high"]
    frames = []
    given = (
        seed_summary[seed_summary["point"] == "milestone"] if len(seed_summary) else seed_summary
    )
    for split in SPLIT_DASHES:
        for metric in ("loss", "accuracy"):
            name = f"{split}_{metric}"
            rows = given[given["metric"] == name] if len(given) else given
            if len(rows) == 0 and name in gaps and gaps[name].notna().any():
                rows = describe(gaps, [*CONFIG_KEYS, "epoch"], name, confidence)
            if len(rows):
                frames.append(rows.assign(split=split, metric=metric))
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return out.astype({"epoch": float})


def learning_curves(curves: pd.DataFrame, metric: str) -> plt.Figure:
    """Mean `metric` against epoch on train, validation and test, with interval bands.

    Parameters
    ----------
    curves : one row per configuration x split x epoch with the config keys and
        `split`, `epoch`, `metric` (`loss` | `accuracy`), `mean`, `ci_low`, `ci_high`
        (seed statistics, see `learning_curve_table`; the interval may be NaN when
        there is one seed).
    metric : which metric to draw.

    Returns
    -------
    Figure with one panel per activation (rows) x optimizer (columns); colour =
    regularization, line style = split.
    """
    data = curves[curves["metric"] == metric]
    if data.empty:
        return _empty_figure(f"No {metric} measurements yet.")
    return _facet_curves(
        data,
        ylabel=METRIC_LABELS[metric],
        title=f"{metric.capitalize()} during training: mean over seeds, band = confidence interval",
    )


def accuracy_gap(seed_summary: pd.DataFrame, metric: str = "gap_accuracy_test") -> plt.Figure:
    """Train-minus-test accuracy against epoch, per configuration, with interval bands.

    Parameters
    ----------
    seed_summary : the seed statistics (`point`, `epoch`, `metric`, `mean`, `ci_low`,
        `ci_high` and the config keys); rows with `point == "milestone"` and
        `metric == metric` are drawn.
    metric : which gap to draw.

    Returns
    -------
    Figure with one panel per activation x optimizer; colour = regularization.
    """
    rows = seed_summary[(seed_summary["point"] == "milestone") & (seed_summary["metric"] == metric)]
    if rows.empty:
        return _empty_figure("No train-test gap measurements yet.")
    fig = _facet_curves(
        rows.assign(split="train", epoch=rows["epoch"].astype(float)),
        ylabel="train - test accuracy",
        title="Generalization gap (train minus test accuracy): mean over seeds, band = interval",
    )
    for ax in fig.axes:
        ax.axhline(0, color="0.3", linewidth=0.8)
    return fig


def _facet_curves(data: pd.DataFrame, ylabel: str, title: str) -> plt.Figure:
    """Lines of `mean` and bands of `ci_low`..`ci_high` against epoch, activation x optimizer."""
    apply_style()
    data = with_regularization(data)
    palette = regularization_palette(data["regularization"].cat.categories)
    splits = [s for s in SPLIT_DASHES if s in set(data["split"])]
    grid = sns.relplot(
        data=data,
        x="epoch",
        y="mean",
        hue="regularization",
        style="split",
        style_order=splits,
        dashes=SPLIT_DASHES,
        palette=palette,
        row="activation",
        col="optimizer",
        row_order=_ordered(data["activation"]),
        col_order=_ordered(data["optimizer"]),
        kind="line",
        errorbar=None,
        legend=False,
        height=PANEL,
        aspect=1.25,
        facet_kws={"margin_titles": True, "sharey": True},
    )
    grid.map_dataframe(_bands, palette=palette)
    grid.set_axis_labels("epoch", ylabel)
    grid.set_titles(row_template="{row_name}", col_template="{col_name}")
    _integer_epochs(grid.axes.flat)
    _legends_below(grid.figure, palette, splits if len(splits) > 1 else [])
    grid.figure.suptitle(title, y=1.02)
    return grid.figure


def _bands(data: pd.DataFrame, palette: dict, **_: object) -> None:
    ax = plt.gca()
    for (reg, _split), part in data.groupby(["regularization", "split"], observed=True):
        part = part.sort_values("epoch")
        if part["ci_low"].notna().any():
            ax.fill_between(
                part["epoch"],
                part["ci_low"],
                part["ci_high"],
                color=palette[reg],
                alpha=BAND_ALPHA,
                linewidth=0,
            )


def _legends_below(fig: plt.Figure, palette: dict, splits: list[str]) -> None:
    """Colour legend (regularization) and, when several splits, line-style legend."""
    colours = [Line2D([], [], color=c, linewidth=2, label=r) for r, c in palette.items()]
    x = 0.38 if splits else 0.5
    fig.legend(
        handles=colours,
        title="regularization",
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
                label=s,
            )
            for s in splits
        ]
        fig.legend(
            handles=styles,
            title="split",
            loc="upper center",
            bbox_to_anchor=(0.78, 0.0),
            ncol=len(styles),
            frameon=False,
        )


# ----------------------------------------------------------------------------- overfitting


def overfitting_panels(
    gaps: pd.DataFrame, runs: pd.DataFrame, configs: pd.DataFrame, columns: int = 6
) -> plt.Figure:
    """Train and test loss of every run, one panel per configuration, verdicts marked.

    Parameters
    ----------
    gaps : one row per run x milestone (`run_id`, config keys, `seed`, `epoch`,
        `train_loss`, `test_loss`).
    runs : one row per run with `run_id`, `onset_epoch` (NA = no onset) and `best_val_epoch`.
    configs : one row per configuration with its `verdict` and `best_val_epoch_median`.
    columns : panels per row.

    Returns
    -------
    Figure; solid = train loss, dotted = test loss, one thin line per seed;
    triangle = overfitting onset of that seed; green vertical line = median
    epoch of lowest validation loss.
    """
    if gaps.empty:
        return _empty_figure("No runs finished yet.")
    apply_style()
    keys = configs[CONFIG_KEYS].drop_duplicates()
    n = len(keys)
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
    configs = configs.sort_values(CONFIG_KEYS, ignore_index=True)
    for ax, (_, config) in zip(axes.flat, configs.iterrows(), strict=False):
        mine = gaps[_matches(gaps, config)]
        for run_id, run in mine.groupby("run_id"):
            run = run.sort_values("epoch")
            ax.plot(run["epoch"], run["train_loss"], color="C0", linewidth=1)
            ax.plot(run["epoch"], run["test_loss"], color="C3", linewidth=1, linestyle=":")
            onset = onsets.get(run_id, pd.NA)
            if pd.notna(onset):
                at = run[run["epoch"] == onset]["test_loss"]
                if len(at):
                    ax.plot([onset], at.iloc[:1], marker="v", color="C3", markersize=7)
        if pd.notna(config.get("best_val_epoch_median")):
            ax.axvline(config["best_val_epoch_median"], color="C2", linewidth=1.2)
        ax.set_title(
            f"{config_label(config, ' / ')}\n{config['verdict']}",
            fontsize="x-small",
            color=VERDICT_COLORS.get(config["verdict"], "black"),
        )
        ax.tick_params(labelsize="x-small")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("loss")
    for ax in axes[-1, :]:
        ax.set_xlabel("epoch")
    _integer_epochs(axes.flat)
    handles = [
        Line2D([], [], color="C0", label="train loss (one line per seed)"),
        Line2D([], [], color="C3", linestyle=":", label="test loss"),
        Line2D([], [], color="C3", marker="v", linestyle="", label="overfitting onset"),
        Line2D([], [], color="C2", label="median epoch of lowest validation loss"),
    ]
    fig.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, frameon=False
    )
    fig.suptitle("Train vs test loss per configuration (title: verdict over seeds)", y=1.0)
    fig.tight_layout()
    return fig


VERDICT_COLORS = {
    "overfitting": "#b2182b",
    "noisy plateau": "#d6604d",
    "underfitting": "#8c510a",
    "diverged": "#542788",
    "good fit": "#1b7837",
    "not available": "#555555",
}


def _matches(df: pd.DataFrame, config: pd.Series) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for key in CONFIG_KEYS:
        if key in ("weight_decay", "dropout"):
            mask &= np.isclose(df[key].astype(float), float(config[key]))
        else:
            mask &= df[key].astype(str) == str(config[key])
    return mask


# ----------------------------------------------------------------------------- heatmaps


def accuracy_heatmaps(leaderboard: pd.DataFrame) -> plt.Figure:
    """Mean final test accuracy, activation x optimizer, one panel per regularization.

    Parameters
    ----------
    leaderboard : one row per configuration with the config keys, `mean`, `ci_low`,
        `ci_high`, `is_best`, `indistinguishable_from_best`.

    Returns
    -------
    Figure; each cell shows the mean in percent and its interval beneath; a black
    frame marks the best configuration, a grey one those statistically
    indistinguishable from it.
    """
    if leaderboard.empty:
        return _empty_figure("No configuration finished yet.")
    apply_style()
    data = with_regularization(leaderboard)
    regs = list(data["regularization"].cat.categories)
    acts, opts = _ordered(data["activation"]), _ordered(data["optimizer"])
    vmin, vmax = np.nanmin(data["mean"]) * 100, np.nanmax(data["mean"]) * 100
    ncols = min(len(regs), 2)
    nrows = math.ceil(len(regs) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        figsize=(1.25 * len(opts) * ncols + 1.5, 0.8 * len(acts) * nrows + 0.9 * nrows),
    )
    for i, (ax, reg) in enumerate(zip(axes.flat, regs, strict=False)):
        part = data[data["regularization"] == reg].set_index(["activation", "optimizer"])
        means = part["mean"].unstack("optimizer").reindex(index=acts, columns=opts) * 100
        notes = [[_cell_note(part, a, o) for o in opts] for a in acts]
        sns.heatmap(
            means,
            ax=ax,
            annot=np.array(notes, dtype=object),
            fmt="",
            cmap="viridis",
            vmin=vmin,
            vmax=vmax,
            cbar=i == len(regs) - 1,
            linewidths=0.5,
            annot_kws={"fontsize": "x-small"},
            cbar_kws={"label": "mean test accuracy (%)"} if i == len(regs) - 1 else None,
        )
        # seaborn leaves cells without a value blank: say why
        for (y, x), missing in np.ndenumerate(means.isna().to_numpy()):
            if missing:
                ax.text(
                    x + 0.5,
                    y + 0.5,
                    notes[y][x],
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color="0.4",
                )
        _frame_best(ax, part, acts, opts)
        ax.tick_params(axis="y", labelrotation=0)
        ax.set_title(reg)
        ax.set_xlabel("optimizer")
        ax.set_ylabel("activation")
    for ax in axes.flat[len(regs) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Final test accuracy (%): mean over seeds [interval]; black frame = best, "
        "grey = indistinguishable from best",
        y=1.0,
    )
    fig.tight_layout()
    return fig


def _cell_note(part: pd.DataFrame, activation: str, optimizer: str) -> str:
    if (activation, optimizer) not in part.index:
        return "not run"
    row = part.loc[(activation, optimizer)]
    if pd.isna(row["mean"]):
        return "no value"
    text = f"{row['mean'] * 100:.2f}"
    if pd.notna(row["ci_low"]):
        text += f"\n[{row['ci_low'] * 100:.2f}, {row['ci_high'] * 100:.2f}]"
    return text


def _frame_best(ax: plt.Axes, part: pd.DataFrame, acts: list, opts: list) -> None:
    for (activation, optimizer), row in part.iterrows():
        if row.get("is_best", False):
            color, width = "black", 3
        elif row.get("indistinguishable_from_best", False):
            color, width = "0.6", 2
        else:
            continue
        y, x = acts.index(activation), opts.index(optimizer)
        ax.add_patch(plt.Rectangle((x, y), 1, 1, fill=False, edgecolor=color, linewidth=width))


# ----------------------------------------------------------------------------- factors


def factor_effects(marginal_means: pd.DataFrame, metric: str = "final_test_accuracy") -> plt.Figure:
    """Marginal mean of `metric` per level of each axis, with its interval.

    Parameters
    ----------
    marginal_means : rows of `metric`, `axis`, `level`, `mean`, `ci_low`, `ci_high`.
    metric : which metric to draw.
    """
    rows = marginal_means[marginal_means["metric"] == metric]
    if rows.empty:
        return _empty_figure("No factor effects yet.")
    apply_style()
    axes_names = [a for a in CONFIG_KEYS if a in set(rows["axis"])]
    fig, axes = plt.subplots(
        1, len(axes_names), figsize=(2.6 * len(axes_names), 3.0), sharey=True, squeeze=False
    )
    for i, (ax, name) in enumerate(zip(axes.flat, axes_names, strict=False)):
        part = _level_sorted(rows[rows["axis"] == name], "level")
        x = np.arange(len(part))
        ax.errorbar(
            x,
            part["mean"],
            yerr=_yerr(part),
            fmt="o",
            color=f"C{i}",
            capsize=4,
            markersize=6,
            linewidth=1.5,
        )
        ax.set_xticks(x, part["level"].astype(str))
        ax.set_xlim(-0.5, len(part) - 0.5)
        ax.set_xlabel(AXIS_LABELS[name])
    axes.flat[0].set_ylabel(METRIC_LABELS.get(metric, metric))
    fig.suptitle("Marginal means (averaged over the other axes and seeds) with intervals", y=1.02)
    fig.tight_layout()
    return fig


def interaction_plots(
    interactions: pd.DataFrame, metric: str = "final_test_accuracy"
) -> plt.Figure:
    """Mean `metric` for each pair of axes: x = levels of the first, colour = the second.

    Parallel lines mean the two choices act independently; crossing or diverging
    lines mean the effect of one depends on the other (an interaction).
    """
    rows = interactions[interactions["metric"] == metric]
    varied = {
        axis
        for axis in CONFIG_KEYS
        if max(
            rows.loc[rows["axis_a"] == axis, "level_a"].nunique(),
            rows.loc[rows["axis_b"] == axis, "level_b"].nunique(),
        )
        > 1
    }
    # An axis with one level has no interaction to show.
    pairs = [
        (a, b)
        for a, b in dict.fromkeys(zip(rows["axis_a"], rows["axis_b"], strict=False))
        if a in varied and b in varied
    ]
    if not pairs:
        return _empty_figure("No interactions: they need two axes with several levels each.")
    apply_style()
    ncols = min(3, len(pairs))
    nrows = math.ceil(len(pairs) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.3 * ncols, 2.8 * nrows), sharey=True, squeeze=False
    )
    for ax, (a, b) in zip(axes.flat, pairs, strict=False):
        part = rows[(rows["axis_a"] == a) & (rows["axis_b"] == b)]
        levels_a = _level_sorted(part[["level_a"]].drop_duplicates(), "level_a")["level_a"].tolist()
        levels_b = _level_sorted(part[["level_b"]].drop_duplicates(), "level_b")["level_b"].tolist()
        colors = sns.color_palette("colorblind", len(levels_b))
        width = 0.25 / max(len(levels_b) - 1, 1)
        for j, level_b in enumerate(levels_b):
            line = part[part["level_b"] == level_b].set_index("level_a").reindex(levels_a)
            x = np.arange(len(levels_a)) + (j - (len(levels_b) - 1) / 2) * width
            ax.errorbar(
                x,
                line["mean"],
                yerr=_yerr(line),
                marker="o",
                capsize=3,
                markersize=4,
                color=colors[j],
                label=str(level_b),
                linewidth=1.3,
            )
        ax.set_xticks(np.arange(len(levels_a)), [str(v) for v in levels_a])
        ax.set_xlabel(AXIS_LABELS[a])
        ax.legend(title=AXIS_LABELS[b], fontsize="x-small", title_fontsize="x-small")
    for ax in axes.flat[len(pairs) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    fig.suptitle("Two-way interactions: mean with interval for each pair of choices", y=1.0)
    fig.tight_layout()
    return fig


def _yerr(part: pd.DataFrame) -> np.ndarray:
    """Asymmetric error bars from an interval; zero-length where there is none."""
    low = (part["mean"] - part["ci_low"]).fillna(0).to_numpy(dtype=float)
    high = (part["ci_high"] - part["mean"]).fillna(0).to_numpy(dtype=float)
    return np.vstack([low, high])


def _level_sorted(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Levels in numeric order when they are all numbers, else as given."""
    order = {level: i for i, level in enumerate(_ordered(df[column].astype(str)))}
    return df.iloc[np.argsort(df[column].astype(str).map(order).to_numpy(), kind="stable")]


# ----------------------------------------------------------------------------- confusion


def confusion_matrices(confusion: pd.DataFrame, leaderboard: pd.DataFrame) -> plt.Figure:
    """Test confusion matrices (row-normalized, seeds summed) of the best and worst configuration.

    Parameters
    ----------
    confusion : per configuration: config keys, `true`, `predicted`, `count`, `rate`.
    leaderboard : ranks the configurations (`rank`, 1 = best).
    """
    ranked = leaderboard.dropna(subset=["mean"]).sort_values("rank")
    if ranked.empty or confusion.empty:
        return _empty_figure("No confusion matrices yet.")
    apply_style()
    picks = [("best", ranked.iloc[0])]
    if len(ranked) > 1:
        picks.append(("worst", ranked.iloc[-1]))
    fig, axes = plt.subplots(1, len(picks), figsize=(5.2 * len(picks), 4.6), squeeze=False)
    for ax, (name, config) in zip(axes.flat, picks, strict=False):
        part = confusion[_matches(confusion, config)]
        rates = part.pivot_table(index="true", columns="predicted", values="rate", aggfunc="first")
        sns.heatmap(
            rates * 100,
            ax=ax,
            annot=True,
            fmt=".1f",
            cmap="Blues",
            vmin=0,
            vmax=100,
            cbar=False,
            annot_kws={"fontsize": 6.5},
            square=True,
            linewidths=0.3,
        )
        ax.set_title(
            f"{name}: {config_label(config)}\nmean test accuracy {config['mean'] * 100:.2f}%",
            fontsize="small",
        )
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
    fig.suptitle("Test confusion matrices (% of each true digit, seeds summed)", y=1.0)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- cost


def accuracy_vs_time(runs: pd.DataFrame) -> plt.Figure:
    """Final test accuracy against training time, one point per run.

    Parameters
    ----------
    runs : one row per run with the config keys, `final_test_accuracy`, `train_seconds`.

    Returns
    -------
    Figure with two panels: accuracy against seconds (colour = optimizer, marker =
    activation) and the spread of training time for each level of each axis.
    """
    runs = runs.dropna(subset=["final_test_accuracy", "train_seconds"])
    if runs.empty:
        return _empty_figure("No runs finished yet.")
    apply_style()
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.1, 1], "wspace": 0.45}
    )
    data = with_regularization(runs).assign(accuracy=runs["final_test_accuracy"] * 100)
    sns.scatterplot(
        data=data,
        x="train_seconds",
        y="accuracy",
        hue="optimizer",
        style="activation",
        hue_order=_ordered(data["optimizer"]),
        style_order=_ordered(data["activation"]),
        s=45,
        alpha=0.85,
        ax=left,
    )
    left.set_xlabel("training time per run (s)")
    left.set_ylabel("final test accuracy (%)")
    left.set_title("What each run bought with its time")
    sns.move_legend(
        left, "upper center", bbox_to_anchor=(0.5, -0.16), ncol=8, fontsize="x-small", frameon=False
    )
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "axis": AXIS_LABELS[key],
                    "level": runs[key].map(
                        format_number if key in ("weight_decay", "dropout") else str
                    ),
                    "seconds": runs["train_seconds"],
                }
            )
            for key in CONFIG_KEYS
        ],
        ignore_index=True,
    )
    long["choice"] = long["axis"] + ": " + long["level"]
    sns.stripplot(
        data=long,
        y="choice",
        x="seconds",
        hue="axis",
        ax=right,
        size=4,
        alpha=0.7,
        legend=False,
        jitter=0.2,
    )
    right.set_xlabel("training time per run (s)")
    right.set_ylabel("")
    right.set_title("Training time by choice (one dot per run)")
    return fig


# ----------------------------------------------------------------------------- anomalies


def anomaly_timeline(metrics: pd.DataFrame, anomalies: pd.DataFrame) -> plt.Figure:
    """Running training loss of every run, with anomalies and divergences marked.

    Parameters
    ----------
    metrics : the tidy metrics table; the `train_running` rows (one per epoch) are drawn.
    anomalies : one row per detected anomaly (`run_id`, `epoch`, `kind`).

    Returns
    -------
    Figure, one panel per activation x optimizer, log-scale loss; markers sit on
    the run's curve at the epoch of the event (at the panel's top edge when the
    loss there is not finite).
    """
    running = metrics[metrics["split"] == "train_running"]
    if running.empty:
        return _empty_figure("No runs finished yet.")
    apply_style()
    running = with_regularization(running)
    palette = regularization_palette(running["regularization"].cat.categories)
    acts, opts = _ordered(running["activation"]), _ordered(running["optimizer"])
    fig, axes = plt.subplots(
        len(acts),
        len(opts),
        figsize=(PANEL * 1.25 * len(opts), PANEL * len(acts)),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    events = _events(running, anomalies)
    for i, act in enumerate(acts):
        for j, opt in enumerate(opts):
            ax = axes[i, j]
            mine = running[(running["activation"] == act) & (running["optimizer"] == opt)]
            for _, run in mine.groupby("run_id"):
                run = run.sort_values("epoch")
                ax.plot(
                    run["epoch"],
                    run["loss"].where(np.isfinite(run["loss"])),
                    color=palette[run["regularization"].iloc[0]],
                    linewidth=0.9,
                    alpha=0.8,
                )
            ax.set_yscale("log")
            _plain_log_labels(ax)
            ax.set_title(f"{act} / {opt}", fontsize="small")
    _draw_events(axes, acts, opts, events)
    for ax in axes[:, 0]:
        ax.set_ylabel("running train loss (log)")
    for ax in axes[-1, :]:
        ax.set_xlabel("epoch")
    _integer_epochs(axes.flat)
    handles = [Line2D([], [], color=c, label=r) for r, c in palette.items()]
    handles += [
        Line2D([], [], marker=m, color=c, linestyle="", label=k.replace("_", " "))
        for k, (m, c) in EVENT_MARKERS.items()
    ]
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=4,
        frameon=False,
        fontsize="small",
    )
    n = events["run_id"].nunique() if len(events) else 0
    fig.suptitle(f"Running training loss per run; {len(events)} events in {n} runs marked", y=1.0)
    fig.tight_layout()
    return fig


EVENT_MARKERS = {
    "diverged": ("X", "black"),
    "loss_spike": ("^", "#d62728"),
    "non_finite_loss": ("*", "#9467bd"),
    "accuracy_drop": ("v", "#ff7f0e"),
}


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
        return events.assign(activation=[], optimizer=[], y=[])
    events["epoch"] = events["epoch"].astype(float)
    loss = running[["run_id", "epoch", "loss", "activation", "optimizer"]].astype({"epoch": float})
    events = events.merge(loss, on=["run_id", "epoch"], how="left")
    # A run that stopped at divergence has no row at that epoch: use its last one.
    last = running.sort_values("epoch").groupby("run_id").last()
    for col in ("activation", "optimizer"):
        events[col] = events[col].fillna(events["run_id"].map(last[col]))
    events["y"] = events["loss"].where(np.isfinite(events["loss"].astype(float)))
    return events


def _draw_events(axes: np.ndarray, acts: list, opts: list, events: pd.DataFrame) -> None:
    for _, event in events.iterrows():
        if event["activation"] not in acts or event["optimizer"] not in opts:
            continue
        ax = axes[acts.index(event["activation"]), opts.index(event["optimizer"])]
        marker, color = EVENT_MARKERS.get(event["kind"], ("o", "black"))
        if pd.notna(event["y"]):
            ax.plot(
                [event["epoch"]],
                [event["y"]],
                marker=marker,
                color=color,
                markersize=8,
                linestyle="",
            )
        else:  # not finite: on the top edge, in axes coordinates
            ax.plot(
                [event["epoch"]],
                [0.97],
                marker=marker,
                color=color,
                markersize=9,
                linestyle="",
                transform=ax.get_xaxis_transform(),
                clip_on=False,
            )
