"""The fast path's kernel check: a torch without one of its kernels trains through autograd."""

from __future__ import annotations

import logging

import pytest
import torch

from ablation import fastpath
from ablation.config import TrainConfig
from ablation.fastpath import FastMLP, missing_kernels
from ablation.model import SimpleNet
from ablation.train import make_optimizer, make_splits, train_epoch


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
