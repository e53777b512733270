"""Packs: runs that see the same minibatches, planned to be trained in one process each.

Runs with the same data order (`DATA_ORDER`: dataset, seed, batch size, training
and validation sizes) draw the same shuffles of the same images, so one process
can train them in lockstep (`ablation.lockstep.train_pack`) and pay the start-up
(importing torch, loading the data) once. The workflow plans packs from the runs
still to train (`runs_to_train`), sized so that every core stays busy to the end
(`plan_packs`). Imports no torch: the Snakefile plans packs on every call.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

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
# Where a run's files live (the workflow's layout, relative to the project folder):
RUNS = "results/runs"  # <run>/ + OUTPUTS: what the run keeps
RESUME = "results/.resume"  # <run>/state.pt while it trains
PACKED = "results/.packs"  # <run>/ + PACKED_FILES: as its pack left them, until moved
TRAINED = "results/.trained"  # <run>.json: the pack's stamp (config hash), kept
PLANS = "results/.packs/plans"  # <pack id>.json: the members of a planned pack
OUTPUTS = ("metrics.parquet", "confusion.parquet", "model.pt")
PACKED_FILES = (*OUTPUTS, "train.log")


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


def save_plans(packs: Iterable[Pack], root: str | Path = ".") -> None:
    """Write each planned pack's members. A cluster job reads its pack here rather than
    planning anew: by the time it starts, other packs may have finished and the job
    slots differ, so a new plan could have other packs."""
    from ablation.io import write_text_atomic

    for pack in packs:
        configs = [cfg.to_dict() for cfg in pack.configs]
        write_text_atomic(Path(root) / PLANS / f"{pack.id}.json", json.dumps(configs))


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
    """The pack `save_plans` wrote under `pack_id`."""
    configs = json.loads((Path(root) / PLANS / f"{pack_id}.json").read_text())
    pack = Pack.of(TrainConfig.from_dict(d) for d in configs)
    if pack.id != pack_id:
        raise ValueError(f"{PLANS}/{pack_id}.json holds the members of pack {pack.id}")
    return pack


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
    images = cfg.train_size or TRAIN_IMAGES - cfg.validation_size
    return (
        cfg.epochs * images * SECONDS_PER_IMAGE_EPOCH + len(cfg.milestones) * SECONDS_PER_MILESTONE
    )


def runs_to_train(
    configs: Iterable[TrainConfig],
    root: str | Path = ".",
    inputs: Callable[[TrainConfig], Iterable[str | Path]] = lambda cfg: (),
) -> list[TrainConfig]:
    """The runs a pack must train: not finished, or finished under another config.

    Finished means: trained by a pack under this config (its stamp in `TRAINED`
    says so), no resume state left, and its files either in its run folder, newer
    than every one of its `inputs` (a missing one counts as newest), or still in
    `PACKED` waiting to be moved there.
    """
    root = Path(root)

    def newest(cfg: TrainConfig) -> float:
        paths = [root / p for p in inputs(cfg)]
        return max((p.stat().st_mtime if p.exists() else math.inf for p in paths), default=-1)

    return [cfg for cfg in configs if not _finished(cfg, root, newest(cfg))]


def _finished(cfg: TrainConfig, root: Path, newest_input: float) -> bool:
    run = run_path(cfg.cell())
    if _stamped_hash(root / TRAINED / f"{run}.json") != cfg.hash():
        return False
    if (root / RESUME / run / "state.pt").exists():
        return False
    if all((root / PACKED / run / name).is_file() for name in PACKED_FILES):
        return True  # trained, its files not yet moved to the run folder
    outputs = [root / RUNS / run / name for name in OUTPUTS]
    if not all(path.is_file() for path in outputs):
        return False
    return min(path.stat().st_mtime for path in outputs) >= newest_input


def _stamped_hash(stamp: Path) -> str | None:
    try:
        return json.loads(stamp.read_text())["config_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def adopt_packed(staged: str | Path, metrics, confusion, model, log_file) -> bool:
    """Move a run's files, as its pack left them in `staged`, to where the run keeps
    them (fresh modification times: newer than the pack's stamp), and its progress
    lines into `log_file`. False, moving nothing, where they are not all there."""
    staged = Path(staged)
    if not all((staged / name).is_file() for name in PACKED_FILES):
        return False
    for name, target in zip(PACKED_FILES, (metrics, confusion, model), strict=False):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        (staged / name).replace(target)
        Path(target).touch()
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "a") as out:
        out.write((staged / "train.log").read_text())
    (staged / "train.log").unlink()
    return True


def finish_run(
    packed: str, config: dict, data: str, output, state: str, log_file: str, threads: int
) -> None:
    """A run's `train_model` job: move its pack's files into place, or, where there are
    none (a run forced to retrain outside any pack), train it alone in a new process."""
    if adopt_packed(packed, output.metrics, output.confusion, output.model, log_file):
        return
    args = [json.dumps(config), data, output.metrics, output.model, output.confusion, state]
    subprocess.run(
        [sys.executable, "-m", "ablation.runs", *args, log_file, str(threads)], check=True
    )


def pack_members(pack: Pack) -> list[dict]:
    """What a pack's job needs of each member: its config and where its files go."""
    members = []
    for cfg in pack.configs:
        run = run_path(cfg.cell())
        staged = f"{PACKED}/{run}"
        members.append(
            {
                "config": cfg.to_dict(),
                "metrics": f"{staged}/metrics.parquet",
                "confusion": f"{staged}/confusion.parquet",
                "model": f"{staged}/model.pt",
                "state": f"{RESUME}/{run}/state.pt",
                # progress where `ablation status` and users look, and for the run's log
                "logs": [f"logs/train_model/{run}.log", f"{staged}/train.log"],
                "benchmark": f"benchmarks/train_model/{run}.tsv",
                "trained": f"{TRAINED}/{run}.json",
            }
        )
    return members


def max_pack_size(value: str) -> int | None:
    """`ABLATION_PACK_SIZE`: auto (None: the planner chooses) or a whole number >= 1."""
    if value == "auto":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ABLATION_PACK_SIZE={value!r}: set it to auto or a whole number >= 1")
    return int(value)
