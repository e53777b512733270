"""A pack's members trained as one stacked network, for a GPU (HFTA's horizontal fusion).

At batch 64 a GPU waits on kernel launches, not arithmetic: one run alone costs
about 25 launches per step whatever its size. Members of a pack see the same
batches, so their first layers are one matrix product of the batch with every
member's weights side by side, their second layers one batched product, and
their optimizer steps one fused call per set of equal hyperparameters. What
stays per member is what must: each activation (once per contiguous block of
members that share it) and each dropout mask, drawn from the member's own
generator so that a run's masks do not depend on which runs share its pack.

Members stay ordinary `SimpleNet`s with their own `torch.optim` optimizers: for
the epoch, their parameters and gradients become views into the stacked tensors
(so the optimizers update the stack in place) and go back to tensors of their
own after it. Resume state, checkpoints and evaluation see no difference.

On the CPU the result equals training each member alone up to float reordering
in the matrix products (the masks and the optimizer updates are bitwise the same
kernels); `docs/speed.md` gives the measured differences.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ablation.training.fastpath import FastMLP, fast_steps, mean_loss


@dataclass
class Member:
    """A run in the stack: its model, optimizer and the generator of its dropout masks."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator


def can_stack(models: Sequence[nn.Module]) -> bool:
    """Whether `models` can train as one stack: SimpleNets on the fast path, one hidden size."""
    return _fast_paths(models) is not None


def _fast_paths(models: Sequence[nn.Module]) -> list[FastMLP] | None:
    """Each model's fast path, or None where `models` cannot train as one stack."""
    paths = [FastMLP.of(model) for model in models]
    if any(path is None for path in paths):
        return None
    if len({(m.fc1.weight.shape, m.fc1.weight.device) for m in models}) != 1:
        return None
    return paths


class StackedMLP:
    """Forward, backward and optimizer steps of several `SimpleNet`s at once."""

    def __init__(self, members: Sequence[Member]):
        paths = _fast_paths([m.model for m in members])
        if paths is None:
            raise ValueError("stacked members must be SimpleNets of one hidden size and device")
        # Members that share an activation sit side by side: one kernel call per block.
        self.order = sorted(range(len(members)), key=lambda i: _activation_key(members[i]))
        self.members = [members[i] for i in self.order]
        self.paths = [paths[i] for i in self.order]
        self.blocks = _activation_blocks(self.members, self.paths)

    @torch.no_grad()
    def epoch(self, inputs: torch.Tensor, labels: torch.Tensor, batch_size: int) -> list[float]:
        """One pass over network inputs already in the epoch's order; returns each
        member's mean minibatch loss, in the order the members were given."""
        stack = _Stack(self.members, self.paths, self.blocks, inputs, batch_size)
        try:
            losses = torch.stack(
                [stack.step(xb, yb) for xb, yb in _batches(inputs, labels, batch_size)]
            )
        finally:
            stack.release()
        losses = losses.cpu()  # one device sync
        sizes = [len(b) for b in inputs.split(batch_size)]
        result = [0.0] * len(self.order)
        for k, given in enumerate(self.order):
            result[given] = mean_loss(losses[:, k], sizes, len(inputs))
        return result


def _batches(inputs: torch.Tensor, labels: torch.Tensor, batch_size: int):
    return zip(inputs.split(batch_size), labels.split(batch_size), strict=True)


def _activation_key(member: Member) -> str:
    return repr(member.model.activation)  # the kind and its settings, e.g. GELU(approximate='tanh')


def _activation_blocks(members: list[Member], paths: list[FastMLP]) -> list[tuple]:
    """(first, end, kernels) of each run of members with one activation."""
    blocks, start = [], 0
    for _, run in itertools.groupby(range(len(members)), key=lambda k: _activation_key(members[k])):
        size = len(list(run))
        blocks.append((start, start + size, paths[start].activation))
        start += size
    return blocks


