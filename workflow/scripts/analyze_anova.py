"""Rule analyze_anova: type II ANOVA of final test accuracy on the factorial design."""

import pandas as pd

from ablation import logs
from ablation.metrics import write_frame
from ablation.stats import anova_table

log = logs.setup(snakemake.log[0])
table = anova_table(pd.read_parquet(snakemake.input.overfitting))
write_frame(table, snakemake.output.anova, csv=True)
notes = set(table["note"].dropna()) - {""}
log.info("%d terms%s", len(table), f"; {'; '.join(notes)}" if notes else "")
