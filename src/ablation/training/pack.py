"""Training a pack: runs that see the same minibatches, in lockstep in one process.

Each epoch the shuffle is drawn and the batches gathered once; each member then
trains on them with its own model, optimizer and random state (`OwnRandomState`),
alone (`ablation.training.loop.train_epoch_in_order`, bitwise as if in a process of its
own) or, on a GPU, stacked with the others (`ablation.training.stacked`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch

from ablation.config import TrainConfig
from ablation.data import Dataset
from ablation.packs.plan import pack_key
from ablation.training.fastpath import to_inputs
from ablation.training.loop import Run, RunResult, make_splits, train_epoch_in_order
from ablation.training.stacked import Member, StackedMLP, can_stack

log = logging.getLogger("ablation")

# Seconds between a stacked member's resume states: a pack of 36 on a GPU trains an
# epoch in well under a second and saving 36 states costs ~0.15 s; a kill loses <= 10 s.
STACKED_SAVE_EVERY = 10.0


def train_pack(
    cfgs: Sequence[TrainConfig],
    data: Dataset,
    device: torch.device | str = "cpu",
    state_paths: Sequence[str | Path | None] | None = None,
    on_epoch: Callable[[TrainConfig, dict[str, Any]], None] | None = None,
    stacked: bool | None = None,
    save_every: float | None = None,
    on_pack_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> list[RunResult]:
    """Train runs that see the same minibatches (`ablation.packs.plan.pack_key`) in one process.

    Each epoch, the shuffle is drawn and the batches gathered and scaled once. Then,
    by default on the CPU, each member trains its epoch on them with its own
    optimizer, shuffle generator and global random state (weight init, dropout
    masks), so that every member ends bitwise equal to `train` of its config alone.
    With `stacked` (the default on CUDA, where one run alone waits on kernel
    launches), members of one hidden size train as one stacked network
    (`ablation.training.stacked`): the same masks and updates, the matrix products fused,
    equal to the runs alone up to float reordering.

    Each member keeps its own resume state (`state_paths`), so members may resume
    from different epochs. It is saved after every epoch, or stacked every
    `STACKED_SAVE_EVERY` seconds (`save_every` sets it): a stacked epoch on a GPU is
    short next to saving each member's state. A diverged member stops; the others go
    on. `on_epoch` is called with the member's config and its epoch summary, and
    `on_pack_epoch` once a pack epoch (every member still training has trained one
    more epoch) with the pack's progress (`pack_progress`). Returns the members'
    results in order.
    """
    if len({pack_key(cfg) for cfg in cfgs}) != 1:
        raise ValueError("a pack holds runs of one data order (ablation.packs.plan.pack_key)")
    device = torch.device(device)
    stacked = device.type == "cuda" if stacked is None else stacked
    if save_every is None:
        save_every = STACKED_SAVE_EVERY if stacked else 0.0
    log.info("members trained %s", "stacked" if stacked else "one after another")
    splits = make_splits(cfgs[0], data, device)
    x, y = splits["train"]
    members = []
    for cfg, path in zip(cfgs, state_paths or [None] * len(cfgs), strict=True):
        with working_on(cfg):
            run = Run.start(cfg, device, path, save_every)
        members.append(Trainee(run, OwnRandomState.capture(device)))
    started, rounds = time.perf_counter(), 0
    while active := [m for m in members if m.run.training]:
        for group in _due_the_same_batches(active):
            started, cpu = time.perf_counter(), time.process_time()
            lead = group[0].run
            order = torch.randperm(len(x), generator=lead.shuffle).to(device)
            for run, _ in group[1:]:
                run.shuffle.set_state(lead.shuffle.get_state())
            inputs, labels = to_inputs(x.index_select(0, order)), y.index_select(0, order)
            shared = (time.perf_counter() - started) / len(group)
            shared_cpu = (time.process_time() - cpu) / len(group)
            for together in _trained_together(group, stacked):
                started, cpu = time.perf_counter(), time.process_time()
                losses = _epoch_of(together, inputs, labels)
                seconds = shared + (time.perf_counter() - started) / len(together)
                cpu_seconds = shared_cpu + (time.process_time() - cpu) / len(together)
                for (run, random_state), loss in zip(together, losses, strict=True):
                    with random_state.active(), working_on(run.cfg):
                        report = on_epoch and functools.partial(on_epoch, run.cfg)
                        run.end_epoch(loss, seconds, splits, report, cpu_seconds)
        rounds += 1
        if on_pack_epoch is not None:
            runs = [run for run, _ in members]
            progress = pack_progress(runs, len(active), rounds, time.perf_counter() - started)
            on_pack_epoch(progress)
    results = []
    for run, _ in members:
        with working_on(run.cfg):
            results.append(run.result(splits))
    return results


def pack_progress(runs: Sequence[Run], trained: int, rounds: int, seconds: float) -> dict:
    """Where a pack of `runs` stands after `rounds` pack epochs in `seconds` (evaluation
    included), the last trained by `trained` members: the epoch of its furthest member
    and the pack's time left, at the pace of its pack epochs so far (the member with
    most epochs to go sets how many are left)."""
    to_go = max((run.cfg.epochs - run.state["epoch"] for run in runs if run.training), default=0)
    return {
        "epoch": max(run.state["epoch"] for run in runs),
        "epochs": runs[0].cfg.epochs,
        "runs": len(runs),
        "trained": trained,
        "seconds": seconds,
        "seconds_left": seconds / rounds * to_go,
    }


def _trained_together(group: list[Trainee], stacked: bool) -> list[list[Trainee]]:
    """The members that train one epoch together: stacks of one hidden size where
    `stacked` (and the fast path allows), else each member alone."""
    if not stacked:
        return [[member] for member in group]
    together: dict[Any, list] = {}
    for member in group:
        model = member.run.model
        key = model.fc1.weight.shape if can_stack([model]) else id(member)
        together.setdefault(key, []).append(member)
    return list(together.values())


def _epoch_of(members: list[Trainee], inputs: torch.Tensor, labels: torch.Tensor) -> list[float]:
    """Each member's mean loss after one epoch on the shared batches: alone, or stacked,
    each with its own dropout generator (its global random state, swapped in and out)."""
    if len(members) == 1:
        run, random_state = members[0]
        with random_state.active(), working_on(run.cfg):
            return [
                train_epoch_in_order(run.model, run.optimizer, inputs, labels, run.cfg.batch_size)
            ]
    on_cuda = inputs.device.type == "cuda"
    stack = []
    for run, random_state in members:
        run.model.train()
        generator = torch.Generator(inputs.device)
        generator.set_state(random_state.cuda if on_cuda else random_state.cpu)
        stack.append(Member(run.model, run.optimizer, generator))
    losses = StackedMLP(stack).epoch(inputs, labels, members[0].run.cfg.batch_size)
    for (_, random_state), member in zip(members, stack, strict=True):
        if on_cuda:
            random_state.cuda = member.generator.get_state()
        else:
            random_state.cpu = member.generator.get_state()
    return losses


# The member of a pack being worked on, so that log lines can go to its own log.
current_run: contextvars.ContextVar[TrainConfig | None] = contextvars.ContextVar(
    "current_run", default=None
)


@contextlib.contextmanager
def working_on(cfg: TrainConfig):
    """Mark `cfg` as the run being worked on (`current_run`) for the duration."""
    token = current_run.set(cfg)
    try:
        yield
    finally:
        current_run.reset(token)


def _due_the_same_batches(members: list[Trainee]) -> list[list[Trainee]]:
    """Members grouped by epoch and shuffle state: one group, unless resumed unevenly."""
    groups: dict[tuple, list] = {}
    for member in members:
        run = member.run
        key = (run.state["epoch"], run.shuffle.get_state().numpy().tobytes())
        groups.setdefault(key, []).append(member)
    return list(groups.values())


class Trainee(NamedTuple):
    """A member as its pack trains it: the run, and its own state of torch's generators."""

    run: Run
    random_state: OwnRandomState


@dataclass
class OwnRandomState:
    """A run's own state of torch's global generators (weight init, dropout masks),
    swapped in while it trains, so that runs sharing a process draw as if alone."""

    device: torch.device
    cpu: torch.Tensor
    cuda: torch.Tensor | None = None

    @classmethod
    def capture(cls, device: torch.device) -> OwnRandomState:
        cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
        return cls(device, torch.get_rng_state(), cuda)

    @contextlib.contextmanager
    def active(self):
        torch.set_rng_state(self.cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state(self.cuda, self.device)
        try:
            yield
        finally:
            self.cpu = torch.get_rng_state()
            if self.cuda is not None:
                self.cuda = torch.cuda.get_rng_state(self.device)
