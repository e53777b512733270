"""The export tests' fixtures (the tiny study's runs), and real TensorBoard and MLflow
servers on 127.0.0.1 for those tests and the screenshots of docs/command-line.md.

Each server runs in its own process group on a free port, is polled until it answers
(or fails with the tail of its log), and is killed with its children afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

STUDY_FILES = ("config/config.yaml", "config/study.yaml")  # the tiny study's config layers
HOST = "127.0.0.1"
START_TIMEOUT = 90  # seconds; an MLflow server takes about 6 on an idle core


# ---------------------------------------------------------------- the tiny study's runs
# Fixtures by name; a test module imports the functions (`study_fixture`, ...).


@pytest.fixture(scope="session", name="study")
def study_fixture(tiny_study) -> dict:
    from ablation.study import load_study

    return load_study([tiny_study / name for name in STUDY_FILES])[0]


@pytest.fixture(scope="session", name="runs")
def runs_fixture(tiny_study, study) -> list:
    """The tiny study's eight finished runs (`ablation.export.runs.FinishedRun`)."""
    from ablation.cli.export import finished_runs

    found = finished_runs(tiny_study, study)
    assert len(found) == 8
    return found


@pytest.fixture(scope="session", name="metrics")
def metrics_fixture(runs) -> dict:
    """Each run's metrics.parquet as a DataFrame, by run id."""
    from ablation.metrics import read_metrics

    return {run.run_id: read_metrics(run.folder / "metrics.parquet") for run in runs}


# ---------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http_json(url: str, body: dict | None = None, timeout: float = 10) -> Any:
    """GET `url` (POST `body` as JSON when given) and decode the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30, process=None, log=None):
    """Call `check` until it returns something true (errors count as not yet); return it."""
    deadline = time.monotonic() + timeout
    problem: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the server exited ({process.returncode}){_tail(log)}")
        try:
            if result := check():
                return result
        except (OSError, urllib.error.URLError, ValueError) as err:
            problem = err
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:.0f} s ({problem}){_tail(log)}")


@contextmanager
def server(command: list[str], ready: str, log: Path, env: dict | None = None) -> Iterator[str]:
    """Run `command` (its `{port}` filled in); yield its base URL once GET `ready` answers."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # its own group: the workers it forks end with it
        )
    try:
        wait_for(
            lambda: urllib.request.urlopen(base + ready, timeout=5).status == 200,
            f"{command[2]} server on {base}",
            timeout=START_TIMEOUT,
            process=process,
            log=log,
        )
        yield base
    finally:
        _stop(process)


def tensorboard_server(logdir: Path, log: Path):
    """`tensorboard --logdir LOGDIR` on 127.0.0.1 (the Python loader, reloading every second)."""
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir),
               "--host", HOST, "--port", "{port}", "--load_fast", "false",
               "--reload_interval", "1"]  # fmt: skip
    return server(command, "/data/runs", log)


def mlflow_server(tracking_uri: str, log: Path):
    """`mlflow ui --backend-store-uri URI` on 127.0.0.1, one worker, no telemetry."""
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri,
               "--host", HOST, "--port", "{port}", "--workers", "1"]  # fmt: skip
    env = {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    return server(command, "/health", log, env)


def tensorboard_sessions(base: str) -> dict[str, dict]:
    """The HParams sessions TensorBoard lists: {session name: session group}."""
    statuses = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
    body = {"startIndex": 0, "sliceSize": 1000, "allowedStatuses": statuses}
    groups = http_json(f"{base}/data/plugin/hparams/session_groups", body)["sessionGroups"]
    return {group["name"]: group for group in groups}


def mlflow_runs(base: str, experiment_id: str) -> list[dict]:
    """The MLflow runs the server lists for an experiment (REST API runs/search)."""
    body = {"experiment_ids": [experiment_id], "max_results": 1000}
    return http_json(f"{base}/api/2.0/mlflow/runs/search", body).get("runs", [])


def measured(frame) -> dict[tuple[str, int], float]:
    """{(tag, epoch): value} of one run's Parquet metrics, named as the exports name them."""
    values = {}
    for row in frame.itertuples(index=False):
        if row.split == "train_running":
            values[("train_running/loss", row.epoch)] = row.loss
        else:
            values[(f"{row.split}/loss", row.epoch)] = row.loss
            values[(f"{row.split}/accuracy", row.epoch)] = row.accuracy
    return values


def final(frame, split: str, measure: str) -> float:
    """One run's `measure` on `split` at its last milestone."""
    rows = frame[frame["split"] == split]
    return rows.loc[rows["epoch"].idxmax(), measure]


def best_validation(frame) -> dict[tuple[str, int], float]:
    """The numbers at the milestone of lowest validation loss (the earliest of ties)."""
    milestones = frame[frame["split"] != "train_running"]
    validation = milestones[milestones["split"] == "validation"]
    epoch = int(validation.sort_values(["loss", "epoch"], kind="stable")["epoch"].iloc[0])
    values = {("best_validation/epoch", epoch): float(epoch)}
    for row in milestones[milestones["epoch"] == epoch].itertuples(index=False):
        values[(f"best_validation/{row.split}_loss", epoch)] = row.loss
        values[(f"best_validation/{row.split}_accuracy", epoch)] = row.accuracy
    return values


def _stop(process: subprocess.Popen) -> None:
    """End the server's process group: politely, then for sure (workers included)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    return "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
