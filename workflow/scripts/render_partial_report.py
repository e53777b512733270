"""Rule render_partial_report: the report of the runs finished so far."""

from ablation import logs
from ablation.io import write_text_atomic
from ablation.report.build import finished_runs, partial_report, read_runs
from ablation.report.provenance import data_checksums, job_wall_seconds

log = logs.setup(snakemake.log[0])
p = snakemake.params
done = finished_runs(p.runs_root, p.expected_runs)
metrics, confusion = read_runs(p.runs_root, done)
html = partial_report(
    metrics,
    confusion,
    study=p.study,
    expected_runs=p.expected_runs,
    data_sha256=data_checksums(p.data),
    wall_seconds=job_wall_seconds(p.benchmarks),
)
write_text_atomic(snakemake.output.html, html)
log.info("%d of %d runs in %s", len(done), len(p.expected_runs), snakemake.output.html)
