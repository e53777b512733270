"""What each run bought with its time: accuracy against training seconds, time by choice.

Time is each run's own CPU time (``train_cpu_seconds``, process time of its training
steps): wall time counts what else shared the core, so it ranks the machine's load,
not the choice. Runs trained before CPU time was recorded fall back to wall time,
and the axis label says which.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ablation.axes import config_keys, format_number, label, ordered
from ablation.i18n import _
from ablation.plots.style import apply_style, empty_figure, in_language


@in_language
def accuracy_vs_time(runs: pd.DataFrame) -> plt.Figure:
    """Final test accuracy against training time, one point per run.

    Parameters
    ----------
    runs : one row per run with the config keys, `final_test_accuracy`, `train_seconds`
        and (where recorded) `train_cpu_seconds`.

    Returns
    -------
    Figure with two panels: accuracy against seconds (colour = optimizer, marker =
    activation, or the two first axes that vary) and the spread of training time
    for each level of each axis.
    """
    runs, time_label = _with_cost(runs)
    runs = runs.dropna(subset=["final_test_accuracy", "cost"])
    if runs.empty:
        return empty_figure(_("No runs finished yet."))
    apply_style()
    keys = config_keys(runs)
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(12, max(3.8, 0.22 * sum(runs[k].nunique() for k in keys))),
        gridspec_kw={"width_ratios": [1.1, 1], "wspace": 0.45},
    )
    hue, style = _marks(runs, keys)
    data = runs.assign(accuracy=runs["final_test_accuracy"] * 100)
    sns.scatterplot(
        data=data, x="cost", y="accuracy", hue=hue, style=style,
        hue_order=ordered(data[hue]) if hue else None,
        style_order=ordered(data[style]) if style else None, s=45, alpha=0.85, ax=left,
    )  # fmt: skip
    left.set_xlabel(time_label)
    left.set_ylabel(_("final test accuracy (%)"))
    left.set_title(_("What each run bought with its time"))
    _name_marks(left, (hue, style))
    if left.get_legend() is not None:
        sns.move_legend(
            left, "upper center", bbox_to_anchor=(0.5, -0.16), ncol=8, fontsize="x-small",
            frameon=False,
        )  # fmt: skip
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "axis": label(key),
                    "level": runs[key].map(format_number),
                    "seconds": runs["cost"],
                }
            )
            for key in keys
        ],
        ignore_index=True,
    )
    long["choice"] = long["axis"] + ": " + long["level"]
    sns.stripplot(data=long, y="choice", x="seconds", hue="axis", ax=right, size=4, alpha=0.7,
                  legend=False, jitter=0.2)  # fmt: skip
    right.set_xlabel(time_label)
    right.set_ylabel("")
    right.set_title(_("Training time by choice (one dot per run)"))
    return fig


def _with_cost(runs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Runs with a ``cost`` column: CPU seconds where every run has them, else wall seconds;
    and the label of the time axis, which says which."""
    cpu = runs.get("train_cpu_seconds")
    if cpu is not None and len(runs) and cpu.notna().all():
        return runs.assign(cost=cpu), _("training CPU time per run (s)")
    return runs.assign(cost=runs["train_seconds"]), _("training wall time per run (s)")


def _name_marks(ax, keys: tuple[str | None, ...]) -> None:
    """The legend's headings (seaborn writes the column names) as the axes' names."""
    legend = ax.get_legend()
    names = {key: label(key) for key in keys if key}
    for text in legend.get_texts() if legend is not None else []:
        if text.get_text() in names:
            text.set_text(names[text.get_text()])


def _marks(runs: pd.DataFrame, keys: list[str]) -> tuple[str | None, str | None]:
    """Colour and marker axes: optimizer and activation when they vary, else the first two."""
    varied = [k for k in keys if runs[k].nunique() > 1]
    preferred = [k for k in ("optimizer", "activation") if k in varied]
    rest = [k for k in varied if k not in preferred]
    hue, style = ([*preferred, *rest] + [None, None])[:2]
    return hue, style
