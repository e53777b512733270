rule render_report:
    input:
        summary=rules.aggregate_metrics.output.summary_parquet,
        runs=rules.aggregate_metrics.output.runs,
        learning_curves=rules.plot_learning_curves.output.figure,
    output:
        html="reports/summary.html",
    params:
        study=STUDY,
        expected_runs=[study.run_path(cell) for cell in CELLS],
    log:
        "logs/render_report.log",
    script:
        "../scripts/render_report.py"
