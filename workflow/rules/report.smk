# The self-contained HTML report (ablation.report): statistics, figures and
# provenance in one file that opens offline.

from ablation.report.inputs import TABLES, finished_digest

EXPECTED_RUNS = list(CELL_OF_RUN)
# Wall time of each training job, where Snakemake recorded one (read if present).
BENCHMARKS = [layout.run_benchmark(run) for run in EXPECTED_RUNS]


rule render_report:
    input:
        **{name: layout.table_path(name) for name in TABLES},
        **{name: layout.figure_path(name) for name in FIGURES},
        data=DATA_FILES,
    output:
        html=layout.REPORT,
    log:
        layout.log_file("render_report"),
    # In Snakemake's own process, as the analysis steps (ablation.steps.run_rule).
    localrule: True
    params:
        study=STUDY,
        expected_runs=EXPECTED_RUNS,
        benchmarks=BENCHMARKS,
    run:
        from ablation.report import ReportInputs, render_report
        from ablation.report.provenance import data_checksums, job_wall_seconds

        tables = dict(input.items())
        with logs.thread_log(log[0]) as log_:
            render_report(
                ReportInputs.from_files(tables),
                figures={
                    name: path for name, path in tables.items() if name in FIGURES
                },
                study=params.study,
                expected_runs=params.expected_runs,
                out=output.html,
                data_sha256=data_checksums(input.data),
                wall_seconds=job_wall_seconds(params.benchmarks),
            )
            log_.info("wrote %s", output.html)


# The report of the runs finished so far, the others marked missing: after
# `snakemake --keep-going` left some runs failed, or to look at a grid mid-way.
# Finished runs are not inputs, so that this target never schedules training; the
# `finished` param (a digest of which runs are finished) reruns it when that changes.
# Aggregation, statistics and figures run in this one job (ablation.report.build).
rule render_partial_report:
    output:
        html=layout.PARTIAL_REPORT,
    log:
        layout.log_file("render_partial_report"),
    conda:
        CONDA_ENV
    params:
        finished=finished_digest(layout.RUNS, EXPECTED_RUNS),
        runs_root=layout.RUNS,
        study=STUDY,
        expected_runs=EXPECTED_RUNS,
        benchmarks=BENCHMARKS,
        data=DATA_FILES,
    script:
        "../scripts/render_partial_report.py"
