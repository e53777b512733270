"""Rule prepare_data: obtain the dataset once and store it compactly."""

import sys

from ablation import logs
from ablation.data import DataError, prepare_dataset
from ablation.io import WriteError

log = logs.setup(snakemake.log[0])
p = snakemake.params
try:
    path = prepare_dataset(p.dataset, p.root, p.local_dir)
except (DataError, WriteError) as err:
    log.error("%s", err)  # the file, the cause and the fix; a traceback would only bury it
    sys.exit(1)
log.info("stored %s as %s", p.dataset, path)
assert str(path) == snakemake.output.data, (path, snakemake.output.data)
