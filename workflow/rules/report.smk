# The self-contained HTML report (ablation.report): statistics, figures and
# provenance in one file that opens offline.

from ablation.report.inputs import TABLES, finished_digest

EXPECTED_RUNS = list(CELL_OF_RUN)
# Wall time of each training job, where Snakemake recorded one (read if present).
BENCHMARKS = [f"benchmarks/train_model/{run}.tsv" for run in EXPECTED_RUNS]


rule render_report:
    input:
        **{name: steps.table_path(name) for name in TABLES},
        **{name: steps.figure_path(name) for name in FIGURES},
        data=DATA_FILES,
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
