"""Rule analyze_confusion: confusion summed per configuration, most-confused digit pairs."""

import pandas as pd

from ablation import logs
from ablation.metrics import read_metrics, write_frame
from ablation.stats import confused_pairs, confusion_by_config, run_table

logs.setup(snakemake.log[0])
by_config = confusion_by_config(
    pd.read_parquet(snakemake.input.confusion), run_table(read_metrics(snakemake.input.metrics))
)
write_frame(by_config, snakemake.output.by_config)
write_frame(confused_pairs(by_config, snakemake.params.top), snakemake.output.pairs, csv=True)
