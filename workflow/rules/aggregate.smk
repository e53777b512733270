rule aggregate_metrics:
    input:
        metrics=run_outputs(layout.METRICS),
        confusion=run_outputs(layout.CONFUSION),
    output:
        metrics=layout.table_path("metrics"),
        runs=layout.table_path("runs"),
        confusion=layout.table_path("confusion"),
        summary=report(
            layout.csv_path("summary"),
            caption=caption("summary"),
            category=snakemake_table_category(LANGUAGE),
        ),
        summary_parquet=layout.table_path("summary"),
    log:
        layout.log_file("aggregate_metrics"),
    # In Snakemake's own process, as the analysis steps (ablation.steps.run_rule): the
    # tables take a second, a new Python process with pandas two more.
    localrule: True
    run:
        import pandas as pd
        from ablation.aggregate import config_summary, run_summary
        from ablation.metrics import read_metrics, write_frame

        with logs.thread_log(log[0]) as log_:
            metrics = read_metrics(input.metrics)
            write_frame(metrics, output.metrics)
            runs = run_summary(metrics)
            write_frame(runs, output.runs)
            confusion = pd.concat(map(pd.read_parquet, input.confusion))
            write_frame(confusion, output.confusion)
            summary = config_summary(runs)
            write_frame(summary, output.summary_parquet, csv=True)
            log_.info("%d runs, %d configurations", len(runs), len(summary))
