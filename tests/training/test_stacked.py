"""Stacked packs (the GPU's way, tested here on the CPU): equal to the runs alone,
independent of pack mates, reproducible, resumable, and a diverging member stops alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from test_pack import TINY, assert_same_result, diverging_pack, every_combination

from ablation.config import grid_cells, run_config, run_path, validate_config
from ablation.data import load_dataset
from ablation.training import pack as lockstep
from ablation.training.loop import train
from ablation.training.pack import train_pack
from ablation.training.stacked import StackedMLP
from conftest import TINY_STUDY, snakemake, write_config
from robustness_helpers import one_thread, saved_epoch  # noqa: F401  one_thread: a fixture

pytestmark = pytest.mark.usefixtures("one_thread")

TWO_EPOCHS = replace(TINY, epochs=2, milestones=(1, 2))
# On this machine's CPU kernels a stacked member equals the run alone bitwise; the
# tests allow float reordering of the matrix products (CPU kernels may block them by
# shape). A wrong dropout mask or optimizer update moves weights by far more.
TOLERANCE = 1e-5
# Weights after two epochs: the stacked matmuls sum in another order, and Adam/RMSprop
# divide small gradients by their own running size, which magnifies that rounding; on
# some CPUs a weight ends 1e-5 apart (the losses still agree to 1e-5, relative).
WEIGHT_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def small(mnist):
    return replace(
        mnist, test_images=mnist.test_images[:1000], test_labels=mnist.test_labels[:1000]
    )


@pytest.fixture
def stacks(monkeypatch):
    """How many members each stacked epoch trained (the real class, counted)."""
    sizes = []

    class Counted(StackedMLP):
        def epoch(self, inputs, labels, batch_size):
            sizes.append(len(self.members))
            return super().epoch(inputs, labels, batch_size)

    monkeypatch.setattr(lockstep, "StackedMLP", Counted)
    return sizes


def assert_close_result(alone, stacked) -> None:
    """The same run up to float reordering: status, every milestone, every weight."""
    assert stacked.config == alone.config
    assert (stacked.status, stacked.diverged_epoch) == (alone.status, alone.diverged_epoch)
    assert [(r["epoch"], r["split"]) for r in stacked.history] == [
        (r["epoch"], r["split"]) for r in alone.history
    ]
    for mine, theirs in zip(stacked.history, alone.history, strict=True):
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=TOLERANCE)
        if theirs["accuracy"] is not None:
            assert mine["accuracy"] == pytest.approx(theirs["accuracy"], abs=0.002)
    for name, weight in alone.model.state_dict().items():
        assert torch.allclose(
            stacked.model.state_dict()[name], weight, rtol=0, atol=WEIGHT_TOLERANCE
        )


def test_a_stacked_pack_equals_its_runs_alone_for_every_combination(small, stacks):
    """8 activations x 4 optimizers x 2 dropouts x 2 weight decays in one stack."""
    cfgs = every_combination(TWO_EPOCHS)
    results = train_pack(cfgs, small, stacked=True)
    assert stacks == [len(cfgs)] * 2  # one stack, both epochs
    for cfg, stacked in zip(cfgs, results, strict=True):
        assert_close_result(train(cfg, small), stacked)


def test_members_of_other_hidden_sizes_stack_apart(small, stacks):
    cfgs = [
        replace(TWO_EPOCHS, hidden_size=size, activation=activation, dropout=0.2)
        for size in (32, 64)
        for activation in ("relu", "gelu")
    ]
    results = train_pack(cfgs, small, stacked=True)
    assert sorted(stacks) == [2, 2, 2, 2]
    for cfg, stacked in zip(cfgs, results, strict=True):
        assert_close_result(train(cfg, small), stacked)


def test_a_member_does_not_depend_on_its_pack_mates(small):
    """Its own dropout generator: the masks do not change with who shares the stack."""
    member = replace(TWO_EPOCHS, activation="tanh", dropout=0.2)
    mates = [replace(member, activation=a) for a in ("relu", "sigmoid", "elu")]
    pair = train_pack([mates[0], member], small, stacked=True)[1]
    four = train_pack([*mates, member], small, stacked=True)[3]
    for name, weight in pair.model.state_dict().items():
        assert torch.allclose(four.model.state_dict()[name], weight, rtol=0, atol=TOLERANCE)


def test_a_stacked_rerun_is_identical(small):
    cfgs = [replace(TWO_EPOCHS, activation=a, dropout=0.2) for a in ("relu", "gelu", "tanh")]
    first, again = train_pack(cfgs, small, stacked=True), train_pack(cfgs, small, stacked=True)
    for a, b in zip(first, again, strict=True):
        assert_same_result(a, b)


class Interrupt(Exception):
    """Stands in for a kill between two epochs."""


@pytest.mark.parametrize(("save_every", "saved"), [(0.0, [2, 2]), (None, [None, None])])
def test_a_killed_stacked_pack_resumes_every_member_exactly(small, tmp_path, save_every, saved):
    """Saved after every epoch (save_every 0), or, by default, every 10 s: a pack of
    three short epochs saves nothing before the kill and starts over, exactly."""
    base = replace(TINY, epochs=3, milestones=(1, 3), dropout=0.2)
    cfgs = [base, replace(base, optimizer="rmsprop", optimizer_class="RMSprop")]
    states = [tmp_path / "a.pt", tmp_path / "b.pt"]
    options = {"stacked": True, "save_every": save_every}

    def stop(cfg, summary):
        if cfg is cfgs[-1] and summary["epoch"] == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        train_pack(cfgs, small, state_paths=states, on_epoch=stop, **options)
    assert [saved_epoch(s) if s.exists() else None for s in states] == saved
    resumed = train_pack(cfgs, small, state_paths=states, **options)
    for whole, again in zip(train_pack(cfgs, small, stacked=True), resumed, strict=True):
        assert_same_result(whole, again)


def test_a_diverging_member_stops_alone_in_a_stack(small):
    cfgs = diverging_pack()
    results = train_pack(cfgs, small, stacked=True)
    assert [r.status for r in results] == ["completed", "diverged", "completed"]
    for cfg, stacked in zip(cfgs, results, strict=True):
        assert_close_result(train(cfg, small), stacked)


def final_test_accuracies(data, device, stacked: bool, seeds=(0, 1, 2, 3, 4)) -> dict:
    """Final test accuracy of each configuration of a tiny study, per seed."""
    base = replace(TINY, epochs=2, milestones=(2,), train_size=2000, validation_size=1000)
    cells = [
        replace(base, activation=activation, dropout=dropout)
        for activation in ("relu", "tanh")
        for dropout in (0.0, 0.2)
    ]
    accuracies: dict[tuple, list[float]] = {}
    for seed in seeds:
        cfgs = [replace(cell, seed=seed) for cell in cells]
        for cfg, result in zip(cfgs, train_pack(cfgs, data, device, stacked=stacked), strict=True):
            final = [r["accuracy"] for r in result.history if r["split"] == "test"][-1]
            accuracies.setdefault((cfg.activation, cfg.dropout), []).append(final)
    return accuracies


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
            ],
        ),
    ],
)
def test_stacked_accuracies_agree_with_the_cpu_pipeline_within_seed_noise(small, device):
    """Per configuration, the mean final test accuracy of stacked packs on `device` and of
    the CPU pipeline (members one after another) differ by less than the 95% t-interval
    of a difference of two means over the seeds. On the CPU they are equal; on a GPU
    float reordering differs, and with dropout CUDA's masks, as another seed would."""
    cpu = final_test_accuracies(small, "cpu", stacked=False)
    other = final_test_accuracies(small, device, stacked=True)
    for config, theirs in cpu.items():
        mine, n = np.array(other[config]), len(theirs)
        spread = np.sqrt((np.var(theirs, ddof=1) + np.var(mine, ddof=1)) / n)
        half = stats.t.ppf(0.975, 2 * n - 2) * spread
        assert abs(mine.mean() - np.mean(theirs)) <= half + 1e-12, (config, mine, theirs)


