# Helpers only: the validated study, its grid, wildcard constraints, final targets.

import os
import sys

import ablation.config as study
from ablation.memory import machine_memory
from ablation import data, environment, layout, logs, steps
from ablation import i18n
from ablation.report.figures import (
    FIGURES,
    snakemake_report_labels,
    snakemake_table_category,
)


def _validated(config):
    sources = " + ".join(str(f) for f in workflow.configfiles) or "config"
    # Highest precedence first, so that an error names the file that sets the bad key.
    cli = [str(f) for f in workflow.config_settings.configfiles]
    own = [str(f) for f in workflow.configfiles if str(f) not in cli]
    layers = [("--config", workflow.config_settings.config or {})]
    layers += [(f, f) for f in [*reversed(cli), *reversed(own)]]
    # Memory is checked where the study is planned, against this machine's.
    planning = workflow.is_main_process and "--lint" not in sys.argv
    memory = machine_memory() if planning else None
    try:
        return study.validate_config(
            config, source=sources, layers=layers, memory=memory
        )
    except study.ConfigError as err:
        # Our message alone, without a traceback: the user's fix is in the config.
        sys.exit(f"invalid study config\n{err}")


STUDY = _validated(config)
LANGUAGE = STUDY["report"]["language"]
CELLS = study.grid_cells(STUDY)
# Run folder -> grid cell; the folder's depth varies (axes off their default join it).
CELL_OF_RUN = {study.run_path(cell): cell for cell in CELLS}
RUN = study.RUN_PATTERN
DATASETS = list(STUDY["grid"]["dataset"])
DATA_ROOT = STUDY["data"]["root"]
DATA_FILES = [layout.data_file(DATA_ROOT, name) for name in DATASETS]


def _check_data():
    """A dataset without files on an offline machine: stop now, not at its data job."""
    if "--lint" in sys.argv or not workflow.is_main_process:
        return  # linting plans nothing; jobs re-read this file after the check
    for name in DATASETS:
        try:
            data.check_obtainable(name, DATA_ROOT, STUDY["data"]["local_dir"])
        except data.DataError as err:
            sys.exit(f"dataset {name} cannot be obtained\n{err}")


_check_data()
# Runtime knob, not part of the study: auto (CUDA when present), cpu, cuda, cuda:1, ...
DEVICE = environment.device()
# For `--use-conda` users; relative to the rule files.
CONDA_ENV = "../../envs/ablation.yaml"


wildcard_constraints:
    run=r"[A-Za-z_]+=[^/]+(/[A-Za-z_]+=[^/]+)*",
    dataset=r"[a-z_]+",


def run_outputs(name):
    return [layout.run_output(run, name) for run in CELL_OF_RUN]


def train_config(wildcards):
    """The typed config of one cell, as plain data: Snakemake reruns a cell when it changes."""
    return study.run_config(STUDY, CELL_OF_RUN[wildcards.run]).to_dict()


def data_file(wildcards):
    """The prepared dataset a run trains on."""
    return layout.data_file(DATA_ROOT, CELL_OF_RUN[wildcards.run]["dataset"])


def gpu_limit():
    """The Snakemake resource gpu (--resources, profiles/default): GPU packs at once."""
    limit = workflow.global_resources.get("gpu")
    limit = getattr(limit, "value", limit)  # a Resource, or a number
    # None on a cluster job's node, which trains the pack it was given.
    return None if limit is None else int(limit)


def step_inputs(step):
    return {name: layout.table_path(name) for name in step.reads}


def caption(name):
    """The caption of `name` in `snakemake --report`, in the report's language."""
    folder = "" if LANGUAGE == i18n.SOURCE else f"{LANGUAGE}/"
    return f"../report/{folder}{name}.rst"


def step_outputs(step):
    """The step's tables (with their CSV) or figures (with their caption), by name."""
    outputs = {}
    for name in step.makes:
        path = steps.output_path(step, name)
        if step.draws:
            labels = snakemake_report_labels(name, LANGUAGE)
            path = report(path, caption=caption(name), **labels)
        outputs[name] = path
        if name in steps.CSV_TABLES:
            outputs[f"{name}_csv"] = layout.csv_path(name)
    return outputs


def step_settings(step):
    """Only the settings a step uses: changing a threshold reruns just the steps it affects."""
    return steps.settings_of(step, STUDY)


def final_targets():
    return [
        layout.table_path("metrics"),
        *map(layout.csv_path, FINAL_CSV_TABLES),
        # every figure is an input of the report
        layout.figure_path("accuracy_heatmap"),
        layout.REPORT,
    ]


# The tables whose CSV `rule all` asks for by name (the report needs the others).
FINAL_CSV_TABLES = (
    "summary",
    "leaderboard",
    "anova",
    "seed_summary",
    "marginal_means",
    "interactions",
    "overfitting_configs",
    "regularization_effects",
    "anomalies",
    "confused_pairs",
)
