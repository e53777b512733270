"""`ablation.memory`: what training one run needs, estimated at plan time."""

from __future__ import annotations

import dataclasses

from ablation.config import TrainConfig
from ablation.memory import (
    Estimate,
    estimate,
    human,
    largest_fitting,
    machine_memory,
    optimizer_buffers,
    parameters,
)

GB = 10**9


def test_the_network_and_its_weights():
    assert parameters(128) == 784 * 128 + 128 + 128 * 10 + 10  # SimpleNet's state dict
    wide = estimate(TrainConfig(hidden_size=100_000_000))
    assert 310 * GB < wide.weights < 320 * GB  # float32 weights of 784 -> 1e8 -> 10
    assert wide.model == 5 * wide.weights  # + gradients, last finite copy, Adam's 2 moments


def test_the_optimizers_buffers():
    def of(cls: str, **kwargs) -> int:
        return optimizer_buffers(
            TrainConfig(optimizer_class=cls, optimizer_kwargs={"lr": 0.1, **kwargs})
        )

    assert of("SGD") == 0 and of("SGD", momentum=0.9) == 1
    assert of("Adam") == 2 and of("Adam", amsgrad=True) == 3
    assert of("RMSprop", momentum=0.9, centered=True) == 3
    assert of("Unheard") == 2


def test_the_default_run_fits_in_little_memory():
    need = estimate(TrainConfig())
    assert 0.9 * GB < need.total < 1.5 * GB  # a job's measured peak RSS is ~0.9 GB
    assert need.culprit(need.total) == "train_size"  # the images weigh most at width 128


def test_the_culprit_is_the_width_where_the_network_alone_does_not_fit():
    need = Estimate(base=1, model=10, batches=100, evaluation=0, images=1, weights=2)
    assert need.culprit(memory=50) == "batch_size"
    assert need.culprit(memory=5) == "hidden_size"


def test_the_largest_value_that_fits():
    cfg = TrainConfig(hidden_size=10_000_000)
    for setting in ("hidden_size", "batch_size", "eval_batch_size"):
        fits = largest_fitting(cfg, setting, 16 * GB)
        at = dataclasses.replace
        assert estimate(at(cfg, **{setting: fits})).total <= 16 * GB or fits == 0
        assert estimate(at(cfg, **{setting: fits + 1})).total > 16 * GB
    assert largest_fitting(cfg, "hidden_size", 16 * GB) > 100_000
    assert largest_fitting(cfg, "batch_size", 16 * GB) == 0  # the width alone is too much


def test_sizes_read_as_people_write_them():
    assert human(318e9) == "318 GB"
    assert human(1.6e12) == "1.6 TB"
    assert human(2.5e9) == "2.5 GB"
    assert human(950e6) == "950 MB"
    assert human(407e3) == "407 kB"


def test_this_machines_memory_is_known():
    memory = machine_memory()
    assert memory is None or memory > 10**8
