"""A whole study end to end through Snakemake: packed, and one job per run, side by side.

`ablation bench --study CONFIG [--epochs K] [--cores N]` copies the workflow into a
temporary folder per way, scales the study (K epochs, milestones up to K, every cell;
`--train-size` caps the training images), puts the prepared dataset in place (its
preparation is not timed) and runs `snakemake --cores N` to the report:

  packed           as the workflow plans it (ABLATION_PACK_SIZE=auto)
  one job per run  ABLATION_PACK_SIZE=1: a job per run, as before packing

Each wall time is split into start-up (Snakemake planning, then each training job's
imports and data loading), training (the epochs), evaluation (milestones, the final
test, writing the run's files) and the tail (aggregation, statistics, figures and
report after the last training job). Training jobs run in parallel: their part of the
wall time is shared out in proportion to the seconds they spent on each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from ablation import environment, layout
from ablation.data import DataError, prepare_dataset
from ablation.io import write_text_atomic

WAYS = {"packed": "auto", "one job per run": "1"}
WORKFLOW_FILES = ("Snakefile", "workflow", "config", "profiles", "envs")
PARTS = ("start-up", "training", "evaluation", "tail")


def scaled_study(default: dict, study: dict, epochs: int, train_size: int | None) -> dict:
    """`study` over the `default` config, cut to `epochs` (and `train_size` images)."""
    from snakemake.utils import update_config

    merged = json.loads(json.dumps(default))
    update_config(merged, study)
    training = merged.setdefault("training", {})
    milestones = {m for m in training.get("milestones", []) if m <= epochs} | {epochs}
    training.update(epochs=epochs, milestones=sorted(milestones))
    if train_size is not None:
        training["train_size"] = train_size
    return merged


def run_way(
    repo: Path, folder: Path, study: dict, data_file: Path, cores: int, pack_size: str, device: str
) -> dict[str, Any]:
    """One `snakemake --cores N` from scratch in `folder`; its wall time and jobs' timings."""
    for name in WORKFLOW_FILES:
        source = repo / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, folder / name)
    config = folder / "config" / "bench.yaml"
    config.write_text(yaml.safe_dump(study, sort_keys=False))
    dataset = study.get("data", {}).get("dataset", "mnist")
    copy = folder / layout.data_file(layout.DATA_ROOT, dataset)
    copy.parent.mkdir(parents=True)
    shutil.copy2(data_file, copy)
    env = {**os.environ, environment.PACK_SIZE: pack_size, environment.DEVICE: device}
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        str(cores),
        "--configfile",
        str(config),
    ]
    started = time.time()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    ended = time.time()
    if done.returncode != 0:
        raise RuntimeError(
            f"snakemake failed in {folder}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    jobs = [
        json.loads(line.split("job timing: ", 1)[1])
        for log in sorted(folder.glob(layout.log_file(layout.PACK_RULE, "*")))
        for line in log.read_text().splitlines()
        if "job timing: " in line
    ]
    return {"wall": ended - started, "parts": split_wall(started, ended, jobs), "jobs": jobs}


def split_wall(started: float, ended: float, jobs: list[dict]) -> dict[str, float]:
    """The wall time as start-up, training, evaluation and tail (they add up to it)."""
    if not jobs:
        return {"start-up": 0.0, "training": 0.0, "evaluation": 0.0, "tail": ended - started}
    first, last = min(j["started"] for j in jobs), max(j["ended"] for j in jobs)
    spent = {
        "start-up": sum(j["start_up"] for j in jobs),
        "training": sum(j["training"] for j in jobs),
        "evaluation": sum(j["evaluation"] + j["writing"] for j in jobs),
    }
    total = sum(spent.values()) or 1.0
    parts = {name: (last - first) * seconds / total for name, seconds in spent.items()}
    parts["start-up"] += first - started  # Snakemake's own start and planning
    parts["tail"] = ended - last
    return parts


