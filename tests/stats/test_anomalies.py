"""Loss spikes, non-finite losses and accuracy drops found where they were planted."""

from __future__ import annotations

import numpy as np
import pytest

from ablation.stats import find_anomalies
from ablation.stats.anomalies import loss_spikes
from stats_helpers import study
from synthetic import run_metrics


def running_run(running, *, seed=0, test_accuracy=(0.9, 0.95, 0.96), status="completed", **kw):
    milestones = [1, 2, 3]
    return run_metrics(
        seed=seed, running_loss=running, milestones=milestones,
        train=([0.3, 0.2, 0.1], [0.9, 0.95, 0.97]), test=([0.3, 0.2, 0.1], list(test_accuracy)),
        validation=([0.3, 0.2, 0.1], [0.9, 0.95, 0.96]), status=status, **kw,
    )  # fmt: skip


def smooth(epochs=60):
    return 0.02 + 0.5 / np.arange(1, epochs + 1)


def test_constructed_spike_is_found_with_its_score():
    running = smooth()
    running[29] *= 3  # epoch 30
    found = find_anomalies(running_run(running))
    spikes = found[found["kind"] == "loss_spike"]
    assert spikes["epoch"].tolist() == [30]
    spike = spikes.iloc[0]
    previous = smooth()[19:29]  # epochs 20-29, the default window of 10
    assert spike["reference"] == pytest.approx(np.median(previous))
    mad = np.median(np.abs(previous - np.median(previous)))
    assert spike["size"] == pytest.approx((running[29] - np.median(previous)) / (1.4826 * mad))
    assert spike["split"] == "train_running" and spike["value"] == pytest.approx(running[29])


def test_smooth_training_and_falling_loss_have_no_spike():
    assert find_anomalies(running_run(smooth())).empty
    falling = smooth()
    falling[10] /= 3  # a sudden improvement is not an anomaly
    assert loss_spikes(running_run(falling)).empty


def test_flat_history_needs_the_minimum_rise():
    flat = np.full(30, 0.05)
    flat[20] = 0.051  # MAD 0 makes the score infinite, but +2 % is noise
    assert loss_spikes(running_run(flat), min_rise=0.25).empty
    flat[20] = 0.08
    assert loss_spikes(running_run(flat), min_rise=0.25)["epoch"].tolist() == [21]


def test_threshold_and_window_are_honoured():
    running = smooth()
    running[29] *= 1.3  # a robust score of about 2.4 against the previous 10 epochs
    assert loss_spikes(running_run(running), threshold=2, min_rise=0.1)["epoch"].tolist() == [30]
    assert loss_spikes(running_run(running), threshold=5, min_rise=0.1).empty
    short = loss_spikes(running_run(running), window=3, threshold=2, min_rise=0.1)
    assert short.iloc[0]["reference"] == pytest.approx(np.median(smooth()[26:29]))
    early = smooth()
    early[1] *= 3  # epoch 2: one epoch of history is too little to judge
    assert loss_spikes(running_run(early)).empty


def test_non_finite_loss_with_its_epoch():
    running = list(smooth(7))
    running[-1] = np.inf
    found = find_anomalies(running_run(running, status="diverged", diverged_epoch=7))
    bad = found[found["kind"] == "non_finite_loss"]
    assert bad["epoch"].tolist() == [7] and np.isinf(bad.iloc[0]["value"])
    assert bad.iloc[0]["split"] == "train_running"


def test_accuracy_drop_between_milestones():
    found = find_anomalies(
        study(
            running_run(smooth(), seed=0, test_accuracy=(0.90, 0.95, 0.90)),
            running_run(smooth(), seed=1, test_accuracy=(0.90, 0.95, 0.94)),  # -1 point only
        ),
        accuracy_drop=0.02,
    )
    drops = found[found["kind"] == "accuracy_drop"]
    assert len(drops) == 1
    drop = drops.iloc[0]
    assert drop["seed"] == 0 and drop["epoch"] == 3 and drop["split"] == "test"
    assert drop["size"] == pytest.approx(0.05) and drop["reference"] == 0.95
    assert drop["activation"] == "relu"  # keys of the run are attached
