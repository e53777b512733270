"""The training loop: in-memory tensors, seeded shuffles, index batches, no DataLoader.

CPU and GPU share one code path. On the CPU with a fixed thread count, a run
is bitwise reproducible, also across an interruption: the resume state holds
the model, optimizer and every random generator.
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
from ablation.io import torch_save_atomic
from ablation.model import CLASSES, SimpleNet

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


def to_inputs(images: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Network inputs from images: uint8 pixels as float32 in [0, 1] (pixel / 255, exactly
    as ToTensor); float images pass unchanged."""
    if images.dtype != torch.uint8:
        return images
    if out is None:
        return images.to(torch.float32).div_(255)
    return out.copy_(images).div_(255)  # 5x faster than div(images, 255, out=out) on the CPU


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


# ---------------------------------------------------------------------------- the fast path

_aten = torch.ops.aten
_MEAN, _NO_IGNORE = 1, -100  # nll_loss's reduction code and ignore_index, as F.cross_entropy
# An activation as two kernels writing into given buffers: forward(h, out) -> a and
# backward(grad, h, a, out) -> grad of h; the very kernels autograd calls for the module.
ActivationKernels = tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]


def _activation_kernels(module: nn.Module) -> ActivationKernels | None:
    """The kernels of an activation module; None for one not listed here (or in-place),
    which sends the model to autograd."""
    if getattr(module, "inplace", False):
        return None
    kind = type(module)
    if kind is nn.ReLU:  # torch.relu is clamp_min(h, 0); autograd's backward masks on a > 0
        return (
            lambda h, out: torch.clamp_min(h, 0, out=out),
            lambda g, h, a, out: _aten.threshold_backward.grad_input(g, a, 0, grad_input=out),
        )
    if kind is nn.Sigmoid:
        return (
            lambda h, out: torch.sigmoid(h, out=out),
            lambda g, h, a, out: _aten.sigmoid_backward.grad_input(g, a, grad_input=out),
        )
    if kind is nn.Tanh:
        return (
            lambda h, out: torch.tanh(h, out=out),
            lambda g, h, a, out: _aten.tanh_backward.grad_input(g, a, grad_input=out),
        )
    if kind is nn.GELU:
        approx = module.approximate
        return (
            lambda h, out: _aten.gelu.out(h, approximate=approx, out=out),
            lambda g, h, a, out: _aten.gelu_backward.grad_input(
                g, h, approximate=approx, grad_input=out
            ),
        )
    if kind is nn.LeakyReLU:
        slope = module.negative_slope
        return (
            lambda h, out: _aten.leaky_relu.out(h, slope, out=out),
            lambda g, h, a, out: _aten.leaky_relu_backward.grad_input(
                g, h, slope, False, grad_input=out
            ),
        )
    if kind is nn.ELU:  # F.elu: scale 1, input_scale 1; backward from the input
        alpha = module.alpha
        return (
            lambda h, out: _aten.elu.out(h, alpha, 1, 1, out=out),
            lambda g, h, a, out: _aten.elu_backward.grad_input(
                g, alpha, 1, 1, False, h, grad_input=out
            ),
        )
    if kind is nn.SiLU:
        return (
            lambda h, out: _aten.silu.out(h, out=out),
            lambda g, h, a, out: _aten.silu_backward.grad_input(g, h, grad_input=out),
        )
    if kind is nn.Identity:
        return (lambda h, out: h), (lambda g, h, a, out: g)
    return None


