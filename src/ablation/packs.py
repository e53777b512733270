"""Packs: runs that see the same minibatches, planned to be trained in one process each.

Runs with the same data order (`DATA_ORDER`: dataset, seed, batch size, training
and validation sizes) draw the same shuffles of the same images, so one process
can train them in lockstep (`ablation.train.train_pack`) and pay the start-up
(importing torch, loading the data) once. The workflow plans packs from the runs
still to train (`runs_to_train`), sized so that every core stays busy to the end
(`plan_packs`). Imports no torch: the Snakefile plans packs on every call.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ablation.config import TrainConfig, run_path

# The fields that set which minibatches a run sees, epoch after epoch.
DATA_ORDER = ("dataset", "seed", "batch_size", "train_limit", "validation_size")
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
OUTPUTS = ("metrics.parquet", "confusion.parquet", "model.pt")


def pack_key(cfg: TrainConfig) -> tuple:
    """Runs with equal keys may share a pack: every field but `MEMBER_FIELDS`."""
    return tuple(
        (f.name, json.dumps(getattr(cfg, f.name), sort_keys=True, default=str))
        for f in dataclasses.fields(cfg)
        if f.name not in MEMBER_FIELDS
    )


@dataclass(frozen=True)
class Pack:
    """Runs trained together; `id` is stable for the same members."""

    id: str
    configs: tuple[TrainConfig, ...]

    @classmethod
    def of(cls, configs: Iterable[TrainConfig]) -> Pack:
        configs = tuple(configs)
        paths = "\n".join(sorted(run_path(c.cell()) for c in configs))
        return cls(hashlib.sha256(paths.encode()).hexdigest()[:10], configs)


def plan_packs(
    configs: Sequence[TrainConfig], slots: int = 1, max_size: int | None = None
) -> list[Pack]:
    """Split `configs` into packs of one data order each, balanced over `slots` workers.

    Every pack size up to `max_size` (default: the largest group of one data order)
    is tried: each group is cut into packs of at most that size, as even as
    possible, and the packs are given longest first to the least loaded of `slots`
    workers. The size whose last worker finishes first wins; on a tie, the fewer
    packs. Example: 108 runs in 3 seeds on 2 cores give 6 packs of 18 (3 per core),
    not 3 of 36, which would leave one core idle for a third of the study.
    """
    groups: dict[tuple, list[TrainConfig]] = {}
    for cfg in configs:
        groups.setdefault(pack_key(cfg), []).append(cfg)
    if not groups:
        return []
    largest = max(len(g) for g in groups.values())
    sizes = range(1, min(max_size or largest, largest) + 1)
    best = min(
        (_split(groups.values(), size) for size in sizes),
        key=lambda packs: (_makespan(packs, max(1, slots)), len(packs)),
    )
    return [Pack.of(members) for members in best]


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


def _makespan(packs: list[list[TrainConfig]], slots: int) -> float:
    """When the last of `slots` workers finishes, packs handed out longest first."""
    loads = [0.0] * slots
    for cost in sorted((_cost(p) for p in packs), reverse=True):
        loads[loads.index(min(loads))] += cost
    return max(loads)


def _cost(pack: list[TrainConfig]) -> float:
    return START_SECONDS + sum(_run_cost(cfg) for cfg in pack)


def _run_cost(cfg: TrainConfig) -> float:
    images = cfg.train_limit or 60_000 - cfg.validation_size
    return (
        cfg.epochs * images * SECONDS_PER_IMAGE_EPOCH + len(cfg.milestones) * SECONDS_PER_MILESTONE
    )


def runs_to_train(
    configs: Iterable[TrainConfig],
    runs_root: str | Path,
    resume_root: str | Path,
    inputs: Iterable[str | Path] = (),
) -> list[TrainConfig]:
    """The runs not finished: outputs missing, left mid-way (a resume state exists),
    made by another config (the `config_hash` in their metrics differs), or older
    than one of `inputs` (or one of them missing), as Snakemake's rerun triggers
    would judge a job with these inputs."""
    times = [Path(p).stat().st_mtime if Path(p).exists() else math.inf for p in inputs]
    newest = max(times, default=-math.inf)
    return [
        cfg
        for cfg in configs
        if not _finished(cfg, Path(runs_root) / run_path(cfg.cell()), Path(resume_root), newest)
    ]


def _finished(cfg: TrainConfig, run_dir: Path, resume_root: Path, newest_input: float) -> bool:
    outputs = [run_dir / name for name in OUTPUTS]
    if not all(path.is_file() for path in outputs):
        return False
    if min(path.stat().st_mtime for path in outputs) < newest_input:
        return False
    if (resume_root / run_path(cfg.cell()) / "state.pt").exists():
        return False
    return recorded_config_hash(run_dir / "metrics.parquet") == cfg.hash()


def recorded_config_hash(metrics: Path) -> str | None:
    """The config hash a run's metrics were written with; None if unreadable."""
    import pyarrow.parquet as pq

    try:
        column = pq.read_table(metrics, columns=["config_hash"]).column(0)
        return str(column[0]) if len(column) else None
    except Exception:  # noqa: BLE001  damaged or foreign file: train the run again
        return None
