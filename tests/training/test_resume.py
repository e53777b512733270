"""Interrupted training resumes exactly: in-process, and after `kill -9` of a real Snakemake run."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
import torch

from ablation.config import TrainConfig
from ablation.training.loop import train
from robustness_helpers import (  # one_thread: a fixture
    one_thread,  # noqa: F401
    saved_epoch,
)

pytestmark = pytest.mark.usefixtures("one_thread")

SMALL = TrainConfig(epochs=4, milestones=(1, 3, 4), train_size=640, validation_size=500)
CASES = {
    # fused Adam keeps its step counters as tensors; dropout draws from the global RNG
    "adam-dropout": replace(SMALL, dropout=0.3),
    "sgd-momentum": replace(
        SMALL,
        optimizer="sgdm",
        optimizer_class="SGD",
        weight_decay=1e-4,
        optimizer_kwargs={"lr": 0.05, "momentum": 0.9, "nesterov": True},
    ),
    "rmsprop": replace(SMALL, optimizer="rmsprop", optimizer_class="RMSprop", dropout=0.1),
}
# Columns that differ between two runs of the same config: timing and where it ran.
NOT_COMPARED = [
    "train_seconds",
    "train_cpu_seconds",
    "device",
    "threads",
    "torch_version",
    "ablation_version",
    "git_commit",
]


class Interrupt(Exception):
    """Stands in for Ctrl-C after an epoch."""


def stop_after(epoch: int):
    def on_epoch(summary: dict) -> None:
        if summary["epoch"] == epoch:
            raise Interrupt

    return on_epoch


def assert_same(a, b, where: str = "") -> None:
    """Bitwise equality of nested tensors, dicts, lists and numbers."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype, where
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"  # NaN == NaN here


def without_timing(blob: dict) -> dict:
    blob = dict(blob)
    blob.pop("train_seconds")
    blob.pop("train_cpu_seconds", None)
    blob["history"] = [
        {k: v for k, v in row.items() if k not in ("train_seconds", "train_cpu_seconds")}
        for row in blob["history"]
    ]
    return blob


def load(path):
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.mark.parametrize("cfg", CASES.values(), ids=CASES.keys())
def test_resumed_run_is_bitwise_identical(cfg, mnist, tmp_path):
    full = train(cfg, mnist, state_path=tmp_path / "full.pt")
    with pytest.raises(Interrupt):
        train(cfg, mnist, state_path=tmp_path / "cut.pt", on_epoch=stop_after(2))
    assert saved_epoch(tmp_path / "cut.pt") == 2
    resumed = train(cfg, mnist, state_path=tmp_path / "cut.pt")

    for name, weight in full.model.state_dict().items():
        assert torch.equal(weight, resumed.model.state_dict()[name]), name
    assert torch.equal(full.confusion, resumed.confusion)
    timing = ("train_seconds", "train_cpu_seconds")
    strip = [{k: v for k, v in row.items() if k not in timing} for row in full.history]
    assert strip == [{k: v for k, v in r.items() if k not in timing} for r in resumed.history]
    # The last saved states agree in everything: optimizer moments and step counters,
    # every random generator, the history and the last finite weights.
    a, b = load(tmp_path / "full.pt"), load(tmp_path / "cut.pt")
    assert a["epoch"] == b["epoch"] == cfg.epochs
    assert a["optimizer"]["state"], "the optimizer state must be saved"
    assert_same(without_timing(a), without_timing(b))


def test_unusable_states_are_ignored(mnist, tmp_path, caplog):
    """Another config's state, an old layout, a torn or foreign file: a fresh start, same result."""
    fresh = train(SMALL, mnist)
    other = replace(SMALL, epochs=3, milestones=(1, 3))
    train(other, mnist, state_path=tmp_path / "other.pt")  # a finished state of another config
    (tmp_path / "garbage.pt").write_bytes(os.urandom(5000))
    real = (tmp_path / "other.pt").read_bytes()
    (tmp_path / "torn.pt").write_bytes(real[: len(real) // 2])
    old = load(tmp_path / "other.pt")
    del old["format"]
    torch.save(dict(old, config_hash=SMALL.hash()), tmp_path / "old.pt")

    for name, problem in [
        ("other.pt", "another configuration"),
        ("garbage.pt", "unreadable"),
        ("torn.pt", "unreadable"),
        ("old.pt", "another version"),
    ]:
        caplog.clear()
        result = train(SMALL, mnist, state_path=tmp_path / name)
        assert problem in caplog.text, name
        assert fresh.history[-1]["loss"] == result.history[-1]["loss"], name
        assert torch.equal(fresh.model.fc1.weight, result.model.fc1.weight), name
        assert saved_epoch(tmp_path / name) == SMALL.epochs  # replaced by this run's state


# kill -9 of Snakemake and its (pack) job: tests/training/test_pack.py
