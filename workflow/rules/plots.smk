# Figures of the study (ablation.plots): each rule draws from the statistics tables
# of analyze.smk and writes PNGs under results/plots/; `snakemake --report` shows
# them with the captions in workflow/report/.


rule plot_learning_curves:
    input:
        seed_summary=rules.analyze_seeds.output.summary,
        gaps=rules.analyze_overfitting.output.gaps,
        # the facets of figures of configurations (ablation.report.build.layout_of)
        overfitting=rules.analyze_overfitting.output.overfitting,
        marginal_means=rules.analyze_factors.output.marginal,
    output:
        loss=report(
            "results/plots/learning_curves_loss.png",
            caption="../report/learning_curves_loss.rst",
            category="Figures",
            subcategory="Learning curves",
        ),
        accuracy=report(
            "results/plots/learning_curves_accuracy.png",
            caption="../report/learning_curves_accuracy.rst",
            category="Figures",
            subcategory="Learning curves",
        ),
    log:
        "logs/plot_learning_curves.log",
    conda:
        CONDA_ENV
    params:
        confidence=STUDY["analysis"]["confidence"],
    script:
        "../scripts/plot_learning_curves.py"


rule plot_overfitting:
    input:
        gaps=rules.analyze_overfitting.output.gaps,
        overfitting=rules.analyze_overfitting.output.overfitting,
        configs=rules.analyze_overfitting.output.configs,
        seed_summary=rules.analyze_seeds.output.summary,
        marginal_means=rules.analyze_factors.output.marginal,
    output:
        panels=report(
            "results/plots/overfitting_panels.png",
            caption="../report/overfitting_panels.rst",
            category="Figures",
            subcategory="Overfitting",
        ),
        gap=report(
            "results/plots/accuracy_gap.png",
            caption="../report/accuracy_gap.rst",
            category="Figures",
            subcategory="Overfitting",
        ),
    log:
        "logs/plot_overfitting.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_overfitting.py"


rule plot_heatmap:
    input:
        leaderboard=rules.analyze_leaderboard.output.leaderboard,
        # the facets of figures of configurations (ablation.report.build.layout_of)
        overfitting=rules.analyze_overfitting.output.overfitting,
        marginal_means=rules.analyze_factors.output.marginal,
    output:
        heatmap=report(
            "results/plots/accuracy_heatmap.png",
            caption="../report/accuracy_heatmap.rst",
            category="Figures",
            subcategory="Leaderboard",
        ),
    log:
        "logs/plot_heatmap.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_heatmap.py"


rule plot_factors:
    input:
        marginal=rules.analyze_factors.output.marginal,
        interactions=rules.analyze_factors.output.interactions,
        strength=rules.analyze_axes.output.interaction_strength,
    output:
        effects=report(
            "results/plots/factor_effects.png",
            caption="../report/factor_effects.rst",
            category="Figures",
            subcategory="Factor effects",
        ),
        interactions=report(
            "results/plots/interaction_plots.png",
            caption="../report/interaction_plots.rst",
            category="Figures",
            subcategory="Factor effects",
        ),
    log:
        "logs/plot_factors.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_factors.py"


rule plot_confusion:
    input:
        by_config=rules.analyze_confusion.output.by_config,
        leaderboard=rules.analyze_leaderboard.output.leaderboard,
    output:
        matrices=report(
            "results/plots/confusion_matrices.png",
            caption="../report/confusion_matrices.rst",
            category="Figures",
            subcategory="Confusion",
        ),
    log:
        "logs/plot_confusion.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_confusion.py"


rule plot_cost:
    input:
        runs=rules.aggregate_metrics.output.runs,
    output:
        cost=report(
            "results/plots/accuracy_vs_time.png",
            caption="../report/accuracy_vs_time.rst",
            category="Figures",
            subcategory="Cost",
        ),
    log:
        "logs/plot_cost.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_cost.py"


rule plot_anomalies:
    input:
        metrics=rules.aggregate_metrics.output.metrics,
        anomalies=rules.analyze_anomalies.output.anomalies,
        # the facets of figures of configurations (ablation.report.build.layout_of)
        overfitting=rules.analyze_overfitting.output.overfitting,
        marginal_means=rules.analyze_factors.output.marginal,
    output:
        timeline=report(
            "results/plots/anomaly_timeline.png",
            caption="../report/anomaly_timeline.rst",
            category="Figures",
            subcategory="Anomalies",
        ),
    log:
        "logs/plot_anomalies.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_anomalies.py"


# Figures for any axes: paired effects of every axis, more data, transfer; a short
# note in place of a figure whose study lacks what it shows.
rule plot_axes:
    input:
        paired_effects=rules.analyze_axes.output.paired_effects,
        datasize_curve=rules.analyze_axes.output.datasize_curve,
        rank_agreement=rules.analyze_axes.output.rank_agreement,
        leaderboard=rules.analyze_leaderboard.output.leaderboard,
    output:
        paired_changes=report(
            "results/plots/paired_changes.png",
            caption="../report/paired_changes.rst",
            category="Figures",
            subcategory="Factor effects",
        ),
        datasize=report(
            "results/plots/datasize.png",
            caption="../report/datasize.rst",
            category="Figures",
            subcategory="More data",
        ),
        transfer=report(
            "results/plots/transfer.png",
            caption="../report/transfer.rst",
            category="Figures",
            subcategory="Transfer",
        ),
    log:
        "logs/plot_axes.log",
    conda:
        CONDA_ENV
    params:
        confidence=STUDY["analysis"]["confidence"],
    script:
        "../scripts/plot_axes.py"
