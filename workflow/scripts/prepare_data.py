"""Rule prepare_data: obtain the dataset once and store it compactly."""

from ablation import logs
from ablation.data import prepare_dataset

log = logs.setup(snakemake.log[0])
p = snakemake.params
path = prepare_dataset(p.dataset, p.root, p.local_dir)
log.info("stored %s as %s", p.dataset, path)
assert str(path) == snakemake.output.data, (path, snakemake.output.data)
