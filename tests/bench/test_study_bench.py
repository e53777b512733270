"""The study benchmark's scaling of a study and its split of the wall time."""

from __future__ import annotations

import pytest
import yaml

from ablation.bench.study import format_report, scaled_study, split_wall
from conftest import REPO


def test_scaled_study_cuts_epochs_and_milestones_and_keeps_every_cell():
    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    study = scaled_study(default, {"grid": {"seed": [0, 1]}}, epochs=2, train_size=5000)
    assert study["training"]["epochs"] == 2 and study["training"]["milestones"] == [1, 2]
    assert study["training"]["train_size"] == 5000
    assert study["grid"]["seed"] == [0, 1] and study["grid"]["activation"] == [
        "relu",
        "sigmoid",
        "tanh",
    ]
    assert default["training"]["epochs"] == 100  # the default config is left as it was


def test_wall_time_split_adds_up_and_shares_the_training_phase():
    jobs = [  # two jobs side by side, from t=10 to t=30 and t=12 to t=30
        {"started": 10.0, "ended": 30.0, "start_up": 4.0, "training": 12.0,
         "evaluation": 3.0, "writing": 1.0, "runs": 2},
        {"started": 12.0, "ended": 30.0, "start_up": 4.0, "training": 12.0,
         "evaluation": 1.0, "writing": 1.0, "runs": 2},
    ]  # fmt: skip
    parts = split_wall(0.0, 40.0, jobs)
    assert sum(parts.values()) == pytest.approx(40.0)
    assert parts["tail"] == pytest.approx(10.0)
    # 20 s of training phase shared as the jobs spent it: 8 : 24 : 6 of 38 job-seconds
    assert parts["training"] == pytest.approx(20 * 24 / 38)
    assert parts["start-up"] == pytest.approx(10 + 20 * 8 / 38)
    result = {
        "study": "s.yaml", "epochs": 2, "cores": 2, "device": "cpu", "train_size": None,
        "ways": {"packed": {"wall": 40.0, "parts": parts, "jobs": jobs},
                 "one job per run": {"wall": 80.0, "parts": parts, "jobs": jobs * 2}},
        "ratio": 0.5,
    }  # fmt: skip
    text = format_report(result)
    assert "4 runs" in text and "0.50x" in text and "analysis/report tail" in text