def run_study_bench(
    study_file: Path,
    data_file: Path,
    epochs: int,
    cores: int,
    train_size: int | None = None,
    device: str = "cpu",
    repo: Path | None = None,
    ways: tuple[str, ...] = tuple(WAYS),
) -> dict[str, Any]:
    """The `ways` on the same scaled study, one after the other; figures as a dict."""
    repo = repo or Path.cwd()
    if not (repo / "Snakefile").is_file():
        raise DataError(f"{repo}: no Snakefile here; run `ablation bench --study` in the project")
    default = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    study = scaled_study(
        default, yaml.safe_load(Path(study_file).read_text()) or {}, epochs, train_size
    )
    result: dict[str, Any] = {
        "study": str(study_file), "epochs": epochs, "cores": cores, "device": device,
        "train_size": train_size, "ways": {},
    }  # fmt: skip
    for way in ways:
        pack_size = WAYS[way]
        with tempfile.TemporaryDirectory(prefix="ablation-study-bench-") as tmp:
            result["ways"][way] = run_way(
                repo, Path(tmp), study, data_file, cores, pack_size, device
            )
    if len(ways) == 2:
        packed, alone = (result["ways"][w]["wall"] for w in WAYS)
        result["ratio"] = packed / alone
    return result


def format_report(result: dict[str, Any]) -> str:
    ways = result["ways"]
    names = list(ways)
    runs = sum(j["runs"] for j in ways[names[0]]["jobs"])
    size = f", {result['train_size']} training images" if result["train_size"] else ""
    lines = [
        f"study     {result['study']} scaled to {result['epochs']} epochs{size}: {runs} runs, "
        f"--cores {result['cores']}, device {result['device']}",
        f"{'':22}" + "".join(f"{n:>18}" for n in names) + f"{'ratio':>10}",
    ]

    def row(label: str, values: list[float], unit: str = " s") -> str:
        cells = "".join(f"{v:>16.1f}{unit}" for v in values)
        if len(values) < 2:
            return f"{label:22}{cells}"
        ratio = values[0] / values[1] if values[1] else float("nan")
        return f"{label:22}{cells}{ratio:>9.2f}x"

    lines.append(row("wall time", [ways[n]["wall"] for n in names]))
    for part in PARTS:
        label = "  analysis/report tail" if part == "tail" else f"  {part}"
        lines.append(row(label, [ways[n]["parts"][part] for n in names]))
    lines.append(row("training jobs", [len(ways[n]["jobs"]) for n in names], unit="  "))
    if "ratio" in result:
        lines.append(
            f"packed / one job per run: {result['ratio']:.2f}x of the wall time "
            "(start-up includes Snakemake's planning; training jobs share the cores)"
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `ablation bench --study` (its other options: --epochs, --train-size,
    --device, --data/--local-dir, --json)."""
    study = parser.add_argument_group("the whole study, end to end (ablation.bench.study)")
    study.add_argument(
        "--study", type=Path, metavar="CONFIG",
        help="run this study scaled to --epochs through Snakemake, packed and one job per "
        "run, side by side (--train-size caps its training images)",
    )  # fmt: skip
    study.add_argument("--cores", type=int, default=2, help="snakemake --cores (default 2)")
    study.add_argument(
        "--ways", choices=("both", "packed"), default="both",
        help="both (default), or packed only: the workflow as it plans (long studies)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """`ablation bench --study CONFIG`: both ways, the table, optionally JSON."""
    if args.local_dir is None and not args.data.exists():
        raise DataError(
            f"{args.data}: no such dataset file; pass --data FILE (the data rule writes "
            f"{layout.data_file(layout.DATA_ROOT, '<dataset>')}) or --local-dir DIR (a folder "
            "with the original files)"
        )
    device = args.device
    with tempfile.TemporaryDirectory(prefix="ablation-data-") as tmp:
        data_file = args.data
        if args.local_dir is not None:
            study = yaml.safe_load(Path(args.study).read_text()) or {}
            dataset = study.get("data", {}).get("dataset", "mnist")
            data_file = prepare_dataset(dataset, tmp, args.local_dir)
        ways = tuple(WAYS) if args.ways == "both" else ("packed",)
        result = run_study_bench(
            args.study, data_file, args.epochs, args.cores, args.train_size, device, ways=ways
        )
    print(format_report(result))
    if args.json is not None:
        write_text_atomic(args.json, json.dumps(result, indent=2) + "\n")
    return 0
