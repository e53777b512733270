"""A pack's files handed to its runs: which runs a pack must train, and each run's
`train_model` job, moving what its pack left into place."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ablation import layout
from ablation.config import TrainConfig, run_path
from ablation.layout import PACKED_FILES
from ablation.packs.plan import Pack


def runs_to_train(
    configs: Iterable[TrainConfig],
    root: str | Path = ".",
    inputs: Callable[[TrainConfig], Iterable[str | Path]] = lambda cfg: (),
) -> list[TrainConfig]:
    """The runs a pack must train: those not up to date (not finished, or finished under
    another config or before their inputs changed).

    Up to date means: trained by a pack under this config (its stamp in
    `layout.TRAINED` says so), no resume state left, and either finished
    (`layout.is_finished`) with its files newer than every one of its `inputs` (a
    missing one counts as newest), or its files still in `layout.PACKED` waiting to be
    moved to its folder.
    """
    root = Path(root)

    def newest(cfg: TrainConfig) -> float:
        paths = [root / p for p in inputs(cfg)]
        return max((p.stat().st_mtime if p.exists() else math.inf for p in paths), default=-1)

    return [cfg for cfg in configs if not _up_to_date(cfg, root, newest(cfg))]


def _up_to_date(cfg: TrainConfig, root: Path, newest_input: float) -> bool:
    run = run_path(cfg.cell())
    if _stamped_hash(root / layout.trained_stamp(run)) != cfg.hash():
        return False
    if (root / layout.state_file(run)).exists():
        return False
    if all((root / layout.packed_dir(run) / name).is_file() for name in PACKED_FILES):
        return True  # trained, its files not yet moved to the run folder
    if not layout.is_finished(root / layout.run_dir(run)):
        return False
    outputs = [root / layout.run_output(run, name) for name in layout.RUN_OUTPUTS]
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
        out.write((staged / layout.PACK_LOG).read_text())
    (staged / layout.PACK_LOG).unlink()
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
        [sys.executable, "-m", "ablation.training.job", *args, log_file, str(threads)], check=True
    )


def pack_members(pack: Pack) -> list[dict]:
    """What a pack's job needs of each member: its config and where its files go."""
    members = []
    for cfg in pack.configs:
        run = run_path(cfg.cell())
        staged = layout.packed_dir(run)
        members.append(
            {
                "config": cfg.to_dict(),
                "metrics": f"{staged}/{layout.METRICS}",
                "confusion": f"{staged}/{layout.CONFUSION}",
                "model": f"{staged}/{layout.MODEL}",
                "state": layout.state_file(run),
                # progress where `ablation status` and users look, and for the run's log
                "logs": [layout.run_log(run), f"{staged}/{layout.PACK_LOG}"],
                "benchmark": layout.run_benchmark(run),
                "trained": layout.trained_stamp(run),
            }
        )
    return members
