"""The figures of the report: file name, section, title and alt text of each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FigureInfo:
    """One figure: where it goes in the report and how a screen reader describes it."""

    section: str
    title: str
    alt: str


FIGURES: dict[str, FigureInfo] = {
    "accuracy_heatmap": FigureInfo(
        "leaderboard",
        "Test accuracy of every configuration",
        "Heatmaps of mean final test accuracy, activation by optimizer, one panel per "
        "regularization setting, each cell annotated with its mean and confidence interval",
    ),
    "factor_effects": FigureInfo(
        "factors",
        "Marginal means",
        "Mean final test accuracy with confidence intervals for each level of activation, "
        "optimizer, weight decay and dropout",
    ),
    "interaction_plots": FigureInfo(
        "factors",
        "Interactions",
        "Interaction plots: mean final test accuracy for every pair of choices, one line per "
        "level of the second choice",
    ),
    "accuracy_vs_time": FigureInfo(
        "cost",
        "Accuracy against training time",
        "Scatter plot of final test accuracy against training seconds, one point per run, "
        "and training time by choice",
    ),
    "overfitting_panels": FigureInfo(
        "overfitting",
        "Train and test loss per configuration",
        "One panel per configuration with train and test loss of each seed against epoch, "
        "overfitting onsets and the epoch of lowest validation loss marked",
    ),
    "accuracy_gap": FigureInfo(
        "overfitting",
        "Train minus test accuracy",
        "Train minus test accuracy against epoch with confidence bands, by activation and "
        "optimizer, one colour per regularization setting",
    ),
    "learning_curves_loss": FigureInfo(
        "learning-curves",
        "Loss",
        "Mean loss against epoch on train, validation and test with confidence bands, by "
        "activation and optimizer, one colour per regularization setting",
    ),
    "learning_curves_accuracy": FigureInfo(
        "learning-curves",
        "Accuracy",
        "Mean accuracy against epoch on train, validation and test with confidence bands, by "
        "activation and optimizer, one colour per regularization setting",
    ),
    "anomaly_timeline": FigureInfo(
        "anomalies",
        "Running training loss with anomalies marked",
        "Running training loss of every run against epoch on a log scale, with loss spikes, "
        "non-finite losses, accuracy drops and divergences marked where they happen",
    ),
    "confusion_matrices": FigureInfo(
        "confusion",
        "Confusion matrices",
        "Row-normalized test confusion matrices of the best and the worst configuration",
    ),
    "paired_changes": FigureInfo(
        "paired",
        "One change at a time",
        "Mean paired change in final test accuracy and in the train-test gap, in percentage "
        "points with confidence intervals, for each level of each choice against its baseline",
    ),
    "datasize": FigureInfo(
        "more-data",
        "More data against regularization",
        "Final test accuracy and train-test gap against the number of training images on a log "
        "scale, one line per regularization setting, with confidence intervals",
    ),
    "transfer": FigureInfo(
        "transfer",
        "Ranks on one dataset against another",
        "Scatter plot of each configuration's rank on one dataset against its rank on another, "
        "with Kendall's tau and its bootstrap interval in the title",
    ),
}
