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
