# Statistics of the study: pure functions of ablation.stats over the aggregated tables,
# written to results/stats/ (columns documented in each ablation.stats module).

ANALYSIS = STUDY["analysis"]


rule analyze_overfitting:
    input:
        metrics=rules.aggregate_metrics.output.metrics,
        runs=rules.aggregate_metrics.output.runs,
    output:
        gaps="results/stats/gaps.parquet",
        overfitting="results/stats/overfitting.parquet",
        overfitting_csv="results/stats/overfitting.csv",
        configs="results/stats/overfitting_configs.parquet",
        configs_csv="results/stats/overfitting_configs.csv",
    log:
        "logs/analyze_overfitting.log",
    conda:
        CONDA_ENV
    params:
        onset_tolerance=ANALYSIS["onset_tolerance"],
        underfit_train_accuracy=ANALYSIS["underfit_train_accuracy"],
    script:
        "../scripts/analyze_overfitting.py"


rule analyze_seeds:
    input:
        gaps=rules.analyze_overfitting.output.gaps,
        overfitting=rules.analyze_overfitting.output.overfitting,
    output:
        summary="results/stats/seed_summary.parquet",
        summary_csv="results/stats/seed_summary.csv",
    log:
        "logs/analyze_seeds.log",
    conda:
        CONDA_ENV
    params:
        confidence=ANALYSIS["confidence"],
    script:
        "../scripts/analyze_seeds.py"


rule analyze_leaderboard:
    input:
        overfitting=rules.analyze_overfitting.output.overfitting,
    output:
        leaderboard="results/stats/leaderboard.parquet",
        leaderboard_csv="results/stats/leaderboard.csv",
        early_stopping="results/stats/leaderboard_early_stopping.parquet",
        early_stopping_csv="results/stats/leaderboard_early_stopping.csv",
    log:
        "logs/analyze_leaderboard.log",
    conda:
        CONDA_ENV
    params:
        confidence=ANALYSIS["confidence"],
        alpha=ANALYSIS["alpha"],
    script:
        "../scripts/analyze_leaderboard.py"


# The factorial design as one linear model: type II ANOVA (ablation.stats.anova).
rule analyze_anova:
    input:
        overfitting=rules.analyze_overfitting.output.overfitting,
    output:
        anova="results/stats/anova.parquet",
        anova_csv="results/stats/anova.csv",
    log:
        "logs/analyze_anova.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/analyze_anova.py"


rule analyze_factors:
    input:
        overfitting=rules.analyze_overfitting.output.overfitting,
    output:
        marginal="results/stats/marginal_means.parquet",
        marginal_csv="results/stats/marginal_means.csv",
        interactions="results/stats/interactions.parquet",
        interactions_csv="results/stats/interactions.csv",
    log:
        "logs/analyze_factors.log",
    conda:
        CONDA_ENV
    params:
        confidence=ANALYSIS["confidence"],
    script:
        "../scripts/analyze_factors.py"


rule analyze_regularization:
    input:
        overfitting=rules.analyze_overfitting.output.overfitting,
    output:
        pairs="results/stats/regularization_pairs.parquet",
        effects="results/stats/regularization_effects.parquet",
        effects_csv="results/stats/regularization_effects.csv",
    log:
        "logs/analyze_regularization.log",
    conda:
        CONDA_ENV
    params:
        confidence=ANALYSIS["confidence"],
    script:
        "../scripts/analyze_regularization.py"


# Statistics for any axes: paired effects of every axis against its first level,
# interaction strength, more data (when train_size varies), transfer (when dataset does).
rule analyze_axes:
    input:
        overfitting=rules.analyze_overfitting.output.overfitting,
        marginal=rules.analyze_factors.output.marginal,
        interactions=rules.analyze_factors.output.interactions,
    output:
        paired_runs="results/stats/paired_runs.parquet",
        paired_effects="results/stats/paired_effects.parquet",
        paired_effects_csv="results/stats/paired_effects.csv",
        interaction_strength="results/stats/interaction_strength.parquet",
        interaction_strength_csv="results/stats/interaction_strength.csv",
        datasize_curve="results/stats/datasize_curve.parquet",
        datasize_curve_csv="results/stats/datasize_curve.csv",
        datasize_worth="results/stats/datasize_worth.parquet",
        datasize_worth_csv="results/stats/datasize_worth.csv",
        rank_agreement="results/stats/rank_agreement.parquet",
        rank_agreement_csv="results/stats/rank_agreement.csv",
        transfer_findings="results/stats/transfer_findings.parquet",
        transfer_findings_csv="results/stats/transfer_findings.csv",
    log:
        "logs/analyze_axes.log",
    conda:
        CONDA_ENV
    params:
        confidence=ANALYSIS["confidence"],
    script:
        "../scripts/analyze_axes.py"


rule analyze_anomalies:
    input:
        metrics=rules.aggregate_metrics.output.metrics,
    output:
        anomalies="results/stats/anomalies.parquet",
        anomalies_csv="results/stats/anomalies.csv",
    log:
        "logs/analyze_anomalies.log",
    conda:
        CONDA_ENV
    params:
        spike_window=ANALYSIS["spike_window"],
        spike_threshold=ANALYSIS["spike_threshold"],
        spike_min_rise=ANALYSIS["spike_min_rise"],
        accuracy_drop=ANALYSIS["accuracy_drop"],
    script:
        "../scripts/analyze_anomalies.py"


rule analyze_confusion:
    input:
        metrics=rules.aggregate_metrics.output.metrics,
        confusion=rules.aggregate_metrics.output.confusion,
    output:
        by_config="results/stats/confusion_by_config.parquet",
        pairs="results/stats/confused_pairs.parquet",
        pairs_csv="results/stats/confused_pairs.csv",
    log:
        "logs/analyze_confusion.log",
    conda:
        CONDA_ENV
    params:
        top=ANALYSIS["top_confused_pairs"],
    script:
        "../scripts/analyze_confusion.py"
