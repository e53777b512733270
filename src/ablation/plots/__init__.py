"""Figures of the study: each function takes tables and returns a matplotlib figure.

The tables are the statistics of `ablation.stats` (results/stats/*.parquet) and the
aggregated metrics; lines and bands show the numbers of those tables. Callers save
the figure with `save_figure`, which also closes it. One module per section of the
report; `ablation.plots.style` holds the look and the choice of facets for any axes.
"""

from ablation.plots.anomalies import anomaly_timeline
from ablation.plots.confusion import confusion_matrices
from ablation.plots.cost import accuracy_vs_time
from ablation.plots.curves import accuracy_gap, learning_curve_table, learning_curves
from ablation.plots.datasets import datasize_plot, paired_effects_plot, transfer_plot
from ablation.plots.grids import accuracy_heatmaps, factor_effects, interaction_plots
from ablation.plots.overfitting import overfitting_panels
from ablation.plots.style import (
    METRIC_LABELS,
    Layout,
    apply_style,
    axis_importance,
    choose_layout,
    figure_bytes,
    save_figure,
    with_regularization,
)

__all__ = [
    "METRIC_LABELS",
    "Layout",
    "accuracy_gap",
    "accuracy_heatmaps",
    "accuracy_vs_time",
    "anomaly_timeline",
    "apply_style",
    "axis_importance",
    "choose_layout",
    "confusion_matrices",
    "datasize_plot",
    "factor_effects",
    "figure_bytes",
    "interaction_plots",
    "learning_curve_table",
    "learning_curves",
    "overfitting_panels",
    "paired_effects_plot",
    "save_figure",
    "transfer_plot",
    "with_regularization",
]
