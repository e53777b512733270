"""The training loop: in-memory tensors, seeded shuffles, index batches, no DataLoader.

CPU and GPU share one code path. On the CPU with a fixed thread count, a run
is bitwise reproducible, also across an interruption: the resume state holds
the model, optimizer and every random generator.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ablation.config import TrainConfig
from ablation.data import Dataset
from ablation.io import atomic_write
from ablation.model import CLASSES, SimpleNet

SPLIT_SEED = 20_240_101  # the validation split is the same for every run and seed


@dataclass
class RunResult:
    """What a finished (or diverged) run leaves behind."""

    config: TrainConfig
    model: nn.Module  # weights after the last epoch, or at the last finite milestone if diverged
    history: list[dict[str, Any]]  # rows: epoch, split, loss, accuracy, train_seconds
    status: str = "completed"
    diverged_epoch: int | None = None
    confusion: torch.Tensor = field(default_factory=lambda: torch.zeros(CLASSES, CLASSES))
    train_size: int = 0


# ---------------------------------------------------------------------------- setup


def set_threads(threads: int) -> None:
    """Pin intra-op threads, so parallel jobs never oversubscribe the cores."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch.set_num_threads(threads)


def select_device(spec: str = "auto") -> torch.device:
    """`auto` picks CUDA when present, else the CPU; anything else is passed to torch."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {spec!r} requested but CUDA is not available; use auto or cpu")
    return device


def split_indices(cfg: TrainConfig, n_train: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fixed train/validation split of the training images, then the optional cap."""
    perm = torch.randperm(n_train, generator=torch.Generator().manual_seed(SPLIT_SEED))
    val_idx, train_idx = perm[: cfg.validation_size], perm[cfg.validation_size :]
    if cfg.train_limit is not None:
        train_idx = train_idx[: cfg.train_limit]
    return train_idx.sort().values, val_idx.sort().values


def make_splits(cfg: TrainConfig, data: Dataset, device: torch.device) -> dict[str, tuple]:
    """Images scaled to [0, 1] as float32 rows of 784 (as ToTensor + flatten), on `device`."""

    def prep(images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = images.reshape(len(images), -1).to(device=device, dtype=torch.float32).div_(255)
        return x, labels.to(device)

    train_idx, val_idx = split_indices(cfg, len(data.train_images))
    splits = {"train": prep(data.train_images[train_idx], data.train_labels[train_idx])}
    if len(val_idx):
        splits["validation"] = prep(data.train_images[val_idx], data.train_labels[val_idx])
    splits["test"] = prep(data.test_images, data.test_labels)
    return splits


def make_optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    """The preset's optimizer, fused where torch offers it (one kernel per step, same maths)."""
    cls = getattr(torch.optim, cfg.optimizer_class)
    kwargs = dict(cfg.optimizer_kwargs, weight_decay=cfg.weight_decay)
    if "fused" in cls.__init__.__code__.co_varnames:
        try:
            return cls(model.parameters(), **kwargs, fused=True)
        except (RuntimeError, TypeError, ValueError):
            pass  # this device or dtype has no fused kernel
    return cls(model.parameters(), **kwargs)


# ---------------------------------------------------------------------------- the loop


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
) -> float:
    """One pass over (x, y) in a seeded random order; returns the mean minibatch loss."""
    model.train()
    n = len(x)
    order = torch.randperm(n, generator=generator).to(x.device)
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach() * len(idx)  # stays on the device: no sync per batch
    return (total / n).item()


