"""Checkpoints that load the tutorial's way and still carry the run's story.

`model.pt` is a plain state dict, so `model.load_state_dict(torch.load(path))`
works as in the tutorial. The run's config and final metrics ride along in the
state dict's `_metadata` (which torch keeps through save and weights-only load,
and which `load_state_dict` ignores beyond its per-module entries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ablation import layout
from ablation.config import TrainConfig
from ablation.io import torch_save_atomic
from ablation.training.model import SimpleNet

INFO_KEY = "ablation"
# The parameters of SimpleNet (activation and dropout hold none).
WEIGHT_KEYS = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")
FIX = f"pass a {layout.MODEL} from {layout.RUNS}/"  # what every CheckpointError asks for


class CheckpointError(ValueError):
    """A file that is not a checkpoint of this network; the message says why."""


def save_checkpoint(model: torch.nn.Module, info: dict[str, Any], path: str | Path) -> None:
    """Save `model`'s weights with `info` (plain data: config, final metrics) attached."""
    state = model.state_dict()
    state._metadata[INFO_KEY] = info
    torch_save_atomic(state, path)


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The state dict and the attached info.

    Loading is weights-only: tensors and plain data, never pickled code, so a
    hostile file cannot run anything.

    Raises
    ------
    CheckpointError
        When the file is missing, damaged, or holds anything but SimpleNet weights.
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file; {FIX}") from None
    except Exception as err:  # torch raises many kinds (UnpicklingError, RuntimeError, ...)
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise CheckpointError(
            f"{path}: not a checkpoint written by this pipeline (loading it weights-only, "
            f"which never runs code from the file, failed: {first}); {FIX}"
        ) from None
    if not isinstance(state, dict) or set(state) != set(WEIGHT_KEYS):
        found = sorted(map(str, state))[:6] if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(
            f"{path}: holds no SimpleNet weights (expected {', '.join(WEIGHT_KEYS)}; "
            f"found {found}); {FIX}"
        )
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(f"{path}: {bad} are not tensors; {FIX}")
    info = getattr(state, "_metadata", {}).get(INFO_KEY, {})
    return state, info


def load_model(path: str | Path) -> tuple[SimpleNet, dict[str, Any]]:
    """Rebuild the network a checkpoint was trained with and load its weights.

    Raises
    ------
    CheckpointError
        When the file is not a checkpoint of this pipeline, or its weights do not
        fit the architecture its run info describes.
    """
    state, info = read_checkpoint(path)
    if "config" not in info:
        raise CheckpointError(
            f"{path}: weights without the pipeline's run info; build "
            f"SimpleNet(hidden_size={_hidden_size(state)}) yourself and use load_weights"
        )
    try:
        cfg = TrainConfig.from_dict(info["config"])
        model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout)
    except (TypeError, KeyError, ValueError) as err:
        raise CheckpointError(
            f"{path}: run info written by another version of the pipeline ({err}); "
            "load the weights with load_weights into a SimpleNet you build"
        ) from None
    _check_shapes(path, state, model, "its run info says")
    model.load_state_dict(state)
    model.eval()
    return model, info


def load_weights(model: torch.nn.Module, path: str | Path) -> dict[str, Any]:
    """Load a checkpoint's weights into `model` (a SimpleNet you built); returns the run info.

    Raises
    ------
    CheckpointError
        When the checkpoint's architecture (hidden size) differs from `model`'s.
    """
    state, info = read_checkpoint(path)
    _check_shapes(path, state, model, "the model passed has")
    model.load_state_dict(state)
    return info


def _hidden_size(state: dict[str, torch.Tensor]) -> int:
    return int(state["fc1.weight"].shape[0])


def _check_shapes(path: str | Path, state: dict, model: torch.nn.Module, whose: str) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        want = expected.get("fc1.weight", ("?",))[0]
        raise CheckpointError(
            f"{path}: weights of another architecture: hidden size {_hidden_size(state)} "
            f"(shapes {found}), but {whose} hidden size {want} (shapes {expected}); "
            f"build SimpleNet(hidden_size={_hidden_size(state)}) to load it"
        )
