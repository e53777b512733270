"""The analysis and figure steps of a study, wired once.

Each step reads named tables, takes some settings of the config's ``analysis:`` section
and makes named tables or figures (their files: `ablation.layout.table_path`,
`figure_path`). The workflow runs each step as the rule of the same name
(``workflow/rules/analyze.smk``, ``plots.smk``: their inputs, outputs and params come from
here; `run_rule` is their job); the partial report (`ablation.report.build`) runs them all,
in this order, in one process.

Importing this module loads no statistics or plotting library: the Snakefile imports it
while it parses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ablation.layout import figure_path, table_path

Tables = Mapping[str, Any]  # name -> DataFrame
Made = dict[str, Any]  # name -> DataFrame (analysis) or matplotlib Figure (plot)

# pyplot is not thread-safe: steps run as jobs in threads of one process draw one at a time.
DRAWING = threading.Lock()
# Tables also written as CSV, for reading without Python.
CSV_TABLES = frozenset({
    "overfitting", "overfitting_configs", "seed_summary", "leaderboard",
    "leaderboard_early_stopping", "anova", "marginal_means", "interactions",
    "regularization_effects", "paired_effects", "interaction_strength", "datasize_curve",
    "datasize_worth", "rank_agreement", "transfer_findings", "anomalies", "confused_pairs",
})  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One analysis or figure step: the rule `name` runs it on its own."""

    name: str  # analyze_* makes tables, plot_* makes figures
    reads: tuple[str, ...]
    settings: tuple[str, ...]  # keys of the config's analysis: section it depends on
    makes: tuple[str, ...]
    compute: Callable[[Tables, Mapping[str, Any]], Made]

    @property
    def draws(self) -> bool:
        return self.name.startswith("plot_")

    def run(self, tables: Tables, settings: Mapping[str, Any]) -> Made:
        """What the step makes from `tables`, by name (exactly `makes`)."""
        if self.draws:
            import numpy as np

            # seaborn's strip-plot jitter draws from numpy's global generator: a fixed state
            # makes a figure the same bytes whether a rule or the partial report draws it.
            np.random.seed(0)  # noqa: NPY002 (the generator seaborn uses)
            from ablation import i18n

            with i18n.use(settings.get("language", i18n.SOURCE)):
                made = self.compute({name: tables[name] for name in self.reads}, settings)
        else:
            made = self.compute({name: tables[name] for name in self.reads}, settings)
        assert set(made) == set(self.makes), (self.name, sorted(made))
        return made


def settings_of(step: Step, study: Mapping[str, Any]) -> dict[str, Any]:
    """The settings `step` uses, from a validated study config: its keys of ``analysis:``,
    and for a figure the report's language (so a new language redraws the figures and
    reruns no analysis)."""
    values = {key: study["analysis"][key] for key in step.settings}
    if step.draws:
        values["language"] = study["report"]["language"]
    return values


def output_path(step: Step, name: str) -> str:
    return figure_path(name) if step.draws else table_path(name)


def step(name: str) -> Step:
    return next(s for s in STEPS if s.name == name)


def run_rule(
    name: str,
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    settings: Mapping[str, Any],
    log_file: str,
) -> None:
    """The job of rule `name`: its step on the tables of `inputs`, into `outputs` (by
    name; Snakemake's named lists will do, as will `settings`, the rule's params).

    Snakemake runs these jobs in threads of its own process (the profiles set
    force-use-threads), so the libraries are imported once, not once a job.
    """
    import pandas as pd

    from ablation import logs
    from ablation.metrics import read_metrics, write_frame

    this = step(name)
    inputs, outputs, settings = dict(inputs.items()), dict(outputs.items()), dict(settings.items())
    with logs.thread_log(log_file) as log:
        tables = {
            table: read_metrics(path) if table == "metrics" else pd.read_parquet(path)
            for table, path in inputs.items()
        }
        if this.draws:
            from ablation.plots import save_figure

            with DRAWING:
                for figure, value in this.run(tables, settings).items():
                    save_figure(value, outputs[figure])
        else:
            for table, value in this.run(tables, settings).items():
                write_frame(value, outputs[table], csv=table in CSV_TABLES)
        log.info("%s: made %s", name, ", ".join(this.makes))