# ---------------------------------------------------------------------------- workflow


@pytest.mark.workflow
def test_snakemake_trains_stacked_packs_on_request(workdir):
    """ABLATION_STACK=on (the GPU's default) through the real workflow on the CPU: every
    run's files in place, each equal to the run trained alone."""
    study = {**TINY_STUDY, "grid": {**TINY_STUDY["grid"], "dropout": [0.2], "seed": [0]}}
    config = write_config(workdir, study)
    snakemake(
        workdir, "results/metrics.parquet", "--configfile", str(config),
        env={"ABLATION_STACK": "on"},
    )  # fmt: skip
    logs = "".join(p.read_text() for p in (workdir / "logs" / "train_pack").glob("*.log"))
    assert "members trained stacked" in logs
    data = load_dataset(workdir / "results" / "data" / "mnist.pt")
    metrics = pd.read_parquet(workdir / "results" / "metrics.parquet")
    config_dict = validate_config(study)
    for cell in grid_cells(config_dict):
        alone = train(run_config(config_dict, cell), data)
        ran = metrics[metrics["run_id"] == run_path(cell)]
        for row in alone.history:
            got = ran[(ran["epoch"] == row["epoch"]) & (ran["split"] == row["split"])]
            assert got["loss"].item() == pytest.approx(row["loss"], rel=TOLERANCE)


@pytest.mark.workflow
def test_an_unknown_stacking_setting_stops_before_any_job(workdir):
    done = snakemake(
        workdir, "-n", "--configfile", str(write_config(workdir)),
        check=False, env={"ABLATION_STACK": "maybe"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "ABLATION_STACK='maybe'" in done.stderr + done.stdout
    assert "auto, on or off" in done.stderr + done.stdout
