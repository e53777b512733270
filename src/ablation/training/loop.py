"""The training loop: in-memory tensors, seeded shuffles, index batches, no DataLoader.

CPU and GPU share one code path. On the CPU with a fixed thread count, a run
is bitwise reproducible, also across an interruption: the resume state
(`ablation.training.resume`) holds the model, optimizer and every random generator. A
`SimpleNet` trains on the fast path of `ablation.training.fastpath`, other models
through autograd.
"""

from __future__ import annotations

import copy
import logging
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
from ablation.data import split_indices as data_split
from ablation.training.fastpath import FastMLP, to_inputs
from ablation.training.model import CLASSES, SimpleNet
from ablation.training.resume import restore, save_state

log = logging.getLogger("ablation")


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

    @property
    def train_seconds(self) -> float:
        """Training time of the epochs run (in a pack: the run's share)."""
        return max((row["train_seconds"] for row in self.history), default=0.0)


# ---------------------------------------------------------------------------- setup


def set_threads(threads: int) -> None:
    """Pin intra-op threads, so parallel jobs never oversubscribe the cores."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch.set_num_threads(threads)


class DeviceError(RuntimeError):
    """The requested device does not exist here; the message says what to set instead."""


def select_device(spec: str = "auto") -> torch.device:
    """`auto` picks CUDA when present, else the CPU; anything else is passed to torch."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            f"device {spec!r} requested (ABLATION_DEVICE or --device) but torch sees no CUDA "
            "GPU here; set it to auto (CUDA where present) or cpu"
        )
    return device


