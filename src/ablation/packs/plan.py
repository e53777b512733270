"""Packs: runs that see the same minibatches, planned to be trained in one process each.

Runs with the same data order (`DATA_ORDER`: dataset, seed, batch size, training
and validation sizes) draw the same shuffles of the same images, so one process
can train them in lockstep (`ablation.training.pack.train_pack`) and pay the start-up
(importing torch, loading the data) once. The workflow plans packs from the runs
still to train (`runs_to_train`), sized so that every core stays busy to the end
(`plan_packs`), and, on a machine with GPUs, which packs train on a GPU and which on
the CPU cores. Imports no torch: the Snakefile plans packs on every call.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ablation import layout
from ablation.config import TRAIN_IMAGES, TrainConfig, run_path

# The fields that set which minibatches a run sees, epoch after epoch.
DATA_ORDER = ("dataset", "seed", "batch_size", "train_size", "validation_size")
# Shared too, so that members train and measure in step.
LOCKSTEP = ("epochs", "milestones", "eval_batch_size")
# The fields members of one pack may differ in. Any field not listed here (a new
# one, say) keeps runs apart: packing never changes what a run computes.
MEMBER_FIELDS = (
    "activation",
    "optimizer",
    "optimizer_class",
    "optimizer_kwargs",
    "lr_scale",
    "weight_decay",
    "dropout",
    "hidden_size",
)
# Cost model of the planner (seconds, one CPU core; README "Speed" measures ~0.5 s
# per epoch of 50,000 images and ~5 s to start a job): rough, but only ratios matter.
START_SECONDS = 6.0
SECONDS_PER_IMAGE_EPOCH = 1.0e-5
SECONDS_PER_MILESTONE = 0.3
# The same on a GPU, for the stacked trainer (`ablation.training.pack.train_pack` on CUDA trains
# a pack's members as stacked tensors): at batch 64 a GPU is bound by kernel launches,
# so an epoch costs a fixed time per pack (~0.2 s per 50,000 images, the H100's
# single-run epoch in docs/speed.md) plus a little per member (~1/25 of a CPU core's);
# a pack of 36 runs then costs about what 1.5 runs cost on one core. Starting costs
# more than on the CPU: the CUDA context and moving the data to the GPU (~4 s). Rough
# guesses until measured on a GPU: again only the ratios matter.
GPU_START_SECONDS = 10.0
GPU_SECONDS_PER_IMAGE_EPOCH = 4.0e-6  # per pack
GPU_MEMBER_SECONDS_PER_IMAGE_EPOCH = 4.0e-7  # per member
GPU_MEMBER_SECONDS_PER_MILESTONE = 0.03
# Packs one GPU trains at once: one per data order (packs of one data order are best
# trained as one stacked pack), at most this many. Each runs in its own process with
# its own core, so a few processes overlap their kernel launches and Python on one
# GPU; beyond a few they only queue on it and each holds a CUDA context (~0.5 GB).
GPU_PACKS_PER_GPU = 4
CPU = "cpu"  # the device of a pack trained on the CPU


def pack_key(cfg: TrainConfig) -> tuple:
    """Runs with equal keys may share a pack: every field but `MEMBER_FIELDS`."""
    return tuple(
        (f.name, json.dumps(getattr(cfg, f.name), sort_keys=True, default=str))
        for f in dataclasses.fields(cfg)
        if f.name not in MEMBER_FIELDS
    )


@dataclass(frozen=True)
class Pack:
    """Runs trained together, on `device` (`cpu`, or the GPU `cuda:<i>` it was planned
    for).

    `id` is stable for the same members, whatever the device: it names what is
    trained (the rule `train_pack_<id>`, its log, its saved plan), while the device
    is how, a runtime choice like the number of cores, which must neither rename a
    pack nor retrain finished runs.
    """

    id: str
    configs: tuple[TrainConfig, ...]
    device: str = CPU

    @classmethod
    def of(cls, configs: Iterable[TrainConfig], device: str = CPU) -> Pack:
        configs = tuple(configs)
        paths = "\n".join(sorted(run_path(c.cell()) for c in configs))
        return cls(hashlib.sha256(paths.encode()).hexdigest()[:10], configs, device)


def save_plans(packs: Iterable[Pack], root: str | Path = ".") -> None:
    """Write each planned pack's members. A cluster job reads its pack here rather than
    planning anew: by the time it starts, other packs may have finished and the job
    slots differ, so a new plan could have other packs."""
    from ablation.io import write_text_atomic

    for pack in packs:
        plan = {"device": pack.device, "configs": [cfg.to_dict() for cfg in pack.configs]}
        write_text_atomic(Path(root) / layout.plan_file(pack.id), json.dumps(plan))


def target_pack_ids(argv: Sequence[str]) -> list[str]:
    """The packs a cluster job was sent to train: Snakemake starts it with
    `--target-jobs train_pack_<id>: ...` (its settings are not yet readable while the
    Snakefile is parsed)."""
    ids, taking = [], False
    for arg in argv:
        if arg.startswith("--"):
            taking = arg == "--target-jobs"
        elif taking and arg.startswith("train_pack_"):
            ids.append(arg.split(":", 1)[0].removeprefix("train_pack_"))
    return ids


def load_plan(pack_id: str, root: str | Path = ".") -> Pack:
    """The pack `save_plans` wrote under `pack_id`, with the device it was planned for."""
    plan = json.loads((Path(root) / layout.plan_file(pack_id)).read_text())
    if isinstance(plan, list):  # written before plans held a device: the CPU's
        plan = {"device": CPU, "configs": plan}
    pack = Pack.of((TrainConfig.from_dict(d) for d in plan["configs"]), plan["device"])
    if pack.id != pack_id:
        raise ValueError(f"{layout.plan_file(pack_id)} holds the members of pack {pack.id}")
    return pack


def plan_packs(
    configs: Sequence[TrainConfig],
    slots: int = 1,
    max_size: int | None = None,
    gpus: Sequence[str] = (),
    gpu_limit: int | None = None,
    cpu: bool = True,
) -> list[Pack]:
    """Split `configs` into packs of one data order each, balanced over `slots` workers
    (cores, or job slots on a cluster) and the GPUs `gpus` (`cuda:<i>`).

    Every pack size up to `max_size` (default: the largest group of one data order)
    is tried: each group is cut into packs of at most that size, as even as
    possible, and the packs are given longest first to the least loaded of `slots`
    workers. The size whose last worker finishes first wins; on a tie, the fewer
    packs. Example: 108 runs in 3 seeds on 2 cores give 6 packs of 18 (3 per core),
    not 3 of 36, which would leave one core idle for a third of the study.

    With GPUs, each trains up to one pack per data order at once (at most
    `GPU_PACKS_PER_GPU`, and at most `gpu_limit` packs on all GPUs together: the
    Snakemake resource `gpu`), each pack's process taking one of the `slots`; the
    other slots train packs on the CPU. Runs are moved from the GPU packs to the
    cores, a run of each data order in turn, as long as that makes the study end
    sooner by the cost model (`GPU_*`, `START_SECONDS`, ...); both sides are sized as
    above. `cpu=False` (`ABLATION_DEVICE=cuda`) keeps every pack on the GPUs. Without
    GPUs the plan is the CPU's alone.
    """
    groups = list(_groups(configs).values())
    if not groups:
        return []
    gpu_slots = _gpu_slots(len(groups), gpus, gpu_limit, slots, cpu)
    if not gpu_slots:
        _, cut = _best_split(groups, max(1, slots), max_size, _cost)
        return [Pack.of(members) for members in cut]
    return _mixed_plan(groups, slots, max_size, list(gpus), gpu_slots, cpu)


def gpu_slots_per_gpu(data_orders: int) -> int:
    """Packs one GPU trains at once: one per data order, at most `GPU_PACKS_PER_GPU`."""
    return max(1, min(data_orders, GPU_PACKS_PER_GPU))


def _gpu_slots(orders: int, gpus: Sequence[str], limit: int | None, slots: int, cpu: bool) -> int:
    """GPU packs at once: the GPUs' slots, within `limit` and the cores (one each)."""
    if not gpus:
        return 0
    count = min(len(gpus) * gpu_slots_per_gpu(orders), max(1, slots))
    if limit is not None:
        count = min(count, limit)
    return count if cpu else max(1, count)  # all on the GPUs: at least one at a time