@dataclass
class FastMLP:
    """Forward and backward of `SimpleNet` written out, for batches of 64 where autograd's
    and `optimizer.step`'s per-call bookkeeping costs as much as the arithmetic.

    Same maths, same kernels, same order as autograd: linear layers as `addmm`,
    gradients as the `mm`/`sum` calls of addmm's derivative (the images need no
    gradient, so fc1's input gradient is never computed), cross-entropy as
    `log_softmax` + `nll_loss` (mean) and their backward kernels, dropout as
    torch's own on the CPU (a Bernoulli mask from the global generator, scaled by
    1/(1-p)), weight decay and the update left to the `torch.optim` optimizer.
    Activations and gradients go into buffers allocated once per epoch, and
    gradients straight into each parameter's `.grad` (so no `zero_grad`).
    """

    model: nn.Module
    activation: ActivationKernels
    dropout: float

    @classmethod
    def of(cls, model: nn.Module) -> FastMLP | None:
        """The fast path for `model`, or None where only autograd can train it."""
        if type(model) is not SimpleNet:
            return None
        kernels = _activation_kernels(model.activation)
        if kernels is None or model.dropout.inplace or model.dropout.p >= 1:
            return None
        params = [model.fc1.weight, model.fc1.bias, model.fc2.weight, model.fc2.bias]
        if any(p.dtype != torch.float32 or not p.is_contiguous() for p in params):
            return None
        return cls(model, kernels, model.dropout.p if model.training else 0.0)

    @torch.no_grad()
    def epoch(
        self,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        order: torch.Tensor,
        batch_size: int,
    ) -> float:
        """One pass over (x, y) in `order`; returns the mean minibatch loss."""
        m = self.model
        w1, b1, w2, b2 = m.fc1.weight, m.fc1.bias, m.fc2.weight, m.fc2.bias
        gw1, gb1, gw2, gb2 = (_grad_buffer(p) for p in (w1, b1, w2, b2))
        w1t, w2t = w1.t(), w2.t()
        act, act_backward = self.activation
        p = self.dropout
        step = fast_step(optimizer) or optimizer.step
        nll, nll_backward = _aten.nll_loss_forward.default, _aten.nll_loss_backward.default
        one = torch.ones((), device=x.device)
        full = _batch_buffers(x, batch_size, len(w1), len(w2))
        batches = order.split(batch_size)
        labels = y.index_select(0, order).split(batch_size)  # one gather an epoch
        losses = []
        for idx, yb in zip(batches, labels, strict=True):
            if len(idx) == batch_size:
                images, xb, h, a, noise, d, logits, logp, g_logits, g_d, g_a, g_h = full
            else:  # the last, shorter batch: the buffers' leading rows
                images, xb, h, a, noise, d, logits, logp, g_logits, g_d, g_a, g_h = (
                    None if t is None else t[: len(idx)] for t in full
                )
            if images is None:
                torch.index_select(x, 0, idx, out=xb)
            else:
                to_inputs(torch.index_select(x, 0, idx, out=images), out=xb)
            torch.addmm(b1, xb, w1t, out=h)
            a = act(h, a)
            if p > 0:
                noise.bernoulli_(1 - p).div_(1 - p)
                d = torch.mul(a, noise, out=d)
            else:
                d = a
            torch._log_softmax(torch.addmm(b2, d, w2t, out=logits), 1, False, out=logp)
            loss, total_weight = nll(logp, yb, None, _MEAN, _NO_IGNORE)
            grad = nll_backward(one, logp, yb, None, _MEAN, _NO_IGNORE, total_weight)
            torch._log_softmax_backward_data(grad, logp, 1, logp.dtype, out=g_logits)
            torch.mm(g_logits.t(), d, out=gw2)
            torch.sum(g_logits, 0, out=gb2)
            torch.mm(g_logits, w2, out=g_d)
            g = torch.mul(g_d, noise, out=g_a) if p > 0 else g_d
            g = act_backward(g, h, a, g_h)
            torch.mm(g.t(), xb, out=gw1)
            torch.sum(g, 0, out=gb1)
            step()
            if not losses:  # the first step created the optimizer's state
                step = fast_step(optimizer) or optimizer.step
            losses.append(loss)
        return _mean_loss(losses, batches, len(x))


def _batch_buffers(x, batch_size: int, hidden: int, classes: int) -> list:
    """images (None for float x), xb, h, a, noise, d, logits, logp, g_logits, g_d, g_a, g_h
    for one full batch."""
    device = x.device
    rows = torch.empty((batch_size, hidden), device=device)
    scores = torch.empty((batch_size, classes), device=device)
    return [
        x.new_empty((batch_size, x.shape[1])) if x.dtype == torch.uint8 else None,
        torch.empty((batch_size, x.shape[1]), device=device),
        *(torch.empty_like(rows) for _ in range(4)),  # h, a, noise, d
        *(torch.empty_like(scores) for _ in range(3)),  # logits, logp, g_logits
        *(torch.empty_like(rows) for _ in range(3)),  # g_d, g_a, g_h
    ]


def _mean_loss(losses: list[torch.Tensor], batches, n: int) -> float:
    """The mean minibatch loss, summed as the autograd loop does: in float64, batch
    after batch, each term the float32 product of a batch's loss and its size."""
    sizes = torch.tensor([len(b) for b in batches], dtype=torch.float32)
    terms = (torch.stack(losses).cpu() * sizes).double().tolist()  # one device sync
    total = 0.0
    for term in terms:  # sequential on purpose: sum() compensates on Python >= 3.12
        total += term
    return total / n