def run_all(
    tables: Tables,
    settings: Mapping[str, Any],
    draw: bool = True,
    seconds: dict[str, float] | None = None,
) -> Made:
    """Every step in order, from the aggregated tables: all tables and figures by name.

    `draw`: False runs the analysis steps only. `seconds`: filled with each step's time.
    """
    made: Made = dict(tables)
    for s in STEPS:
        if s.draws and not draw:
            continue
        started = time.perf_counter()
        made.update(s.run(made, settings))
        if seconds is not None:
            seconds[s.name] = time.perf_counter() - started
    return made


# ---------------------------------------------------------------------------- analysis


def _overfitting(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation.stats import config_overfitting, milestone_gaps, run_overfitting

    gaps = milestone_gaps(t["metrics"])
    per_run = run_overfitting(
        t["metrics"], t["runs"], gaps, s["onset_tolerance"], s["underfit_train_accuracy"],
        s["underfit_margin"],
    )  # fmt: skip
    configs = config_overfitting(per_run)
    return {"gaps": gaps, "overfitting": per_run, "overfitting_configs": configs}


def _seeds(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation.stats import seed_summary

    return {"seed_summary": seed_summary(t["gaps"], t["overfitting"], s["confidence"])}


def _leaderboard(t: Tables, s: Mapping[str, Any]) -> Made:
    """Two views: the final epoch, and each run's best-validation epoch (early stopping)."""
    from ablation.stats import leaderboard

    settings = {
        "confidence": s["confidence"],
        "alpha": s["alpha"],
        "equivalence_margin": s["equivalence_margin"],
    }
    return {
        "leaderboard": leaderboard(t["overfitting"], **settings),
        "leaderboard_early_stopping": leaderboard(
            t["overfitting"], **settings, view="early_stopping"
        ),
    }


def _anova(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation.stats import anova_table

    return {"anova": anova_table(t["overfitting"])}


def _factors(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation.stats import interactions, marginal_means

    return {
        "marginal_means": marginal_means(t["overfitting"], s["confidence"]),
        "interactions": interactions(t["overfitting"], s["confidence"]),
    }


def _regularization(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation.stats import regularization_effects, regularization_pairs

    pairs = regularization_pairs(t["overfitting"], t["paired_runs"])
    effects = regularization_effects(pairs, s["confidence"])
    return {"regularization_pairs": pairs, "regularization_effects": effects}


def _axes(t: Tables, s: Mapping[str, Any]) -> Made:
    """Paired effects of every axis against its first level, interaction strength, more
    data (when train_size varies), transfer (when dataset does)."""
    from ablation.stats.datasize import datasize_curve, datasize_worth
    from ablation.stats.factors import interaction_strength
    from ablation.stats.paired import paired_effects, paired_runs
    from ablation.stats.transfer import rank_agreement, transfer_findings

    per_run, confidence = t["overfitting"], s["confidence"]
    pairs = paired_runs(per_run)
    effects = paired_effects(pairs, confidence)
    return {
        "paired_runs": pairs,
        "paired_effects": effects,
        "interaction_strength": interaction_strength(t["interactions"]),
        "datasize_curve": datasize_curve(per_run, confidence),
        "datasize_worth": datasize_worth(effects),
        "rank_agreement": rank_agreement(per_run, confidence=confidence),
        "transfer_findings": transfer_findings(t["marginal_means"], effects, s["alpha"]),
    }


def _anomalies(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation.stats import find_anomalies

    found = find_anomalies(
        t["metrics"], s["spike_window"], s["spike_threshold"], s["spike_min_rise"],
        s["accuracy_drop"],
    )  # fmt: skip
    return {"anomalies": found}


def _confusion(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation.stats import confused_pairs, confusion_by_config, run_table

    by_config = confusion_by_config(t["confusion"], run_table(t["metrics"]))
    pairs = confused_pairs(by_config, s["top_confused_pairs"])
    return {"confusion_by_config": by_config, "confused_pairs": pairs}


# ---------------------------------------------------------------------------- figures


def layout_of(tables: Tables):
    """The facets of every figure of configurations: the axes that matter most, from the
    per-run table and the marginal means."""
    from ablation import plots

    importance = plots.axis_importance(tables["marginal_means"])
    return plots.choose_layout(tables["overfitting"], importance)


LAYOUT = ("overfitting", "marginal_means")  # what `layout_of` reads


def _learning_curves(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation import plots

    layout = layout_of(t)
    curves = plots.learning_curve_table(t["seed_summary"], t["gaps"], s["confidence"], layout)
    return {
        "learning_curves_loss": plots.learning_curves(curves, "loss", layout),
        "learning_curves_accuracy": plots.learning_curves(curves, "accuracy", layout),
    }


def _overfitting_figures(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation import plots

    panels = plots.overfitting_panels(t["gaps"], t["overfitting"], t["overfitting_configs"])
    gap = plots.accuracy_gap(
        t["seed_summary"], layout=layout_of(t), gaps=t["gaps"], confidence=s["confidence"]
    )
    return {"overfitting_panels": panels, "accuracy_gap": gap}


def _heatmap(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation import plots

    return {"accuracy_heatmap": plots.accuracy_heatmaps(t["leaderboard"], layout_of(t))}


def _factor_figures(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation import plots

    strength = t["interaction_strength"]
    return {
        "factor_effects": plots.factor_effects(t["marginal_means"]),
        "interaction_plots": plots.interaction_plots(t["interactions"], strength=strength),
    }


def _confusion_figure(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation import plots

    matrices = plots.confusion_matrices(t["confusion_by_config"], t["leaderboard"])
    return {"confusion_matrices": matrices}


def _cost(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation import plots

    return {"accuracy_vs_time": plots.accuracy_vs_time(t["runs"])}


def _anomaly_figure(t: Tables, s: Mapping[str, Any]) -> Made:
    from ablation import plots

    timeline = plots.anomaly_timeline(t["metrics"], t["anomalies"], layout_of(t))
    return {"anomaly_timeline": timeline}


def _axes_figures(t: Tables, s: Mapping[str, Any]) -> Made:
    """Paired effects, more data, transfer; a short note in place of a figure whose study
    lacks what it shows."""
    from ablation.report.axes_sections import AXES_FIGURES

    return {name: make(t, s["confidence"]) for name, make in AXES_FIGURES.items()}


SPIKES = ("spike_window", "spike_threshold", "spike_min_rise", "accuracy_drop")
# In dependency order: each step reads only aggregates and what steps above it make.
STEPS: tuple[Step, ...] = (
    Step("analyze_overfitting", ("metrics", "runs"),
         ("onset_tolerance", "underfit_train_accuracy", "underfit_margin"),
         ("gaps", "overfitting", "overfitting_configs"), _overfitting),
    Step("analyze_seeds", ("gaps", "overfitting"), ("confidence",), ("seed_summary",), _seeds),
    Step("analyze_leaderboard", ("overfitting",), ("confidence", "alpha", "equivalence_margin"),
         ("leaderboard", "leaderboard_early_stopping"), _leaderboard),
    Step("analyze_anova", ("overfitting",), (), ("anova",), _anova),
    Step("analyze_factors", ("overfitting",), ("confidence",),
         ("marginal_means", "interactions"), _factors),
    Step("analyze_axes", ("overfitting", "marginal_means", "interactions"),
         ("confidence", "alpha"),
         ("paired_runs", "paired_effects", "interaction_strength", "datasize_curve",
          "datasize_worth", "rank_agreement", "transfer_findings"), _axes),
    Step("analyze_regularization", ("overfitting", "paired_runs"), ("confidence",),
         ("regularization_pairs", "regularization_effects"), _regularization),
    Step("analyze_anomalies", ("metrics",), SPIKES, ("anomalies",), _anomalies),
    Step("analyze_confusion", ("metrics", "confusion"), ("top_confused_pairs",),
         ("confusion_by_config", "confused_pairs"), _confusion),
    Step("plot_learning_curves", ("seed_summary", "gaps", *LAYOUT), ("confidence",),
         ("learning_curves_loss", "learning_curves_accuracy"), _learning_curves),
    Step("plot_overfitting", ("gaps", "overfitting_configs", "seed_summary", *LAYOUT),
         ("confidence",), ("overfitting_panels", "accuracy_gap"), _overfitting_figures),
    Step("plot_heatmap", ("leaderboard", *LAYOUT), (), ("accuracy_heatmap",), _heatmap),
    Step("plot_factors", ("marginal_means", "interactions", "interaction_strength"), (),
         ("factor_effects", "interaction_plots"), _factor_figures),
    Step("plot_confusion", ("confusion_by_config", "leaderboard"), (), ("confusion_matrices",),
         _confusion_figure),
    Step("plot_cost", ("runs",), (), ("accuracy_vs_time",), _cost),
    Step("plot_anomalies", ("metrics", "anomalies", *LAYOUT), (), ("anomaly_timeline",),
         _anomaly_figure),
    Step("plot_axes", ("paired_effects", "datasize_curve", "rank_agreement", "leaderboard"),
         ("confidence",), ("paired_changes", "datasize", "transfer"), _axes_figures),
)  # fmt: skip
