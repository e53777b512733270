"""Rule analyze_anomalies: loss spikes, non-finite losses and accuracy drops of every run."""

from ablation import logs
from ablation.metrics import read_metrics, write_frame
from ablation.stats import find_anomalies

log = logs.setup(snakemake.log[0])
params = snakemake.params
anomalies = find_anomalies(
    read_metrics(snakemake.input.metrics),
    spike_window=params.spike_window,
    spike_threshold=params.spike_threshold,
    spike_min_rise=params.spike_min_rise,
    accuracy_drop=params.accuracy_drop,
)
write_frame(anomalies, snakemake.output.anomalies, csv=True)
log.info("anomalies: %s", anomalies["kind"].value_counts().to_dict())
