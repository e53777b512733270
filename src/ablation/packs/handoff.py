"""A pack's files handed to its runs: which runs a pack must train, and each run's
`train_model` job, moving what its pack left into place."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ablation.config import TrainConfig, run_path
from ablation.packs.plan import OUTPUTS, PACKED, PACKED_FILES, RESUME, RUNS, TRAINED, Pack


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
        [sys.executable, "-m", "ablation.training.job", *args, log_file, str(threads)], check=True
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
