"""Rules analyze_* and plot_*: run the step of `ablation.steps` named after the rule.

One adapter for all of them (rather than one script per rule): the step table in
`ablation.steps` is the single wiring of these steps, shared with the partial report.
"""

import pandas as pd

from ablation import logs
from ablation.metrics import read_metrics, write_frame
from ablation.steps import CSV_TABLES, step

log = logs.setup(snakemake.log[0])
this = step(snakemake.rule)
tables = {
    name: read_metrics(path) if name == "metrics" else pd.read_parquet(path)
    for name, path in snakemake.input.items()
}
made = this.run(tables, dict(snakemake.params.items()))
for name, value in made.items():
    if this.draws:
        from ablation.plots import save_figure

        save_figure(value, getattr(snakemake.output, name))
    else:
        write_frame(value, getattr(snakemake.output, name), csv=name in CSV_TABLES)
log.info("%s: made %s", this.name, ", ".join(made))
