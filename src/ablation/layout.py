"""Where the workflow keeps its files: every path under results/, logs/, benchmarks/, reports/.

Paths are relative to the project folder (where Snakemake runs) and use `/`, as
Snakemake writes them in its markers and locks. A `run` is a run folder
(`ablation.grid.run_path`, e.g. `activation=relu/optimizer=adam/.../seed=0`) or the
wildcard `{run}`: the rules build their patterns with the same functions. The
Snakefile's header shows the tree. Imports nothing of the library: the Snakefile, the
command line and the training jobs all read it.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = "results"
RUNS = f"{RESULTS}/runs"  # <run>/ + RUN_OUTPUTS: what the run keeps
RESUME = f"{RESULTS}/.resume"  # <run>/state.pt while it trains
PACKED = f"{RESULTS}/.packs"  # <run>/ + PACKED_FILES: as its pack left them, until moved
TRAINED = f"{RESULTS}/.trained"  # <run>.json: the pack's stamp (config hash), kept
PLANS = f"{PACKED}/plans"  # <pack id>.json: the members of a planned pack
STATS = f"{RESULTS}/stats"  # <table>.parquet (+ .csv): statistics
PLOTS = f"{RESULTS}/plots"  # <figure>.png
DATA_ROOT = f"{RESULTS}/data"  # the default of the config's data.root: <dataset>.pt
LOGS = "logs"  # <rule>.log, or <rule>/<job>.log
BENCHMARKS = "benchmarks"  # <rule>/<job>.tsv
REPORT = "reports/summary.html"
PARTIAL_REPORT = "reports/partial/summary.html"

# A run's outputs, in the order they are written: model.pt last.
METRICS = "metrics.parquet"
CONFUSION = "confusion.parquet"
MODEL = "model.pt"
RUN_OUTPUTS = (METRICS, CONFUSION, MODEL)
PACK_LOG = "train.log"  # a member's progress lines, as its pack left them
PACKED_FILES = (*RUN_OUTPUTS, PACK_LOG)
STATE = "state.pt"

# Tables of the aggregate_metrics rule (results/<name>.parquet); the rest are statistics.
AGGREGATES = ("metrics", "runs", "confusion", "summary")
TRAIN_RULE = "train_model"  # one job per run
PACK_RULE = "train_pack"  # one job per pack


def run_dir(run: str) -> str:
    return f"{RUNS}/{run}"


def run_output(run: str, name: str) -> str:
    """One of a run's `RUN_OUTPUTS` in its folder."""
    return f"{run_dir(run)}/{name}"


def state_file(run: str) -> str:
    """The run's resume state, kept outside its folder while it trains."""
    return f"{RESUME}/{run}/{STATE}"


def packed_dir(run: str) -> str:
    """Where a pack leaves the run's `PACKED_FILES` for its `train_model` job."""
    return f"{PACKED}/{run}"


def trained_stamp(run: str) -> str:
    return f"{TRAINED}/{run}.json"


def plan_file(pack_id: str) -> str:
    return f"{PLANS}/{pack_id}.json"


def log_file(rule: str, job: str | None = None) -> str:
    """The log of a rule's job: `logs/<rule>.log` for a rule of one job, else
    `logs/<rule>/<job>.log` (a run, a pack id, a dataset, a wildcard)."""
    return f"{LOGS}/{rule}.log" if job is None else f"{LOGS}/{rule}/{job}.log"


def benchmark_file(rule: str, job: str) -> str:
    return f"{BENCHMARKS}/{rule}/{job}.tsv"


def run_log(run: str) -> str:
    """The run's training log, whether its pack or its own job trains it."""
    return log_file(TRAIN_RULE, run)


def run_benchmark(run: str) -> str:
    return benchmark_file(TRAIN_RULE, run)


def table_path(name: str) -> str:
    """The Parquet file of the table `name`: aggregated or statistics."""
    return f"{RESULTS}/{name}.parquet" if name in AGGREGATES else f"{STATS}/{name}.parquet"


def csv_path(name: str) -> str:
    """The CSV beside a table's Parquet file (for the tables written as both)."""
    return table_path(name).removesuffix(".parquet") + ".csv"


def figure_path(name: str) -> str:
    return f"{PLOTS}/{name}.png"


def data_file(data_root: str | Path, dataset: str) -> str:
    """A prepared dataset in the config's `data.root` (default `DATA_ROOT`)."""
    return f"{data_root}/{dataset}.pt"


def is_finished(run_folder: str | Path) -> bool:
    """Whether a run is finished: its folder holds every one of `RUN_OUTPUTS`.

    The one answer for the packs (which runs still to train), `ablation status` and the
    partial report; whether a finished run is up to date (its config, its data) is
    each one's own question.
    """
    folder = Path(run_folder)
    return all((folder / name).is_file() for name in RUN_OUTPUTS)
