rule plot_learning_curves:
    input:
        metrics=rules.aggregate_metrics.output.metrics,
    output:
        figure=report(
            "results/plots/learning_curves.png",
            caption="../report/learning_curves.rst",
            category="Figures",
        ),
    log:
        "logs/plot_learning_curves.log",
    script:
        "../scripts/plot_learning_curves.py"