def _groups(configs: Iterable[TrainConfig]) -> dict[tuple, list[TrainConfig]]:
    groups: dict[tuple, list[TrainConfig]] = {}
    for cfg in configs:
        groups.setdefault(pack_key(cfg), []).append(cfg)
    return groups


def _best_split(
    groups: Sequence[list[TrainConfig]],
    slots: int,
    max_size: int | None,
    cost: Callable[[list[TrainConfig]], float],
) -> tuple[float, list[list[TrainConfig]]]:
    """The cut of `groups` whose last of `slots` workers finishes first (then: fewest
    packs), over every pack size up to `max_size`; with that finishing time."""
    largest = max(len(g) for g in groups)
    sizes = range(1, min(max_size or largest, largest) + 1)
    return min(
        (
            (_schedule([cost(p) for p in cut], slots)[0], cut)
            for cut in (_split(groups, size) for size in sizes)
        ),
        key=lambda span_cut: (span_cut[0], len(span_cut[1])),
    )


class _Split(NamedTuple):
    """One way to share the runs between the GPUs and the cores, and when each finishes."""

    key: tuple  # (finish, packs, runs moved): the smallest wins
    gpu_cut: list[list[TrainConfig]]
    cpu_cut: list[list[TrainConfig]]
    cpu_span: float
    gpu_span: float


