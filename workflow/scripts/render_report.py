"""Rule render_report: the self-contained HTML page."""

import pandas as pd

from ablation import logs
from ablation.report import render_report

logs.setup(snakemake.log[0])
render_report(
    summary=pd.read_parquet(snakemake.input.summary),
    runs=pd.read_parquet(snakemake.input.runs),
    figures={"learning_curves": snakemake.input.learning_curves},
    study=snakemake.params.study,
    expected_runs=snakemake.params.expected_runs,
    out=snakemake.output.html,
)