def _grad_buffer(param: torch.Tensor) -> torch.Tensor:
    if param.grad is None or param.grad.shape != param.shape or not param.grad.is_contiguous():
        param.grad = torch.zeros_like(param, memory_format=torch.contiguous_format)
    return param.grad


def fast_step(optimizer: torch.optim.Optimizer) -> Callable[[], object] | None:
    """For fused Adam/AdamW and fused SGD without momentum, the very kernel calls
    `optimizer.step()` makes, without the Python around them (at batch 64 that
    Python costs as much as the kernel); None for anything else.

    Taken only in the plain case: one parameter group, state already created
    (after the first step), no hooks, no gradient scaling, the class's own
    `step`. The optimizer keeps its state, so `state_dict()` and resuming are
    unchanged; hyperparameters are read now (call again after changing them).
    """
    if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD):
        return None
    if len(optimizer.param_groups) != 1 or not _plain_step(optimizer):
        return None
    group = optimizer.param_groups[0]
    params = list(group["params"])
    if not group.get("fused") or any(p.grad is None for p in params):
        return None
    if type(optimizer) is torch.optim.SGD:
        return _sgd_step(group, params) if group["momentum"] == 0 else None
    return _adam_step(group, params, optimizer.state)


def _plain_step(optimizer: torch.optim.Optimizer) -> bool:
    """No hooks, no gradient scaling, no wrapper around `step` (e.g. an LR scheduler's)."""
    from torch.optim import optimizer as optim_module  # its global step hooks

    hooks = (
        optimizer._optimizer_step_pre_hooks,
        optimizer._optimizer_step_post_hooks,
        getattr(optim_module, "_global_optimizer_pre_hooks", None),
        getattr(optim_module, "_global_optimizer_post_hooks", None),
    )
    return not (
        any(hooks)
        or "step" in vars(optimizer)
        or getattr(optimizer, "grad_scale", None) is not None
        or getattr(optimizer, "found_inf", None) is not None
        or torch.is_tensor(optimizer.param_groups[0]["lr"])
        or optimizer.param_groups[0].get("differentiable")
    )


def _adam_step(group: dict, params: list, state) -> Callable[[], None] | None:
    """Adam.step() with fused=True: count the step, then one fused kernel."""
    if group["amsgrad"] or not all("exp_avg" in state.get(p, {}) for p in params):
        return None
    grads = [p.grad for p in params]
    exp_avgs = [state[p]["exp_avg"] for p in params]
    exp_avg_sqs = [state[p]["exp_avg_sq"] for p in params]
    steps = [state[p]["step"] for p in params]
    kernel = torch._fused_adamw_ if group["decoupled_weight_decay"] else torch._fused_adam_
    beta1, beta2 = group["betas"]
    kwargs = {
        "amsgrad": False, "lr": group["lr"], "beta1": beta1, "beta2": beta2,
        "weight_decay": group["weight_decay"], "eps": group["eps"],
        "maximize": group["maximize"], "grad_scale": None, "found_inf": None,
    }  # fmt: skip
    ones = [torch.ones_like(s) for s in steps]  # a tensor list: a third the cost of a scalar

    def step() -> None:
        torch._foreach_add_(steps, ones)
        kernel(params, grads, exp_avgs, exp_avg_sqs, [], steps, **kwargs)

    return step


def _sgd_step(group: dict, params: list) -> Callable[[], None]:
    """SGD.step() with fused=True and no momentum (so no state): one fused kernel."""
    grads = [p.grad for p in params]
    kwargs = {
        "weight_decay": group["weight_decay"], "momentum": 0.0, "lr": group["lr"],
        "dampening": group["dampening"], "nesterov": group["nesterov"],
        "maximize": group["maximize"], "is_first_step": False,
        "grad_scale": None, "found_inf": None,
    }  # fmt: skip

    def step() -> None:
        torch._fused_sgd_(params, grads, [], **kwargs)

    return step


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
    model, optimizer, shuffle = _fresh_run(cfg, device)
    state = _fresh_state(model)
    if state_path is not None and Path(state_path).exists():
        restored = _restore(state_path, cfg, model, optimizer, shuffle, device)
        if restored is None:  # unusable: start over from a clean slate
            model, optimizer, shuffle = _fresh_run(cfg, device)
        else:
            state = restored
    status, diverged_epoch = "completed", None
    for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
        started = time.perf_counter()
        loss = train_epoch(model, optimizer, x_train, y_train, cfg.batch_size, shuffle)
        state["train_seconds"] += time.perf_counter() - started
        row = {"epoch": epoch, "split": "train_running", "loss": loss, "accuracy": None}
        state["history"].append(dict(row, train_seconds=state["train_seconds"]))
        if not (math.isfinite(loss) and _finite_weights(model)):
            status, diverged_epoch = "diverged", epoch
            break
        if epoch in cfg.milestones:
            rows = _milestone_rows(model, splits, cfg, epoch, state["train_seconds"])
            if not all(math.isfinite(r["loss"]) for r in rows):
                # Finite weights whose outputs overflow: diverged all the same.
                status, diverged_epoch = "diverged", epoch
                break
            state["history"] += rows
            state["last_finite"] = copy.deepcopy(model.state_dict())
        state["epoch"] = epoch
        if state_path is not None:
            _save_state(state_path, cfg, model, optimizer, shuffle, state)
        if on_epoch is not None:
            on_epoch({"epoch": epoch, "loss": loss, "train_seconds": state["train_seconds"]})
    if status == "diverged":
        log.warning("loss or weights became non-finite in epoch %d: run diverged", diverged_epoch)
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
        "last_finite": copy.deepcopy(model.state_dict()),
    }


