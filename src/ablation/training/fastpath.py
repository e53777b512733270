"""SimpleNet's training step without autograd, bitwise equal to it on the CPU.

At batch 64, autograd's and `optimizer.step`'s per-call bookkeeping costs as much
as the arithmetic. The fast path calls the very kernels autograd would, in the
same order, into buffers allocated once per epoch. It relies on private torch
kernels: `missing_kernels` checks that they exist, and a model whose kernels are
missing trains through autograd instead (with a one-line warning).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ablation.training.model import SimpleNet

log = logging.getLogger("ablation")


def to_inputs(images: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Network inputs from images: uint8 pixels as float32 in [0, 1] (pixel / 255, exactly
    as ToTensor); float images pass unchanged."""
    if images.dtype != torch.uint8:
        return images
    if out is None:
        return images.to(torch.float32).div_(255)
    return out.copy_(images).div_(255)  # 5x faster than div(images, 255, out=out) on the CPU


_aten = torch.ops.aten
_MEAN, _NO_IGNORE = 1, -100  # nll_loss's reduction code and ignore_index, as F.cross_entropy
# An activation as two kernels writing into given buffers: forward(h, out) -> a and
# backward(grad, h, a, out) -> grad of h; the very kernels autograd calls for the module.
ActivationKernels = tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]

# The private kernels the fast path calls, by where they live: `torch.ops.aten` ops (with
# the overload used) and functions of the `torch` module. Checked before each use.
ATEN_KERNELS = (
    "threshold_backward.grad_input", "sigmoid_backward.grad_input", "tanh_backward.grad_input",
    "gelu.out", "gelu_backward.grad_input", "leaky_relu.out", "leaky_relu_backward.grad_input",
    "elu.out", "elu_backward.grad_input", "silu.out", "silu_backward.grad_input",
    "nll_loss_forward.default", "nll_loss_backward.default",
)  # fmt: skip
TORCH_KERNELS = (
    "_log_softmax", "_log_softmax_backward_data", "_fused_adam_", "_fused_adamw_",
    "_fused_sgd_", "_foreach_add_", "_foreach_mul_", "_foreach_addcmul_", "_foreach_sqrt",
    "_foreach_addcdiv_",
)  # fmt: skip
_warned: set[str] = set()


def missing_kernels() -> list[str]:
    """The kernels of `ATEN_KERNELS` and `TORCH_KERNELS` this torch lacks (none, so far)."""
    missing = [f"torch.{name}" for name in TORCH_KERNELS if not hasattr(torch, name)]
    for name in ATEN_KERNELS:
        op, overload = name.split(".")
        try:
            getattr(getattr(_aten, op), overload)
        except (AttributeError, RuntimeError):
            missing.append(f"torch.ops.aten.{name}")
    return missing


def fast_path_available() -> bool:
    """Whether every kernel is there; if not, says so once per process."""
    missing = missing_kernels()
    if missing and not set(missing) <= _warned:
        _warned.update(missing)
        log.warning(
            "torch %s lacks %s: training through autograd (same results, slower)",
            torch.__version__,
            ", ".join(missing),
        )
    return not missing


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
        if type(model) is not SimpleNet or not fast_path_available():
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
        order: torch.Tensor | None,
        batch_size: int,
    ) -> float:
        """One pass over (x, y) in `order`; returns the mean minibatch loss.

        With `order` None, x holds the network inputs already in the epoch's order
        (a pack's shared batches): each batch is a view of it, not a copy.
        """
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
        in_order = order is None
        batches = x.split(batch_size) if in_order else order.split(batch_size)
        labels = (y if in_order else y.index_select(0, order)).split(batch_size)  # one gather
        losses = []
        for idx, yb in zip(batches, labels, strict=True):
            if len(idx) == batch_size:
                images, xb, h, a, noise, d, logits, logp, g_logits, g_d, g_a, g_h = full
            else:  # the last, shorter batch: the buffers' leading rows
                images, xb, h, a, noise, d, logits, logp, g_logits, g_d, g_a, g_h = (
                    None if t is None else t[: len(idx)] for t in full
                )
            if in_order:
                xb = idx
            elif images is None:
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
        return mean_loss(torch.stack(losses), [len(b) for b in batches], len(x))


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


def mean_loss(losses: torch.Tensor, sizes: list[int], n: int) -> float:
    """The mean minibatch loss from each batch's loss and size, summed as the autograd
    loop does: in float64, batch after batch, each term the float32 product of a
    batch's loss and its size."""
    sizes = torch.tensor(sizes, dtype=torch.float32)
    terms = (losses.cpu() * sizes).double().tolist()  # one device sync
    total = 0.0
    for term in terms:  # sequential on purpose: sum() compensates on Python >= 3.12
        total += term
    return total / n


