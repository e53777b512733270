from __future__ import annotations

import math

import pytest
import torch

from ablation.config import TrainConfig
from ablation.training.loop import confusion_matrix, evaluate, select_device, split_indices, train
from ablation.training.model import SimpleNet

TINY = TrainConfig(epochs=2, milestones=(1, 2), train_size=1000, validation_size=1000)


def test_split_is_fixed_disjoint_and_capped():
    train_idx, val_idx = split_indices(TINY, 60_000)
    assert len(val_idx) == 1000 and len(train_idx) == 1000
    assert not set(train_idx.tolist()) & set(val_idx.tolist())
    again, val_again = split_indices(
        TrainConfig(seed=5, train_size=1000, validation_size=1000), 60_000
    )
    assert torch.equal(val_idx, val_again)  # the validation split does not depend on the seed
    assert not torch.equal(train_idx, again)  # the training subset does (ablation.data)


def test_no_validation_split():
    train_idx, val_idx = split_indices(TrainConfig(validation_size=0), 60_000)
    assert len(val_idx) == 0 and len(train_idx) == 60_000


def test_history_has_every_epoch_and_milestones(mnist):
    cfg = TrainConfig(epochs=3, milestones=(1, 3), train_size=1000, validation_size=1000)
    result = train(cfg, mnist)
    running = [r for r in result.history if r["split"] == "train_running"]
    assert [r["epoch"] for r in running] == [1, 2, 3]
    measured = {(r["epoch"], r["split"]) for r in result.history if r["split"] != "train_running"}
    assert measured == {(e, s) for e in (1, 3) for s in ("train", "validation", "test")}
    assert all(math.isfinite(r["loss"]) for r in result.history)
    assert result.status == "completed" and result.train_size == 1000
    assert int(result.confusion.sum()) == 10_000


def test_cpu_time_is_recorded_next_to_wall_time(mnist):
    # process CPU time of the training steps: what other work on the machine cannot inflate
    torch.set_num_threads(1)
    result = train(TINY, mnist)
    running = [r for r in result.history if r["split"] == "train_running"]
    cpu = [r["train_cpu_seconds"] for r in running]
    assert 0 < cpu[0] < cpu[1]  # accumulates epoch by epoch
    wall = running[-1]["train_seconds"]
    assert cpu[-1] <= 1.5 * wall + 0.05  # one thread: CPU time cannot much exceed wall time
    test = [r for r in result.history if r["split"] == "test" and r["epoch"] == 2][0]
    assert test["train_cpu_seconds"] == cpu[1]  # milestone rows carry the time so far


def test_training_learns(mnist):
    cfg = TrainConfig(epochs=2, milestones=(2,), train_size=5000, validation_size=1000)
    result = train(cfg, mnist)
    test = next(r for r in result.history if r["split"] == "test")
    assert test["accuracy"] > 0.85  # chance is 0.10


def test_rerun_is_bitwise_identical(mnist):
    cfg = TrainConfig(
        dropout=0.2,
        **{k: getattr(TINY, k) for k in ("epochs", "milestones", "train_size", "validation_size")},
    )
    torch.set_num_threads(1)
    a, b = train(cfg, mnist), train(cfg, mnist)
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key]), key
    timing = ("train_seconds", "train_cpu_seconds")
    strip = lambda h: [{k: v for k, v in r.items() if k not in timing} for r in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)


def test_seeds_differ(mnist):
    a = train(TINY, mnist)
    b = train(TrainConfig(**{**TINY.to_dict(), "milestones": (1, 2), "seed": 1}), mnist)
    assert not torch.equal(a.model.fc1.weight, b.model.fc1.weight)


def test_evaluate_matches_a_plain_forward_pass(mnist):
    torch.manual_seed(0)
    model = SimpleNet()
    x = mnist.test_images[:500].reshape(500, -1).float() / 255
    y = mnist.test_labels[:500]
    result = evaluate(model, x, y, batch_size=128)
    with torch.no_grad():
        logits = model(x)
    expected = torch.nn.functional.cross_entropy(logits, y).item()
    assert abs(result["loss"] - expected) < 1e-5
    assert result["accuracy"] == pytest.approx((logits.argmax(1) == y).double().mean().item())


def test_confusion_matrix_counts_pairs():
    pred = torch.tensor([0, 1, 1, 2])
    true = torch.tensor([0, 1, 2, 2])
    cm = confusion_matrix(pred, true)
    assert cm[0, 0] == 1 and cm[1, 1] == 1 and cm[2, 1] == 1 and cm[2, 2] == 1
    assert int(cm.sum()) == 4


def test_auto_device_is_cpu_without_cuda():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto").type == expected
    assert select_device("cpu").type == "cpu"
