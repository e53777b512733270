# Ablation study of the classic MNIST network (see README.md).
#
# Every path below is spelled once, in src/ablation/layout.py.
#
# results/
#   data/<dataset>.pt                      each dataset as compact uint8 tensors (prepare_data)
#   runs/activation=A/optimizer=O/weight_decay=W/dropout=D/seed=S/
#                                          (+ any other axis off its default, docs/axes.md)
#       metrics.parquet                    tidy metrics of one run (train_model)
#       confusion.parquet                  its final test confusion matrix
#       model.pt                           its weights, config and final metrics
#   .resume/<run path>/state.pt            resume state of an interrupted run (removed when done)
#   .packs/<run path>/                     a run's files as its training pack left them (moved)
#   .trained/<run path>.json               the pack's stamp: the config hash it trained under
#   metrics.parquet, runs.parquet          all runs, one table each (aggregate_metrics)
#   summary.csv, summary.parquet           one row per configuration
#   stats/<table>.parquet (+ .csv)         statistics, verdicts, anomalies (analyze_*; ablation.stats)
#   plots/*.png                            figures (plot_*)
# reports/summary.html                     the self-contained report (render_report)
# logs/<rule>/..., benchmarks/<rule>/...   per-job logs and resource use


from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/analyze.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        final_targets(),
