"""The fast path's kernel check: a torch without one of its kernels trains through autograd."""

from __future__ import annotations

import logging

import pytest
import torch

from ablation.config import TrainConfig
from ablation.training import fastpath
from ablation.training.fastpath import FastMLP, missing_kernels
from ablation.training.loop import make_optimizer, make_splits, train_epoch
from ablation.training.model import SimpleNet


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _two_epochs(cfg: TrainConfig, x, y):
    torch.manual_seed(cfg.seed)
    model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout)
    optimizer = make_optimizer(cfg, model)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    losses = [train_epoch(model, optimizer, x, y, cfg.batch_size, shuffle) for _ in range(2)]
    return losses, model.state_dict()


def test_this_torch_has_every_kernel():
    assert missing_kernels() == []


def test_missing_kernel_falls_back_to_autograd_with_one_warning(mnist, monkeypatch, caplog):
    cfg = TrainConfig(activation="tanh", dropout=0.2, train_size=300, validation_size=1000)
    x, y = make_splits(cfg, mnist, torch.device("cpu"))["train"]
    fast_losses, fast_weights = _two_epochs(cfg, x, y)

    # As a future torch without this private kernel would be:
    monkeypatch.delattr(torch, "_log_softmax_backward_data")
    monkeypatch.setattr(fastpath, "_warned", set())
    assert missing_kernels() == ["torch._log_softmax_backward_data"]
    assert FastMLP.of(SimpleNet()) is None
    with caplog.at_level(logging.WARNING, logger="ablation"):
        losses, weights = _two_epochs(cfg, x, y)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "_log_softmax_backward_data" in warnings[0]
    assert "autograd" in warnings[0]
    # Autograd calls the same kernels: the very same run, only slower.
    assert losses == fast_losses
    for name, weight in weights.items():
        assert torch.equal(weight, fast_weights[name]), name


def test_alike_optimizers_step_as_one_and_as_if_alone(monkeypatch):
    """`fast_steps`: optimizers of one class and hyperparameters in one fused call, the
    others apart; every weight and moment bitwise as each optimizer's own `step()`."""
    presets = [("Adam", {"lr": 1e-3}), ("Adam", {"lr": 1e-3}), ("Adam", {"lr": 2e-3}),
               ("RMSprop", {"lr": 1e-3}), ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1})]  # fmt: skip
    ways = []
    for _ in range(2):
        torch.manual_seed(0)
        models = [SimpleNet() for _ in presets]
        cfgs = [TrainConfig(optimizer_class=c, optimizer_kwargs=k) for c, k in presets]
        optimizers = [make_optimizer(cfg, m) for cfg, m in zip(cfgs, models, strict=True)]
        ways.append((models, optimizers))
    (fused_models, fused), (own_models, own) = ways
    adam_calls, kernel = [], torch._fused_adam_

    def counted(*args, **kwargs):
        adam_calls.append(1)
        return kernel(*args, **kwargs)

    monkeypatch.setattr(torch, "_fused_adam_", counted)
    for step in range(3):
        torch.manual_seed(step)
        grads = [[torch.randn_like(p) for p in m.parameters()] for m in fused_models]
        for models in (fused_models, own_models):
            for model, model_grads in zip(models, grads, strict=True):
                for p, g in zip(model.parameters(), model_grads, strict=True):
                    p.grad = g.clone()
        if step == 0:  # the first step creates the state
            for optimizer in fused:
                optimizer.step()
        else:
            adam_calls.clear()
            with torch.no_grad():  # as in every training loop that calls it
                fastpath.fast_steps(fused)()
            assert len(adam_calls) == 2  # lr 1e-3 twice in one call, lr 2e-3 in another
        for optimizer in own:
            optimizer.step()
    for a, b in zip(fused_models, own_models, strict=True):
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            assert torch.equal(p, q)
    for a, b in zip(fused, own, strict=True):
        mine, theirs = a.state_dict()["state"], b.state_dict()["state"]
        for index, moments in theirs.items():
            for name, value in moments.items():
                assert torch.equal(mine[index][name], value), (index, name)