class _Stack:
    """One epoch's stacked tensors: weights, gradients, buffers; members' views into them."""

    def __init__(self, members, paths, blocks, inputs: torch.Tensor, batch_size: int):
        self.members, self.blocks = members, blocks
        models = [m.model for m in members]
        self.count, self.hidden = len(models), models[0].fc1.out_features
        # fc1 side by side: [members * hidden, pixels]; fc2 stacked: [members, classes, hidden]
        self.w1 = torch.cat([m.fc1.weight for m in models])
        self.b1 = torch.cat([m.fc1.bias for m in models])
        self.w2 = torch.stack([m.fc2.weight for m in models])
        self.b2 = torch.stack([m.fc2.bias for m in models])
        self.grads = [torch.zeros_like(t) for t in (self.w1, self.b1, self.w2, self.b2)]
        self._alias(models)
        self.keep = [1 - path.dropout for path in paths]
        self.dropping = any(p.dropout > 0 for p in paths)
        self.noise = None
        if self.dropping:  # [members, batch, hidden]; ones where a member has no dropout
            self.noise = torch.ones((self.count, batch_size, self.hidden), device=inputs.device)
            self.keep_all = torch.tensor(self.keep, device=inputs.device).view(-1, 1, 1)
        fresh = any(not m.optimizer.state for m in members)  # state comes with the first step
        self.optimizer_step = None if fresh else fast_steps([m.optimizer for m in members])

    def _alias(self, models) -> None:
        """Point each member's parameters and gradients at its rows of the stack."""
        h = self.hidden
        g_w1, g_b1, g_w2, g_b2 = self.grads
        for k, model in enumerate(models):
            rows = slice(k * h, (k + 1) * h)
            views = [
                (model.fc1.weight, self.w1[rows], g_w1[rows]),
                (model.fc1.bias, self.b1[rows], g_b1[rows]),
                (model.fc2.weight, self.w2[k], g_w2[k]),
                (model.fc2.bias, self.b2[k], g_b2[k]),
            ]
            for param, data, grad in views:
                param.data, param.grad = data, grad

    def release(self) -> None:
        """Give every member tensors of its own again (a view would keep, and a checkpoint
        save, the whole stack)."""
        for member in self.members:
            for param in member.model.parameters():
                param.data, param.grad = param.data.clone(), param.grad.clone()

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        """One minibatch for every member; returns their losses ([members])."""
        n, m, h = len(xb), self.count, self.hidden
        g_w1, g_b1, g_w2, g_b2 = self.grads
        pre = torch.addmm(self.b1, xb, self.w1.t())  # [n, members * hidden]
        act = torch.empty_like(pre)
        like = {"device": pre.device, "dtype": pre.dtype}
        self._blockwise(0, act, pre)
        if self.dropping:
            noise = self._draw_masks(n).transpose(0, 1)  # [n, members, hidden]
            dropped = torch.mul(act.view(n, m, h), noise, out=torch.empty((n, m, h), **like))
        else:
            dropped = act.view(n, m, h)
        hidden = dropped.transpose(0, 1)  # [members, n, hidden]
        logits = torch.baddbmm(self.b2.unsqueeze(1), hidden, self.w2.transpose(1, 2))
        logp = torch.log_softmax(logits, 2)
        picked = yb.expand(m, n).unsqueeze(2)
        losses = -logp.gather(2, picked).squeeze(2).mean(1)
        # Cross-entropy's gradient as autograd's kernels compute it: nll's -1/n at the
        # label, then log_softmax's backward.
        g_nll = torch.zeros_like(logp).scatter_(2, picked, -1.0 / n)
        g_logits = torch._log_softmax_backward_data(g_nll, logp, 2, logp.dtype)
        torch.bmm(g_logits.transpose(1, 2), hidden, out=g_w2)
        torch.sum(g_logits, 1, out=g_b2)
        g_hidden = torch.bmm(g_logits, self.w2).transpose(0, 1)  # [n, members, hidden]
        g_act = torch.empty((n, m, h), **like)  # [n, members, hidden], row-major as `pre`
        if self.dropping:
            torch.mul(g_hidden, noise, out=g_act)
        else:
            g_act.copy_(g_hidden)
        g_pre = torch.empty_like(pre)
        self._blockwise(1, g_pre, g_act.view(n, m * h), pre, act)
        torch.mm(g_pre.t(), xb, out=g_w1)
        torch.sum(g_pre, 0, out=g_b1)
        self._optimizer_step()
        return losses

    def _blockwise(self, kernel: int, out: torch.Tensor, *inputs: torch.Tensor) -> None:
        """Each block's activation (kernel 0: inputs pre) or its backward (1: inputs grad,
        pre, act), into `out`. On the CPU a block that is not every member works on
        contiguous copies: some CPU kernels (GELU's) round differently on strided
        memory, and the copies keep a stacked member bitwise equal to the run alone
        (on a GPU, copies would only add launches)."""
        h = self.hidden
        direct = len(self.blocks) == 1 or out.device.type != "cpu"
        for first, end, kernels in self.blocks:
            cols = slice(first * h, end * h)
            if direct:
                args, target = [t[:, cols] for t in inputs], out[:, cols]
            else:
                args = [t[:, cols].contiguous() for t in inputs]
                target = torch.empty_like(args[0])
            result = kernels[kernel](*args, target)
            if result.data_ptr() != out[:, cols].data_ptr():
                out[:, cols].copy_(result)  # a copy, or identity (returns its input)

    def _draw_masks(self, n: int) -> torch.Tensor:
        """Each member's dropout mask for `n` rows, from its own generator, exactly as
        `FastMLP` draws it for the member alone (one draw per member, one division)."""
        noise = self.noise[:, :n]
        for k, member in enumerate(self.members):
            if self.keep[k] < 1:
                noise[k].bernoulli_(self.keep[k], generator=member.generator)
        return noise.div_(self.keep_all)  # members without dropout: 1 / 1

    def _optimizer_step(self) -> None:
        if self.optimizer_step is None:  # the optimizers' first step creates their state
            for member in self.members:
                member.optimizer.step()
            self.optimizer_step = fast_steps([m.optimizer for m in self.members])
        else:
            self.optimizer_step()