def _mixed_plan(
    groups: list[list[TrainConfig]],
    slots: int,
    max_size: int | None,
    gpus: list[str],
    gpu_slots: int,
    cpu: bool,
) -> list[Pack]:
    # The order in which runs move to the cores: the last run of each group in turn,
    # so that the GPU packs shrink evenly.
    order = [i for r in range(max(map(len, groups))) for i, g in enumerate(groups) if r < len(g)]

    def plan(moved: int) -> _Split | None:
        taken = [order[:moved].count(i) for i in range(len(groups))]
        on_gpu = [g[: len(g) - t] for g, t in zip(groups, taken, strict=True) if len(g) > t]
        on_cpu = [g[len(g) - t :] for g, t in zip(groups, taken, strict=True) if t]
        gpu_span, gpu_cut = (
            _best_split(on_gpu, gpu_slots, max_size, _gpu_cost) if on_gpu else (0.0, [])
        )
        cpu_slots = slots - min(gpu_slots, len(gpu_cut))  # a GPU pack's process takes a core
        if on_cpu and cpu_slots < 1:
            return None
        cpu_span, cpu_cut = _best_split(on_cpu, cpu_slots, max_size, _cost) if on_cpu else (0.0, [])
        key = (max(gpu_span, cpu_span), len(gpu_cut) + len(cpu_cut), moved)
        return _Split(key, gpu_cut, cpu_cut, cpu_span, gpu_span)

    # The GPU side's finishing time falls and the cores' rises as runs move: find where
    # they cross by bisection, then try a round of moves either side of it (both are
    # only nearly monotone, packs being whole) and the two extremes.
    plans = functools.cache(plan)
    last = len(order) if cpu else 0
    low, high = 0, last
    while low < high:
        middle = (low + high) // 2
        found = plans(middle)
        if found is None or found.cpu_span >= found.gpu_span:
            high = middle
        else:
            low = middle + 1
    near = range(max(0, low - len(groups) - 1), min(last, low + len(groups) + 1) + 1)
    tried = [plans(k) for k in sorted({0, last, *near})]
    best = min((p for p in tried if p is not None), key=lambda p: p.key)
    gpu_cut, cpu_cut = best.gpu_cut, best.cpu_cut
    # The GPU a pack goes to: that of the worker it was scheduled on (slots by turn).
    _, workers = _schedule([_gpu_cost(p) for p in gpu_cut], gpu_slots)
    on_gpus = [Pack.of(p, gpus[w % len(gpus)]) for p, w in zip(gpu_cut, workers, strict=True)]
    return on_gpus + [Pack.of(p) for p in cpu_cut]


def estimated_seconds(pack: Pack) -> float:
    """What the planner expects `pack` to take on its device (the cost model above)."""
    return (_cost if pack.device == CPU else _gpu_cost)(list(pack.configs))


def _split(groups: Iterable[list[TrainConfig]], size: int) -> list[list[TrainConfig]]:
    packs = []
    for group in groups:
        count = math.ceil(len(group) / size)
        base, extra = divmod(len(group), count)
        start = 0
        for i in range(count):
            end = start + base + (i < extra)
            packs.append(group[start:end])
            start = end
    return packs


def _schedule(costs: list[float], slots: int) -> tuple[float, list[int]]:
    """When the last of `slots` workers finishes, and the worker of each job, the jobs
    handed out longest first to the least loaded worker."""
    loads = [0.0] * slots
    workers = [0] * len(costs)
    for job in sorted(range(len(costs)), key=lambda j: costs[j], reverse=True):
        workers[job] = loads.index(min(loads))
        loads[workers[job]] += costs[job]
    return max(loads), workers


def _cost(pack: list[TrainConfig]) -> float:
    return START_SECONDS + sum(_run_cost(cfg) for cfg in pack)


def _run_cost(cfg: TrainConfig) -> float:
    return (
        cfg.epochs * _images(cfg) * SECONDS_PER_IMAGE_EPOCH
        + len(cfg.milestones) * SECONDS_PER_MILESTONE
    )


def _gpu_cost(pack: list[TrainConfig]) -> float:
    """A pack on a GPU: its members share every epoch's launches (one data order:
    the same epochs and images), and add a little arithmetic and evaluation each."""
    first = pack[0]
    per_epoch = GPU_SECONDS_PER_IMAGE_EPOCH + len(pack) * GPU_MEMBER_SECONDS_PER_IMAGE_EPOCH
    milestones = sum(len(cfg.milestones) for cfg in pack) * GPU_MEMBER_SECONDS_PER_MILESTONE
    return GPU_START_SECONDS + first.epochs * _images(first) * per_epoch + milestones


def _images(cfg: TrainConfig) -> int:
    return cfg.train_size or TRAIN_IMAGES - cfg.validation_size
