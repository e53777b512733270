"""The figures of the report: file name, section, title and alt text of each."""

from __future__ import annotations

from dataclasses import dataclass

from ablation.i18n import N_


@dataclass(frozen=True)
class FigureInfo:
    """One figure: where it goes in the report and how a screen reader describes it."""

    section: str
    title: str  # in English, translated where shown
    alt: str


SECTION_NAMES = {
    "leaderboard": N_("Leaderboard"),
    "factors": N_("Factor effects"),
    "cost": N_("Cost"),
    "overfitting": N_("Overfitting"),
    "learning-curves": N_("Learning curves"),
    "anomalies": N_("Anomalies"),
    "confusion": N_("Confusion"),
    "paired": N_("One change at a time"),
    "more-data": N_("More data"),
    "transfer": N_("Transfer"),
}


FIGURES: dict[str, FigureInfo] = {
    "accuracy_heatmap": FigureInfo(
        "leaderboard",
        N_("Test accuracy of every configuration"),
        N_(
            "Heatmaps of mean final test accuracy, activation by optimizer, one panel per "
            "regularization setting, each cell annotated with its mean and confidence interval"
        ),
    ),
    "factor_effects": FigureInfo(
        "factors",
        N_("Marginal means"),
        N_(
            "Mean final test accuracy with confidence intervals for each level of activation, "
            "optimizer, weight decay and dropout"
        ),
    ),
    "interaction_plots": FigureInfo(
        "factors",
        N_("Interactions"),
        N_(
            "Interaction plots: mean final test accuracy for every pair of choices, one line per "
            "level of the second choice"
        ),
    ),
    "accuracy_vs_time": FigureInfo(
        "cost",
        N_("Accuracy against training time"),
        N_(
            "Scatter plot of final test accuracy against training seconds, one point per run, "
            "and training time by choice"
        ),
    ),
    "overfitting_panels": FigureInfo(
        "overfitting",
        N_("Train and test loss per configuration"),
        N_(
            "One panel per configuration with train and test loss of each seed against epoch, "
            "overfitting onsets and the epoch of lowest validation loss marked"
        ),
    ),
    "accuracy_gap": FigureInfo(
        "overfitting",
        N_("Train minus test accuracy"),
        N_(
            "Train minus test accuracy against epoch with confidence bands, by activation and "
            "optimizer, one colour per regularization setting"
        ),
    ),
    "learning_curves_loss": FigureInfo(
        "learning-curves",
        N_("Loss"),
        N_(
            "Mean loss against epoch on train, validation and test with confidence bands, by "
            "activation and optimizer, one colour per regularization setting"
        ),
    ),
    "learning_curves_accuracy": FigureInfo(
        "learning-curves",
        N_("Accuracy"),
        N_(
            "Mean accuracy against epoch on train, validation and test with confidence bands, by "
            "activation and optimizer, one colour per regularization setting"
        ),
    ),
    "anomaly_timeline": FigureInfo(
        "anomalies",
        N_("Running training loss with anomalies marked"),
        N_(
            "Running training loss of every run against epoch on a log scale, with loss spikes, "
            "non-finite losses, accuracy drops and divergences marked where they happen"
        ),
    ),
    "confusion_matrices": FigureInfo(
        "confusion",
        N_("Confusion matrices"),
        N_("Row-normalized test confusion matrices of the best and the worst configuration"),
    ),
    "paired_changes": FigureInfo(
        "paired",
        N_("One change at a time"),
        N_(
            "Mean paired change in final test accuracy and in the train-test gap, in percentage "
            "points with confidence intervals, for each level of each choice against its baseline"
        ),
    ),
    "datasize": FigureInfo(
        "more-data",
        N_("More data against regularization"),
        N_(
            "Final test accuracy and train-test gap against the number of training images on a log "
            "scale, one line per regularization setting, with confidence intervals"
        ),
    ),
    "transfer": FigureInfo(
        "transfer",
        N_("Ranks on one dataset against another"),
        N_(
            "Scatter plot of each configuration's rank on one dataset against its rank on another, "
            "with Kendall's tau and its interval in the title"
        ),
    ),
}


def snakemake_report_labels(name: str, language: str) -> dict[str, str]:
    """Category and subcategory of figure `name` in ``snakemake --report``, in `language`."""
    from ablation import i18n

    with i18n.use(language):
        section = SECTION_NAMES[FIGURES[name].section]
        return {"category": i18n._("Figures"), "subcategory": i18n._(section)}


def snakemake_table_category(language: str) -> str:
    """The category of tables in ``snakemake --report``, in `language`."""
    from ablation import i18n

    with i18n.use(language):
        return i18n._("Tables")
