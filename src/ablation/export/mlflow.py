"""Finished runs as a local MLflow store: one experiment per study, one MLflow run per run.

    <folder>/ablation-export.json      the manifest
    <folder>/mlflow.db                 the tracking store (SQLite, MLflow's local backend)
    <folder>/artifacts/<id>/artifacts/ each run's model.pt, confusion.parquet, confusion.csv

An MLflow run carries the run's axes as params; its scalars (`ablation.export.runs`)
as metrics with the epoch as step; its run id (tag `ablation.run_id`), seed, dataset,
outcome and provenance as tags. `mlflow ui --backend-store-uri sqlite:///<folder>/mlflow.db`
compares them. MLflow 3 keeps its plain-folder store only in maintenance mode (it refuses
it unless told otherwise), hence SQLite in the folder.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from ablation.export.folder import Exported, ExportFolderError, claim, require
from ablation.export.runs import RUN_ID_TAG, FinishedRun

KIND = "mlflow"
OPTION = "--mlflow"
DATABASE = "mlflow.db"
ARTIFACTS = "artifacts"
KIND_TAG = "mlflow.experimentKind"  # model training, not the GenAI views MLflow 3 opens with
BATCH = 1000  # metrics per log_batch call (MLflow's limit)


def tracking_uri(folder: Path) -> str:
    return f"sqlite:///{(Path(folder).resolve() / DATABASE).as_posix()}"


def load() -> Any:
    """The mlflow package (or MissingExtra); it reports no telemetry unless asked to."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    (mlflow,) = require(KIND, "mlflow")
    for name in ("mlflow", "alembic"):  # table creation notes, not news for our user
        logging.getLogger(name).setLevel(logging.WARNING)
    return mlflow


def export_mlflow(
    runs: list[FinishedRun], folder: Path, experiment: str, description: str = ""
) -> Exported:
    """Log each run not yet in the experiment `experiment` of the store in `folder`."""
    mlflow = load()
    folder = Path(folder)
    claim(folder, KIND, OPTION)
    client = mlflow.MlflowClient(tracking_uri(folder))
    experiment_id = _experiment(client, folder, experiment, description)
    done, partial = _previous(client, experiment_id, mlflow.entities.ViewType.ALL)
    result = Exported(folder)
    for run in runs:
        if run.run_id in done:
            result.kept.append(run.run_id)
            continue
        for leftover in partial.get(run.run_id, []):  # an export cut off in this run
            client.delete_run(leftover)
        _log_run(client, experiment_id, run, mlflow.entities)
        result.added.append(run.run_id)
    return result


def _experiment(client, folder: Path, name: str, description: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is None:
        location = (folder.resolve() / ARTIFACTS).as_uri()
        tags = {KIND_TAG: "custom_model_development"}  # MLflow's UI then opens on the runs
        if description:
            tags["mlflow.note.content"] = description
        return client.create_experiment(name, artifact_location=location, tags=tags)
    if found.lifecycle_stage != "active":
        raise ExportFolderError(
            f"{OPTION} {folder}: the experiment {name!r} was deleted in this store; restore "
            f"it (`mlflow experiments restore --experiment-id {found.experiment_id}`) or pass "
            "--experiment with another name"
        )
    return found.experiment_id


def _previous(client, experiment_id: str, view_all) -> tuple[set[str], dict[str, list[str]]]:
    """The run ids exported already, and MLflow runs an interrupted export left unfinished."""
    done: set[str] = set()
    partial: dict[str, list[str]] = {}
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], run_view_type=view_all, max_results=1000, page_token=token
        )
        for found in page:
            run_id = found.data.tags.get(RUN_ID_TAG)
            if run_id is None:
                continue
            if found.info.status == "FINISHED":
                done.add(run_id)
            elif found.info.lifecycle_stage == "active":
                partial.setdefault(run_id, []).append(found.info.run_id)
        token = page.token
        if not token:
            return done, partial


def _log_run(client, experiment_id: str, run: FinishedRun, entities) -> None:
    logged = client.create_run(
        experiment_id,
        start_time=_ms(run.start_time),
        tags=run.tags,
        run_name=run.label,
    )
    mlflow_id = logged.info.run_id
    try:
        params = [entities.Param(axis, str(value)) for axis, value in run.hparams.items()]
        metrics = [entities.Metric(s.tag, s.value, _ms(s.walltime), s.step) for s in run.scalars]
        client.log_batch(mlflow_id, metrics=metrics[:BATCH], params=params)
        for start in range(BATCH, len(metrics), BATCH):
            client.log_batch(mlflow_id, metrics=metrics[start : start + BATCH])
        client.log_artifact(mlflow_id, str(run.checkpoint))
        client.log_artifact(mlflow_id, str(run.confusion))
        with tempfile.TemporaryDirectory() as tmp:
            client.log_artifact(mlflow_id, str(_confusion_csv(run.confusion, Path(tmp))))
    except BaseException:
        client.set_terminated(mlflow_id, "FAILED")
        raise
    client.set_terminated(mlflow_id, "FINISHED", end_time=_ms(run.end_time))


def _confusion_csv(confusion: Path, folder: Path) -> Path:
    """The confusion matrix as a table MLflow's artifact view shows: true rows, predicted
    columns."""
    tidy = pd.read_parquet(confusion)
    matrix = tidy.pivot(index="true", columns="predicted", values="count").fillna(0)
    path = folder / "confusion.csv"
    matrix.astype("int64").to_csv(path, index_label="true \\ predicted")
    return path


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))