def _grad_buffer(param: torch.Tensor) -> torch.Tensor:
    if param.grad is None or param.grad.shape != param.shape or not param.grad.is_contiguous():
        param.grad = torch.zeros_like(param, memory_format=torch.contiguous_format)
    return param.grad


def fast_step(optimizer: torch.optim.Optimizer) -> Callable[[], object] | None:
    """For fused Adam/AdamW, fused SGD without momentum and RMSprop, the very kernel
    calls `optimizer.step()` makes, without the Python around them (at batch 64 that
    Python costs as much as the kernel); None for anything else.

    Taken only in the plain case: one parameter group, state already created
    (after the first step), no hooks, no gradient scaling, the class's own
    `step`. The optimizer keeps its state, so `state_dict()` and resuming are
    unchanged; hyperparameters are read now (call again after changing them).
    """
    return _fast_step_of([optimizer])


def fast_steps(optimizers: Sequence[torch.optim.Optimizer]) -> Callable[[], None]:
    """Step every optimizer (after its first step): those of one class and equal
    hyperparameters with one `fast_step` over all their tensors (a stacked pack's
    members: one fused call per hyperparameter set instead of one per member), any
    other with its own fast step or `step()`. The kernels work tensor by tensor, so
    each optimizer's update is bitwise what it would be alone."""
    alike: dict[str, list[torch.optim.Optimizer]] = {}
    for optimizer in optimizers:
        alike.setdefault(_hyperparameters(optimizer), []).append(optimizer)
    calls = []
    for group in alike.values():
        merged = _fast_step_of(group)
        calls += [merged] if merged else [fast_step(o) or o.step for o in group]

    def step() -> None:
        for call in calls:
            call()

    return step


def _hyperparameters(optimizer: torch.optim.Optimizer) -> str:
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    return f"{type(optimizer).__qualname__}{groups!r}"


def _fast_step_of(optimizers: Sequence[torch.optim.Optimizer]) -> Callable[[], object] | None:
    """One fast step for optimizers of one class and hyperparameters, over all their
    parameters; None where `fast_step` does not apply to every one of them."""
    first = optimizers[0]
    kinds = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD, torch.optim.RMSprop)
    if type(first) not in kinds:
        return None
    if any(len(o.param_groups) != 1 or not _plain_step(o) for o in optimizers):
        return None
    group = first.param_groups[0]
    params = [p for o in optimizers for p in o.param_groups[0]["params"]]
    if any(p.grad is None for p in params):
        return None
    state = {p: s for o in optimizers for p, s in o.state.items()}
    if type(first) is torch.optim.RMSprop:  # torch has no fused RMSprop: written out here
        return _rmsprop_step(group, params, state)
    if not group.get("fused"):
        return None
    if type(first) is torch.optim.SGD:
        return _sgd_step(group, params) if group["momentum"] == 0 else None
    return _adam_step(group, params, state)


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


def _rmsprop_step(group: dict, params: list, state) -> Callable[[], None] | None:
    """RMSprop.step(), plain or with momentum: the operations of torch's multi-tensor
    RMSprop, which on the CPU run one tensor at a time like its single-tensor loop."""
    if group["centered"] or group["maximize"] or group["capturable"]:
        return None
    if group["foreach"] is False and params[0].is_cuda:  # torch's single-tensor kernels
        return None
    if not all("square_avg" in state.get(p, {}) for p in params):
        return None
    grads = [p.grad for p in params]
    square_avgs = [state[p]["square_avg"] for p in params]
    steps = [state[p]["step"] for p in params]
    ones = [torch.ones_like(s) for s in steps]
    lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
    weight_decay, momentum = group["weight_decay"], group["momentum"]
    buffers = [state[p]["momentum_buffer"] for p in params] if momentum > 0 else []

    def step() -> None:
        torch._foreach_add_(steps, ones)  # counted, unused by the update
        g = torch._foreach_add(grads, params, alpha=weight_decay) if weight_decay else grads
        torch._foreach_mul_(square_avgs, alpha)
        torch._foreach_addcmul_(square_avgs, g, g, value=1 - alpha)
        avg = torch._foreach_sqrt(square_avgs)
        torch._foreach_add_(avg, eps)
        if momentum > 0:
            torch._foreach_mul_(buffers, momentum)
            torch._foreach_addcdiv_(buffers, g, avg)
            torch._foreach_add_(params, buffers, alpha=-lr)
        else:
            torch._foreach_addcdiv_(params, g, avg, value=-lr)

    return step
