"""`ablation.export.mlflow`: read back with MLflow's own client, and listed by a real
`mlflow ui` server."""

from __future__ import annotations

import pandas as pd
import pytest

from ablation.export.mlflow import export_mlflow, tracking_uri
from ablation.export.runs import RUN_ID_TAG, study_axes
from export_helpers import (  # noqa: F401 (*_fixture: the tiny study's runs)
    best_validation,
    final,
    measured,
    metrics_fixture,
    mlflow_runs,
    mlflow_server,
    runs_fixture,
    study_fixture,
    wait_for,
)

mlflow = pytest.importorskip("mlflow", reason="pip install -e '.[test]'")
pytestmark = pytest.mark.workflow  # the tiny study's runs

EXPERIMENT = "tiny study"


@pytest.fixture(scope="module")
def store(tmp_path_factory, runs):
    folder = tmp_path_factory.mktemp("mlflow")
    result = export_mlflow(runs, folder, EXPERIMENT, "the tiny study")
    assert len(result.added) == 8 and not result.kept
    return folder


@pytest.fixture(scope="module")
def logged(store) -> dict:
    """{run id: (MlflowClient, mlflow Run)} of the experiment."""
    client = mlflow.MlflowClient(tracking_uri(store))
    experiment = client.get_experiment_by_name(EXPERIMENT)
    found = client.search_runs([experiment.experiment_id])
    return {run.data.tags[RUN_ID_TAG]: (client, run) for run in found}


def test_one_finished_mlflow_run_per_run_with_its_axes_and_tags(logged, runs, metrics, study):
    assert set(logged) == {run.run_id for run in runs}
    for run_id, (_, run) in logged.items():
        first = metrics[run_id].iloc[0]
        assert run.info.status == "FINISHED"
        assert run.data.params == {axis: str(first[axis]) for axis in study_axes(study)}
        assert run.data.tags["seed"] == str(first["seed"])
        assert run.data.tags["dataset"] == "mnist"
        assert run.data.tags["status"] == "completed"
        assert run.info.run_name.endswith(f"/ seed {first['seed']}")


def test_metrics_equal_the_parquet_ones_with_the_epoch_as_step(logged, metrics):
    for run_id, (client, run) in logged.items():
        expected = {**measured(metrics[run_id]), **best_validation(metrics[run_id])}
        found = {}
        for key in run.data.metrics:
            for point in client.get_metric_history(run.info.run_id, key):
                assert (key, point.step) not in found
                found[(key, point.step)] = point.value
        assert {k: found[k] for k in expected} == expected, run_id
        latest = run.data.metrics  # MLflow's latest value of each: the final one
        assert latest["test/accuracy"] == final(metrics[run_id], "test", "accuracy")
        assert latest["validation/loss"] == final(metrics[run_id], "validation", "loss")


def test_the_checkpoint_and_confusion_matrix_are_artifacts(logged, runs, tmp_path):
    folders = {run.run_id: run.folder for run in runs}
    client, run = logged[runs[0].run_id]
    names = sorted(a.path for a in client.list_artifacts(run.info.run_id))
    assert names == ["confusion.csv", "confusion.parquet", "model.pt"]
    got = client.download_artifacts(run.info.run_id, "", str(tmp_path))
    for name in ("model.pt", "confusion.parquet"):
        assert (tmp_path / name).read_bytes() == (folders[runs[0].run_id] / name).read_bytes()
    tidy = pd.read_parquet(folders[runs[0].run_id] / "confusion.parquet")
    matrix = pd.read_csv(f"{got}/confusion.csv", index_col=0)
    for row in tidy.itertuples(index=False):
        assert matrix.loc[row.true, str(row.predicted)] == row.count


@pytest.mark.server
@pytest.mark.timeout(180)
def test_mlflow_ui_lists_every_run(store, logged, metrics, tmp_path):
    experiment_id = next(iter(logged.values()))[1].info.experiment_id
    with mlflow_server(tracking_uri(store), tmp_path / "mlflow.log") as base:
        listed = wait_for(lambda: mlflow_runs(base, experiment_id), "the runs", timeout=30)
        by_id = {
            next(t["value"] for t in run["data"]["tags"] if t["key"] == RUN_ID_TAG): run
            for run in listed
        }
        assert set(by_id) == set(metrics)
        for run_id, run in by_id.items():
            values = {m["key"]: m["value"] for m in run["data"]["metrics"]}
            assert values["test/accuracy"] == final(metrics[run_id], "test", "accuracy")
