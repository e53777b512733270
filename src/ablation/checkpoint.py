"""Checkpoints that load the tutorial's way and still carry the run's story.

`model.pt` is a plain state dict, so `model.load_state_dict(torch.load(path))`
works as in the tutorial. The run's config and final metrics ride along in the
state dict's `_metadata` (which torch keeps through save and weights-only load,
and which `load_state_dict` ignores beyond its per-module entries).
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from ablation.config import TrainConfig
from ablation.io import atomic_write
from ablation.model import SimpleNet

INFO_KEY = "ablation"


class CheckpointError(ValueError):
    """A file that is not a checkpoint of this network; the message says why."""


def save_checkpoint(model: torch.nn.Module, info: dict[str, Any], path: str | Path) -> None:
    """Save `model`'s weights with `info` (plain data: config, final metrics) attached."""
    state = model.state_dict()
    state._metadata[INFO_KEY] = info
    with atomic_write(path) as tmp:
        torch.save(state, tmp)


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The state dict and the attached info; never unpickles code (weights only)."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except (pickle.UnpicklingError, RuntimeError, zipfile.BadZipFile, EOFError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"{path}: not a checkpoint written by this pipeline (torch.load refused it: {first}); "
            "pass a model.pt from results/runs/"
        ) from None
    if not isinstance(state, dict) or "fc1.weight" not in state:
        raise CheckpointError(f"{path}: holds no SimpleNet weights (no fc1.weight); pass a model.pt")
    info = getattr(state, "_metadata", {}).get(INFO_KEY, {})
    return state, info


def load_model(path: str | Path) -> tuple[SimpleNet, dict[str, Any]]:
    """Rebuild the network a checkpoint was trained with and load its weights."""
    state, info = read_checkpoint(path)
    if "config" not in info:
        raise CheckpointError(
            f"{path}: weights without the pipeline's run info; build SimpleNet yourself and "
            "call load_state_dict"
        )
    cfg = TrainConfig.from_dict(info["config"])
    model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        raise CheckpointError(
            f"{path}: weights of another architecture (found {found}, expected {expected} "
            f"for hidden_size={cfg.hidden_size})"
        )
    model.load_state_dict(state)
    model.eval()
    return model, info
