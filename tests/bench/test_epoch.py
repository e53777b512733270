"""The fast training path and `ablation bench`.

The fast path (`FastMLP`, `fast_step`) must give bitwise the weights, losses and
random-generator state of the textbook autograd loop, for every activation, with
and without dropout, for fused and unfused optimizers; the benchmark must count the
floor's FLOPs exactly and feed the tutorial's loop the pipeline's very images.
Speed itself is measured by `ablation bench`, not asserted here.
"""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from ablation.bench import epoch as bench
from ablation.config import TrainConfig
from ablation.data import load_dataset, prepare_dataset
from ablation.training.fastpath import FastMLP, fast_step
from ablation.training.loop import (
    make_optimizer,
    make_splits,
    train_epoch,
    train_epoch_reference,
)
from ablation.training.model import ACTIVATIONS, SimpleNet
from conftest import TINY_STUDY, write_config

OPTIMIZERS = {
    "adam": ("Adam", {"lr": 1e-3}),
    "adamw": ("AdamW", {"lr": 1e-3}),
    "sgd": ("SGD", {"lr": 0.1}),
    "nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "rmsprop": ("RMSprop", {"lr": 1e-3}),
    "rmsprop-momentum": ("RMSprop", {"lr": 1e-3, "momentum": 0.9, "alpha": 0.9}),
    "rmsprop-centered": ("RMSprop", {"lr": 1e-3, "centered": True}),
    "amsgrad": ("Adam", {"lr": 1e-3, "amsgrad": True}),
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """As every training job runs (and bitwise results are promised per thread count)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def small(mnist):
    """700 training images: 10 full batches of 64 and a short one of 60."""
    cfg = TrainConfig(train_size=700, validation_size=1000)
    return make_splits(cfg, mnist, torch.device("cpu"))["train"]


def _train(epoch_fn, cfg: TrainConfig, x, y, epochs: int = 2):
    torch.manual_seed(cfg.seed)
    model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout)
    optimizer = make_optimizer(cfg, model)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    losses = [epoch_fn(model, optimizer, x, y, cfg.batch_size, shuffle) for _ in range(epochs)]
    return model, optimizer, losses, torch.get_rng_state(), shuffle.get_state()


def _assert_same_run(a, b):
    (model_a, opt_a, losses_a, rng_a, shuffle_a), (model_b, opt_b, losses_b, rng_b, shuffle_b) = (
        a,
        b,
    )
    assert losses_a == losses_b
    for (name, p), q in zip(
        model_a.state_dict().items(), model_b.state_dict().values(), strict=True
    ):
        assert torch.equal(p, q), name
    assert torch.equal(rng_a, rng_b) and torch.equal(shuffle_a, shuffle_b)
    state_a, state_b = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
    for i in state_a:
        for key in state_a[i]:
            assert torch.equal(state_a[i][key], state_b[i][key]), (i, key)


# ---------------------------------------------------------------------------- fast path


@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_fast_path_equals_autograd_for_every_activation(small, activation, dropout):
    cfg = TrainConfig(activation=activation, dropout=dropout, weight_decay=1e-4, seed=3)
    assert FastMLP.of(SimpleNet(activation, 128, dropout)) is not None
    _assert_same_run(_train(train_epoch, cfg, *small), _train(train_epoch_reference, cfg, *small))


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
@pytest.mark.parametrize("preset", sorted(OPTIMIZERS))
def test_fast_path_equals_autograd_for_every_optimizer(small, preset, weight_decay):
    cls, kwargs = OPTIMIZERS[preset]
    cfg = TrainConfig(
        activation="tanh", dropout=0.2, optimizer=preset, optimizer_class=cls,
        optimizer_kwargs=kwargs, weight_decay=weight_decay, seed=1,
    )  # fmt: skip
    _assert_same_run(_train(train_epoch, cfg, *small), _train(train_epoch_reference, cfg, *small))


def test_fast_path_is_deterministic(small):
    cfg = TrainConfig(dropout=0.2, seed=7)
    _assert_same_run(_train(train_epoch, cfg, *small), _train(train_epoch, cfg, *small))


def test_fast_step_only_where_it_is_the_same_call(small):
    model = SimpleNet()
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    fused = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    assert fast_step(fused) is None  # no state before the first step
    fused.step()
    assert fast_step(fused) is not None
    handle = fused.register_step_post_hook(lambda *args: None)
    assert fast_step(fused) is None  # hooks must run
    handle.remove()
    assert fast_step(torch.optim.Adam(model.parameters(), lr=1e-3, foreach=False)) is None
    assert fast_step(torch.optim.SGD(model.parameters(), lr=0.1, fused=True)) is not None
    momentum = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, fused=True)
    assert fast_step(momentum) is None  # a momentum buffer: left to optimizer.step()
    rmsprop = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    assert fast_step(rmsprop) is None  # no state before the first step
    rmsprop.step()
    assert fast_step(rmsprop) is not None  # no fused kernel in torch: written out
    centered = torch.optim.RMSprop(model.parameters(), lr=1e-3, centered=True)
    centered.step()
    assert fast_step(centered) is None
    adagrad = torch.optim.Adagrad(model.parameters(), lr=1e-3)
    adagrad.step()
    assert fast_step(adagrad) is None  # every other class: optimizer.step()


def test_other_models_train_through_autograd(small):
    x, y = small

    class Wider(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))

        def forward(self, inputs):
            return self.net(inputs)

    torch.manual_seed(0)
    model = Wider()
    before = [p.clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    assert FastMLP.of(model) is None
    loss = train_epoch(model, optimizer, x, y, 64, torch.Generator().manual_seed(0))
    assert 0 < loss < 5
    assert not any(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert FastMLP.of(SimpleNet("relu", 128, dropout=0.5).half()) is None  # float32 only


# ---------------------------------------------------------------------------- the bench


def test_epoch_flops_counts_forward_and_the_backward_actually_needed():
    # Per image: fc1 forward and weight gradient (2 x 784 x 128 multiply-adds), fc2 forward,
    # weight gradient and input gradient (3 x 128 x 10); no input gradient for fc1.
    per_image = 2 * (2 * 784 * 128 + 3 * 128 * 10)
    assert bench.epoch_flops(50_000, 64) == 50_000 * per_image
    assert bench.epoch_flops(100, 64, hidden=32) == 100 * 2 * (2 * 784 * 32 + 3 * 32 * 10)
    names = [p.name for p in bench.step_products(64)]
    assert "fc1 input gradient" not in names and len(names) == 5


def test_tutorial_reads_the_same_images(tmp_path, mnist):
    """The IDX files written for torchvision parse back to the pipeline's tensors."""
    root = bench.write_idx(mnist, tmp_path)
    again = load_dataset(prepare_dataset("mnist", tmp_path / "compact", root / "MNIST" / "raw"))
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        assert torch.equal(getattr(again, key), getattr(mnist, key)), key
    indices = torch.tensor([5, 17, 3])
    loader = bench.tutorial_loader(root, indices, batch_size=3)
    images, labels = next(iter(loader))
    assert images.shape == (3, 1, 28, 28) and images.dtype == torch.float32
    assert sorted(labels.tolist()) == sorted(mnist.train_labels[indices].tolist())


def test_bench_command_reports_all_ways_and_the_floor(tmp_path, mnist_raw, capsys):
    out = tmp_path / "bench.json"
    args = ["--local-dir", str(mnist_raw), "--train-size", "640", "--repeats", "2"]
    assert bench.main([*args, "--json", str(out), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    for label in bench.LABELS.values():
        assert label in printed
    result = json.loads(out.read_text())
    best = result["seconds_per_epoch"]["best"]
    assert set(best) == {"tutorial", "autograd", "pipeline"} and min(best.values()) > 0
    assert result["images"] == 640 and result["threads"] == 1
    assert result["floor"]["gflop"] == pytest.approx(bench.epoch_flops(640, 64) / 1e9)
    assert result["floor"]["seconds"] > 0 and result["floor"]["update_seconds"] > 0
    assert result["ratios"]["pipeline/floor"] == pytest.approx(
        best["pipeline"] / result["floor"]["seconds"]
    )
    assert result["checks"] == {
        "pipeline_repeats_identical": True,
        "pipeline_equals_autograd": True,
    }


def test_bench_without_data_says_what_to_pass(tmp_path, capsys):
    assert bench.main(["--data", str(tmp_path / "missing.pt"), "--skip-tutorial"]) == 1
    err = capsys.readouterr().err
    assert "missing.pt" in err and "--data" in err and "--local-dir" in err


def test_pack_bench_trains_the_first_pack_both_ways(tmp_path, mnist_raw, capsys):
    """`ablation bench --pack`: the study's runs of one data order, one after another
    and stacked, side by side; the weights agree."""
    study = dict(TINY_STUDY, grid=dict(TINY_STUDY["grid"], dropout=[0.0, 0.2]))
    (tmp_path / "config").mkdir()
    config = write_config(tmp_path, study)
    out = tmp_path / "pack.json"
    args = ["--pack", str(config), "--local-dir", str(mnist_raw), "--train-size", "640"]
    assert bench.main([*args, "--repeats", "1", "--device", "cpu", "--json", str(out)]) == 0
    assert "stacked / one after another" in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["members"] == 8  # 2 activations x 2 optimizers x 2 dropouts, seed 0
    assert result["images"] == 640 and result["epochs"] == 1
    assert set(result["seconds"]) == {"one after another", "stacked"}
    assert min(result["seconds"].values()) > 0
    assert result["largest_weight_difference"] <= 1e-5