def split_indices(cfg: TrainConfig, n_train: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's training and validation images (see `ablation.data.split_indices`)."""
    return data_split(n_train, cfg.validation_size, cfg.train_size, cfg.seed)


def make_splits(cfg: TrainConfig, data: Dataset, device: torch.device) -> dict[str, tuple]:
    """(images, labels) per split on `device`: images as uint8 rows of 784 pixels.

    Kept as bytes (a quarter of the memory, and a faster gather per batch) and scaled
    batch by batch with `to_inputs`, which gives the very floats ToTensor would.
    """

    def prep(images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return images.reshape(len(images), -1).to(device), labels.to(device)

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
    """One pass over (x, y) in a seeded random order; returns the mean minibatch loss.

    A `SimpleNet` trains on the fast path (`FastMLP`: the same kernels autograd
    would call, without its bookkeeping); any other model through autograd
    (`train_epoch_reference`). On the CPU both give bitwise the same weights.
    """
    model.train()
    order = torch.randperm(len(x), generator=generator).to(x.device)
    net = FastMLP.of(model)
    if net is None:
        return _epoch_autograd(model, optimizer, x, y, order, batch_size)
    return net.epoch(optimizer, x, y, order, batch_size)


def train_epoch_reference(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
) -> float:
    """`train_epoch` the textbook way (autograd, `optimizer.step()`): the fast path's oracle."""
    model.train()
    order = torch.randperm(len(x), generator=generator).to(x.device)
    return _epoch_autograd(model, optimizer, x, y, order, batch_size)


def train_epoch_in_order(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
) -> float:
    """`train_epoch` on network inputs already gathered in the epoch's order (a pack's
    shared batches): the same steps on the same values, without a gather per batch."""
    model.train()
    net = FastMLP.of(model)
    if net is None:
        order = torch.arange(len(inputs), device=inputs.device)
        return _epoch_autograd(model, optimizer, inputs, labels, order, batch_size)
    return net.epoch(optimizer, inputs, labels, None, batch_size)


def _epoch_autograd(model, optimizer, x, y, order, batch_size) -> float:
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        loss = F.cross_entropy(model(to_inputs(x.index_select(0, idx))), y.index_select(0, idx))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach() * len(idx)  # stays on the device: no sync per batch
    return (total / len(x)).item()


@torch.inference_mode()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 10_000
) -> dict[str, Any]:
    """Mean cross-entropy, accuracy and predictions of `model` on (x, y); x as images
    (uint8, see `make_splits`) or as network inputs (float)."""
    model.eval()
    loss = torch.zeros((), dtype=torch.float64, device=x.device)
    preds = []
    # Images are scaled chunk by chunk into one buffer (a fresh one per chunk costs page faults).
    rows = min(batch_size, len(x)) if x.dtype == torch.uint8 else 0
    scaled = torch.empty((rows, *x.shape[1:]), device=x.device)
    for start in range(0, len(x), batch_size):
        chunk = x[start : start + batch_size]
        if chunk.dtype == torch.uint8:
            chunk = to_inputs(chunk, out=scaled[: len(chunk)])
        logits = model(chunk)
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
    state_path : resume state; written atomically after every epoch, read on start
        if present and if it belongs to the same config and device type (else
        ignored, with a warning); deleted by the caller when the outputs are written.
    on_epoch : called with each epoch's summary (progress logging), after the
        state of that epoch is saved.

    Returns
    -------
    RunResult
        A diverged run (non-finite loss or weights) stops at that epoch, keeps the
        milestones measured before it and the weights of its last finite milestone
        (the initial weights if it diverged before the first milestone).
    """
    device = torch.device(device)
    splits = make_splits(cfg, data, device)
    x_train, y_train = splits["train"]
    run = Run.start(cfg, device, state_path)
    while run.training:
        started, cpu = time.perf_counter(), time.process_time()
        loss = train_epoch(run.model, run.optimizer, x_train, y_train, cfg.batch_size, run.shuffle)
        seconds = time.perf_counter() - started
        run.end_epoch(loss, seconds, splits, on_epoch, time.process_time() - cpu)
    return run.result(splits)


@dataclass
class Run:
    """One run while it trains: model, optimizer, shuffle generator and the loop's state
    (`epoch` done, `history`, `train_seconds`, `last_finite` weights)."""

    cfg: TrainConfig
    model: nn.Module
    optimizer: torch.optim.Optimizer
    shuffle: torch.Generator
    state: dict[str, Any]
    state_path: str | Path | None = None
    # Seconds between resume states: 0 saves after every epoch; more saves time where
    # epochs are short (a stacked pack on a GPU), and a kill costs at most that much.
    save_every: float = 0.0
    last_saved: float = field(default_factory=time.monotonic)
    status: str = "training"  # then completed or diverged
    diverged_epoch: int | None = None

    @classmethod
    def start(
        cls, cfg: TrainConfig, device: torch.device, state_path=None, save_every: float = 0.0
    ) -> Run:
        """A fresh run, or the saved one at `state_path` where that is usable."""
        model, optimizer, shuffle = _fresh_run(cfg, device)
        state = _fresh_state(model)
        if state_path is not None and Path(state_path).exists():
            restored = restore(state_path, cfg, model, optimizer, shuffle, device)
            if restored is None:  # unusable: start over from a clean slate
                model, optimizer, shuffle = _fresh_run(cfg, device)
            else:
                state = restored
        return cls(cfg, model, optimizer, shuffle, state, state_path, save_every)

    @property
    def training(self) -> bool:
        """Whether epochs are left to train (neither diverged nor done)."""
        return self.status == "training" and self.state["epoch"] < self.cfg.epochs

    def end_epoch(
        self,
        loss: float,
        seconds: float,
        splits: dict[str, tuple],
        on_epoch,
        cpu_seconds: float = float("nan"),
    ) -> None:
        """Record the epoch just trained: check divergence, measure a milestone, save.

        `seconds` is the epoch's wall time, `cpu_seconds` its CPU time (process time)."""
        state, epoch = self.state, self.state["epoch"] + 1
        state["train_seconds"] += seconds
        state["train_cpu_seconds"] = state.get("train_cpu_seconds", 0.0) + cpu_seconds
        row = {"epoch": epoch, "split": "train_running", "loss": loss, "accuracy": None}
        state["history"].append(dict(row, **_times(state)))
        if not (math.isfinite(loss) and _finite_weights(self.model)):
            self.status, self.diverged_epoch = "diverged", epoch
            return
        if epoch in self.cfg.milestones:
            rows = _milestone_rows(self.model, splits, self.cfg, epoch, _times(state))
            if not all(math.isfinite(r["loss"]) for r in rows):
                # Finite weights whose outputs overflow: diverged all the same.
                self.status, self.diverged_epoch = "diverged", epoch
                return
            state["history"] += rows
            state["last_finite"] = copy.deepcopy(self.model.state_dict())
        state["epoch"] = epoch
        if self.state_path is not None and time.monotonic() - self.last_saved >= self.save_every:
            save_state(self.state_path, self.cfg, self.model, self.optimizer, self.shuffle, state)
            self.last_saved = time.monotonic()
        if on_epoch is not None:
            on_epoch({"epoch": epoch, "loss": loss, "train_seconds": state["train_seconds"]})

    def result(self, splits: dict[str, tuple]) -> RunResult:
        """The finished run, evaluated on the test split."""
        if self.status == "diverged":
            log.warning(
                "loss or weights became non-finite in epoch %d: run diverged", self.diverged_epoch
            )
            self.model.load_state_dict(self.state["last_finite"])
        else:
            self.status = "completed"
        final = evaluate(self.model, *splits["test"], self.cfg.eval_batch_size)
        return RunResult(
            config=self.cfg,
            model=self.model,
            history=self.state["history"],
            status=self.status,
            diverged_epoch=self.diverged_epoch,
            confusion=confusion_matrix(final["predictions"], splits["test"][1]),
            train_size=len(splits["train"][0]),
        )


def _fresh_run(
    cfg: TrainConfig, device: torch.device
) -> tuple[nn.Module, torch.optim.Optimizer, torch.Generator]:
    """Model, optimizer and shuffle generator exactly as at the start of a run."""
    torch.manual_seed(cfg.seed)  # weight init and dropout masks
    model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout).to(device)
    return model, make_optimizer(cfg, model), torch.Generator().manual_seed(cfg.seed)


def _fresh_state(model: nn.Module) -> dict[str, Any]:
    # The initial weights stand in as the last finite model until the first milestone.
    return {
        "epoch": 0,
        "history": [],
        "train_seconds": 0.0,
        "train_cpu_seconds": 0.0,
        "last_finite": copy.deepcopy(model.state_dict()),
    }


def _finite_weights(model: nn.Module) -> bool:
    """Whether every parameter is finite (one device sync per epoch)."""
    return bool(torch.stack([torch.isfinite(p).all() for p in model.parameters()]).all())


def _times(state: dict[str, Any]) -> dict[str, float]:
    """The training time so far, wall and CPU, as history columns."""
    # a state restored from an older pipeline has no CPU time: unknown, not zero
    return {
        "train_seconds": state["train_seconds"],
        "train_cpu_seconds": state.get("train_cpu_seconds", float("nan")),
    }


def _milestone_rows(
    model: nn.Module, splits: dict[str, tuple], cfg: TrainConfig, epoch: int, times: dict
) -> list[dict[str, Any]]:
    """Loss and accuracy of `model` on every split, as history rows of `epoch`."""
    rows = []
    for split, (x, y) in splits.items():
        result = evaluate(model, x, y, cfg.eval_batch_size)
        rows.append(
            {
                "epoch": epoch,
                "split": split,
                "loss": result["loss"],
                "accuracy": result["accuracy"],
                **times,
            }
        )
    return rows
