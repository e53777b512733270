# The self-contained HTML report (ablation.report): statistics, figures and
# provenance in one file that opens offline.

from ablation.report.inputs import finished_digest

EXPECTED_RUNS = list(CELL_OF_RUN)
# Wall time of each training job, where Snakemake recorded one (read if present).
BENCHMARKS = [f"benchmarks/train_model/{run}.tsv" for run in EXPECTED_RUNS]


rule render_report:
    input:
        metrics=rules.aggregate_metrics.output.metrics,
        runs=rules.aggregate_metrics.output.runs,
        summary=rules.aggregate_metrics.output.summary_parquet,
        leaderboard=rules.analyze_leaderboard.output.leaderboard,
        leaderboard_early_stopping=rules.analyze_leaderboard.output.early_stopping,
        anova=rules.analyze_anova.output.anova,
        seed_summary=rules.analyze_seeds.output.summary,
        marginal_means=rules.analyze_factors.output.marginal,
        interactions=rules.analyze_factors.output.interactions,
        overfitting=rules.analyze_overfitting.output.overfitting,
        overfitting_configs=rules.analyze_overfitting.output.configs,
        regularization_effects=rules.analyze_regularization.output.effects,
        anomalies=rules.analyze_anomalies.output.anomalies,
        confused_pairs=rules.analyze_confusion.output.pairs,
        paired_effects=rules.analyze_axes.output.paired_effects,
        interaction_strength=rules.analyze_axes.output.interaction_strength,
        datasize_curve=rules.analyze_axes.output.datasize_curve,
        datasize_worth=rules.analyze_axes.output.datasize_worth,
        rank_agreement=rules.analyze_axes.output.rank_agreement,
        transfer_findings=rules.analyze_axes.output.transfer_findings,
        data=DATA_FILES,
        # figures, by their name in ablation.report.figures.FIGURES
        learning_curves_loss=rules.plot_learning_curves.output.loss,
        learning_curves_accuracy=rules.plot_learning_curves.output.accuracy,
        overfitting_panels=rules.plot_overfitting.output.panels,
        accuracy_gap=rules.plot_overfitting.output.gap,
        accuracy_heatmap=rules.plot_heatmap.output.heatmap,
        factor_effects=rules.plot_factors.output.effects,
        interaction_plots=rules.plot_factors.output.interactions,
        confusion_matrices=rules.plot_confusion.output.matrices,
        accuracy_vs_time=rules.plot_cost.output.cost,
        anomaly_timeline=rules.plot_anomalies.output.timeline,
        paired_changes=rules.plot_axes.output.paired_changes,
        datasize=rules.plot_axes.output.datasize,
        transfer=rules.plot_axes.output.transfer,
    output:
        html="reports/summary.html",
    log:
        "logs/render_report.log",
    conda:
        CONDA_ENV
    params:
        study=STUDY,
        expected_runs=EXPECTED_RUNS,
        benchmarks=BENCHMARKS,
    script:
        "../scripts/render_report.py"


# The report of the runs finished so far, the others marked missing: after
# `snakemake --keep-going` left some runs failed, or to look at a grid mid-way.
# Finished runs are not inputs, so that this target never schedules training; the
# `finished` param (a digest of which runs are finished) reruns it when that changes.
# Aggregation, statistics and figures run in this one job (ablation.report.build).
rule render_partial_report:
    output:
        html="reports/partial/summary.html",
    log:
        "logs/render_partial_report.log",
    conda:
        CONDA_ENV
    params:
        finished=finished_digest("results/runs", EXPECTED_RUNS),
        runs_root="results/runs",
        study=STUDY,
        expected_runs=EXPECTED_RUNS,
        benchmarks=BENCHMARKS,
        data=DATA_FILES,
    script:
        "../scripts/render_partial_report.py"
