"""Resume state of a run: everything the next epoch depends on, saved as the run trains.

A run killed at any point restarts from its last saved epoch and ends bitwise
equal to an uninterrupted run (on the CPU with a fixed thread count).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ablation.config import TrainConfig
from ablation.io import torch_save_atomic

log = logging.getLogger("ablation.training.resume")
# Bumped when the layout of the state changes: an older state is then ignored, not misread.
STATE_FORMAT = 2
_STATE_KEYS = ("epoch", "history", "train_seconds", "last_finite")


def _rng_states(shuffle: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
    states = {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def save_state(
    path: str | Path,
    cfg: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    state: dict[str, Any],
) -> None:
    """Everything the next epoch depends on, written atomically (a kill keeps the old one)."""
    device = next(model.parameters()).device
    blob = {
        "format": STATE_FORMAT,
        "config_hash": cfg.hash(),
        "device_type": device.type,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),  # moments and step counters (fused ones too)
        "rng": _rng_states(shuffle, device),
        **{key: state[key] for key in _STATE_KEYS},
        "train_cpu_seconds": state.get("train_cpu_seconds", float("nan")),
    }
    torch_save_atomic(blob, path)


def restore(
    path: str | Path,
    cfg: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    device: torch.device,
) -> dict[str, Any] | None:
    """Load a saved state into `model`, `optimizer` and the generators.

    Returns the loop's state, or None when the file is unusable: unreadable,
    another config, another device type or layout. Then `model` and `optimizer`
    may be half-loaded and the caller must rebuild them.
    """
    blob = _read_state(path)
    problem = _state_problem(blob, cfg, device)
    if problem is not None:
        log.warning("ignoring resume state %s (%s); training starts over", path, problem)
        return None
    try:
        model.load_state_dict(blob["model"])
        optimizer.load_state_dict(blob["optimizer"])
        torch.set_rng_state(blob["rng"]["torch"].cpu())
        shuffle.set_state(blob["rng"]["shuffle"].cpu())
        if device.type == "cuda":
            torch.cuda.set_rng_state(blob["rng"]["cuda"].cpu(), device)
        last_finite = {k: v.to(device) for k, v in blob["last_finite"].items()}
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as err:
        log.warning("ignoring resume state %s (cannot be applied: %s); starting over", path, err)
        return None
    log.info("resuming after epoch %d of %d", blob["epoch"], cfg.epochs)
    return {
        "epoch": int(blob["epoch"]),
        "history": list(blob["history"]),
        "train_seconds": float(blob["train_seconds"]),
        # absent from states saved before CPU time was measured: unknown from then on
        "train_cpu_seconds": float(blob.get("train_cpu_seconds", float("nan"))),
        "last_finite": last_finite,
    }


def _read_state(path: str | Path) -> Any:
    try:
        # weights_only: a state file never runs code, whoever wrote it
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        return err


def _state_problem(blob: Any, cfg: TrainConfig, device: torch.device) -> str | None:
    if isinstance(blob, Exception):
        return f"unreadable: {type(blob).__name__}: {str(blob).strip().splitlines()[0][:200]}"
    if not isinstance(blob, dict) or blob.get("format") != STATE_FORMAT:
        return "written by another version of the pipeline"
    if blob.get("config_hash") != cfg.hash():
        return "it belongs to another configuration of this run"
    if blob.get("device_type") != device.type:
        return f"saved on {blob.get('device_type')}, resuming on {device.type}"
    missing = [k for k in ("model", "optimizer", "rng", *_STATE_KEYS) if k not in blob]
    if missing:
        return f"incomplete, lacks {missing}"
    return None