def _finite_weights(model: nn.Module) -> bool:
    """Whether every parameter is finite (one device sync per epoch)."""
    return bool(torch.stack([torch.isfinite(p).all() for p in model.parameters()]).all())


def _milestone_rows(
    model: nn.Module, splits: dict[str, tuple], cfg: TrainConfig, epoch: int, train_seconds: float
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
                "train_seconds": train_seconds,
            }
        )
    return rows


# ---------------------------------------------------------------------------- resume state

# Bumped when the layout of the state changes: an older state is then ignored, not misread.
STATE_FORMAT = 2
_STATE_KEYS = ("epoch", "history", "train_seconds", "last_finite")


def _rng_states(shuffle: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
    states = {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _save_state(
    path: str | Path,
    cfg: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    state: dict[str, Any],
) -> None:
    """Everything the next epoch depends on, written atomically (a kill keeps the old one)."""
    device = next(model.parameters()).device
    blob = {
        "format": STATE_FORMAT,
        "config_hash": cfg.hash(),
        "device_type": device.type,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),  # moments and step counters (fused ones too)
        "rng": _rng_states(shuffle, device),
        **{key: state[key] for key in _STATE_KEYS},
    }
    torch_save_atomic(blob, path)


def _restore(
    path: str | Path,
    cfg: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    device: torch.device,
) -> dict[str, Any] | None:
    """Load a saved state into `model`, `optimizer` and the generators.

    Returns the loop's state, or None when the file is unusable: unreadable,
    another config, another device type or layout. Then `model` and `optimizer`
    may be half-loaded and the caller must rebuild them.
    """
    blob = _read_state(path)
    problem = _state_problem(blob, cfg, device)
    if problem is not None:
        log.warning("ignoring resume state %s (%s); training starts over", path, problem)
        return None
    try:
        model.load_state_dict(blob["model"])
        optimizer.load_state_dict(blob["optimizer"])
        torch.set_rng_state(blob["rng"]["torch"].cpu())
        shuffle.set_state(blob["rng"]["shuffle"].cpu())
        if device.type == "cuda":
            torch.cuda.set_rng_state(blob["rng"]["cuda"].cpu(), device)
        last_finite = {k: v.to(device) for k, v in blob["last_finite"].items()}
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as err:
        log.warning("ignoring resume state %s (cannot be applied: %s); starting over", path, err)
        return None
    log.info("resuming after epoch %d of %d", blob["epoch"], cfg.epochs)
    return {
        "epoch": int(blob["epoch"]),
        "history": list(blob["history"]),
        "train_seconds": float(blob["train_seconds"]),
        "last_finite": last_finite,
    }


def _read_state(path: str | Path) -> Any:
    try:
        # weights_only: a state file never runs code, whoever wrote it
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        return err


def _state_problem(blob: Any, cfg: TrainConfig, device: torch.device) -> str | None:
    if isinstance(blob, Exception):
        return f"unreadable: {type(blob).__name__}: {str(blob).strip().splitlines()[0][:200]}"
    if not isinstance(blob, dict) or blob.get("format") != STATE_FORMAT:
        return "written by another version of the pipeline"
    if blob.get("config_hash") != cfg.hash():
        return "it belongs to another configuration of this run"
    if blob.get("device_type") != device.type:
        return f"saved on {blob.get('device_type')}, resuming on {device.type}"
    missing = [k for k in ("model", "optimizer", "rng", *_STATE_KEYS) if k not in blob]
    if missing:
        return f"incomplete, lacks {missing}"
    return None
