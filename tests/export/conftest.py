"""The tiny study's finished runs as the exports read them, and their Parquet metrics."""

from __future__ import annotations

import pandas as pd
import pytest

from ablation.cli.export import finished_runs
from ablation.metrics import read_metrics
from ablation.study import load_study

STUDY_FILES = ("config/config.yaml", "config/study.yaml")  # the tiny study's config layers


@pytest.fixture(scope="session")
def study(tiny_study) -> dict:
    return load_study([tiny_study / name for name in STUDY_FILES])[0]


@pytest.fixture(scope="session")
def runs(tiny_study, study) -> list:
    """The tiny study's eight finished runs (`ablation.export.runs.FinishedRun`)."""
    found = finished_runs(tiny_study, study)
    assert len(found) == 8
    return found


@pytest.fixture(scope="session")
def metrics(runs) -> dict[str, pd.DataFrame]:
    """Each run's metrics.parquet, by run id."""
    return {run.run_id: read_metrics(run.folder / "metrics.parquet") for run in runs}