@torch.inference_mode()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 10_000
) -> dict[str, Any]:
    """Mean cross-entropy, accuracy and predictions of `model` on (x, y)."""
    model.eval()
    loss = torch.zeros((), dtype=torch.float64, device=x.device)
    preds = []
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size])
        loss += F.cross_entropy(logits, y[start : start + batch_size], reduction="sum")
        preds.append(logits.argmax(dim=1))
    pred = torch.cat(preds)
    return {
        "loss": loss.item() / len(x),
        "accuracy": (pred == y).double().mean().item(),
        "predictions": pred,
    }


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Counts [true class, predicted class]."""
    flat = target.cpu() * CLASSES + pred.cpu()
    return torch.bincount(flat, minlength=CLASSES * CLASSES).reshape(CLASSES, CLASSES)


def train(
    cfg: TrainConfig,
    data: Dataset,
    device: torch.device | str = "cpu",
    state_path: str | Path | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Train one run of the grid.

    Parameters
    ----------
    cfg : the run's configuration.
    data : the dataset, as loaded by `ablation.data.load_dataset`.
    device : where to train.
    state_path : resume state; written after every epoch, read on start if present
        (and if it belongs to the same config), deleted by the caller when done.
    on_epoch : called with each epoch's summary (progress logging).
    """
    device = torch.device(device)
    splits = make_splits(cfg, data, device)
    x_train, y_train = splits["train"]
    torch.manual_seed(cfg.seed)  # weight init and dropout masks
    model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout).to(device)
    optimizer = make_optimizer(cfg, model)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    state = {"epoch": 0, "history": [], "train_seconds": 0.0, "last_finite": None}
    if state_path is not None and Path(state_path).exists():
        state = _restore(state_path, cfg, model, optimizer, shuffle, device)
    status, diverged_epoch = "completed", None
    for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
        started = time.perf_counter()
        loss = train_epoch(model, optimizer, x_train, y_train, cfg.batch_size, shuffle)
        state["train_seconds"] += time.perf_counter() - started
        row = {"epoch": epoch, "split": "train_running", "loss": loss, "accuracy": None}
        state["history"].append(dict(row, train_seconds=state["train_seconds"]))
        if not math.isfinite(loss):
            status, diverged_epoch = "diverged", epoch
            break
        if epoch in cfg.milestones:
            state["history"] += _milestone_rows(model, splits, cfg, epoch, state["train_seconds"])
            state["last_finite"] = copy.deepcopy(model.state_dict())
        state["epoch"] = epoch
        if on_epoch is not None:
            on_epoch({"epoch": epoch, "loss": loss, "train_seconds": state["train_seconds"]})
        if state_path is not None:
            _save_state(state_path, cfg, model, optimizer, shuffle, state)
    if status == "diverged" and state["last_finite"] is not None:
        model.load_state_dict(state["last_finite"])
    final = evaluate(model, *splits["test"], cfg.eval_batch_size)
    return RunResult(
        config=cfg,
        model=model,
        history=state["history"],
        status=status,
        diverged_epoch=diverged_epoch,
        confusion=confusion_matrix(final["predictions"], splits["test"][1]),
        train_size=len(x_train),
    )


def _milestone_rows(model, splits, cfg, epoch, train_seconds) -> list[dict[str, Any]]:
    rows = []
    for split, (x, y) in splits.items():
        result = evaluate(model, x, y, cfg.eval_batch_size)
        rows.append(
            {
                "epoch": epoch,
                "split": split,
                "loss": result["loss"],
                "accuracy": result["accuracy"],
                "train_seconds": train_seconds,
            }
        )
    return rows


# ---------------------------------------------------------------------------- resume state


def _rng_states(shuffle: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
    states = {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _save_state(path, cfg, model, optimizer, shuffle, state) -> None:
    blob = {
        "config_hash": cfg.hash(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": _rng_states(shuffle, next(model.parameters()).device),
        **state,
    }
    with atomic_write(path) as tmp:
        torch.save(blob, tmp)


def _restore(path, cfg, model, optimizer, shuffle, device) -> dict[str, Any]:
    blob = torch.load(path, map_location=device, weights_only=True)
    if blob.get("config_hash") != cfg.hash():
        return {"epoch": 0, "history": [], "train_seconds": 0.0, "last_finite": None}
    model.load_state_dict(blob["model"])
    optimizer.load_state_dict(blob["optimizer"])
    torch.set_rng_state(blob["rng"]["torch"].cpu())
    shuffle.set_state(blob["rng"]["shuffle"].cpu())
    if "cuda" in blob["rng"]:
        torch.cuda.set_rng_state(blob["rng"]["cuda"].cpu(), device)
    return {k: blob[k] for k in ("epoch", "history", "train_seconds", "last_finite")}
