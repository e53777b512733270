rule aggregate_metrics:
    input:
        metrics=run_outputs("metrics.parquet"),
        confusion=run_outputs("confusion.parquet"),
    output:
        metrics="results/metrics.parquet",
        runs="results/runs.parquet",
        confusion="results/confusion.parquet",
        summary=report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
        ),
        summary_parquet="results/summary.parquet",
    log:
        "logs/aggregate_metrics.log",
    script:
        "../scripts/aggregate_metrics.py"
