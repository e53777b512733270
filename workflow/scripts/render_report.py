"""Rule render_report: the self-contained HTML page."""

from ablation import logs
from ablation.report import ReportInputs, render_report
from ablation.report.figures import FIGURES
from ablation.report.provenance import data_checksums, job_wall_seconds

log = logs.setup(snakemake.log[0])
inputs = dict(snakemake.input.items())
render_report(
    ReportInputs.from_files(inputs),
    figures={name: path for name, path in inputs.items() if name in FIGURES},
    study=snakemake.params.study,
    expected_runs=snakemake.params.expected_runs,
    out=snakemake.output.html,
    data_sha256=data_checksums(snakemake.input.data),
    wall_seconds=job_wall_seconds(snakemake.params.benchmarks),
)
log.info("wrote %s", snakemake.output.html)
