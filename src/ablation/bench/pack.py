"""One pack's epoch, its members trained one after another and stacked, side by side.

`ablation bench --pack CONFIG` takes the study's runs of its first data order (the
default study: 36 runs of seed 0), trains each way for --epochs on the same
images, device and thread count, alternating the ways over --repeats rounds, and
prints the best round of each (training time: the members' evaluation is the same
either way; noise only adds time), their ratio, and the
largest difference of any weight between the two ways (float reordering: the
stack's matrix products are shaped differently).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ablation.config import load_config
from ablation.data import Dataset
from ablation.grid import grid_cells, run_config
from ablation.packs.plan import pack_key
from ablation.training.pack import train_pack

WAYS = {"one after another": False, "stacked": True}


def pack_of(config_file: str | Path, epochs: int, train_size: int | None) -> list:
    """The study's runs of its first data order, scaled to `epochs` (no milestones)."""
    config = load_config(config_file)
    runs = [run_config(config, cell) for cell in grid_cells(config)]
    first = pack_key(runs[0])
    scaled = [replace(cfg, epochs=epochs, milestones=()) for cfg in runs]
    if train_size is not None:
        scaled = [replace(cfg, train_size=train_size) for cfg in scaled]
    return [cfg for cfg, run in zip(scaled, runs, strict=True) if pack_key(run) == first]


def run_pack_bench(cfgs: list, data: Dataset, device: torch.device, repeats: int) -> dict[str, Any]:
    """Seconds of each way (best of `repeats`, alternating) and the largest weight
    difference between them."""
    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    weights = {}
    for _ in range(repeats):
        for way, stacked in WAYS.items():
            results = train_pack(cfgs, data, device, stacked=stacked)
            seconds[way].append(sum(r.train_seconds for r in results))
            weights[way] = [r.model.state_dict() for r in results]
    apart = max(
        (a[name] - b[name]).abs().max().item()
        for a, b in zip(*weights.values(), strict=True)
        for name in a
    )
    best = {way: min(times) for way, times in seconds.items()}
    return {
        "members": len(cfgs),
        "epochs": cfgs[0].epochs,
        "images": cfgs[0].train_size,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "seconds": best,
        "stacked_ratio": best["stacked"] / best["one after another"],
        "largest_weight_difference": apart,
    }


def format_report(result: dict[str, Any]) -> str:
    lines = [
        f"a pack of {result['members']} runs, {result['epochs']} epoch(s) on "
        f"{result['images'] or 'all'} images, {result['device']}, "
        f"{result['threads']} thread(s), training time, best of the rounds:"
    ]
    for way, seconds in result["seconds"].items():
        lines.append(f"  {way:<18} {seconds:8.2f} s")
    lines.append(f"  stacked / one after another: {result['stacked_ratio']:.2f}x")
    lines.append(f"  largest weight difference:  {result['largest_weight_difference']:.2e}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("one pack, stacked or not (ablation.bench.pack)")
    group.add_argument(
        "--pack", type=Path, metavar="CONFIG",
        help="train this study's first pack (its runs of one data order) one run after "
        "another and stacked, side by side (--epochs, --train-size, --device, --repeats)",
    )  # fmt: skip
