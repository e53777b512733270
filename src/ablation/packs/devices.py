"""The devices packs train on, given the knobs that choose them (`ablation.environment`)."""

from __future__ import annotations

from collections.abc import Callable

from ablation.packs.plan import CPU


def visible_gpus() -> int:
    """The CUDA GPUs torch sees here (imports torch: ask only where needed)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def planned_gpus(device: str, count: int | None, visible: Callable[[], int]) -> list[str]:
    """The GPUs to plan packs for, given `ABLATION_DEVICE` (`device`) and `ABLATION_GPUS`
    (`count`; None: `visible()`, which may import torch, is asked only then).

    `cpu`: none. `cuda:<i>`: that one. `auto`: `count` GPUs. `cuda`: as many, at least
    one (a pack planned for a GPU that is not there stops with the `DeviceError` of
    `ablation.training.loop.select_device`). Any other device (`mps`, ...): none; the packs,
    planned as the CPU's, train on it (`job_device`).
    """
    if device.startswith("cuda:"):
        return [device]
    if device not in ("auto", "cuda"):
        return []
    found = visible() if count is None else count
    if device == "cuda":
        found = max(found, 1)
    return [f"cuda:{i}" for i in range(found)]


def job_device(planned: str, setting: str, visible: Callable[[], int]) -> str:
    """Where a pack's job trains: the device of its plan (`Pack.device`), given
    `ABLATION_DEVICE` (`setting`) and the number of GPUs the job sees (`visible()`).

    A CPU pack trains on the CPU, or on another device than CUDA that `setting` names.
    A GPU pack trains on the GPU it was planned for, or, where the job sees fewer (a
    SLURM job sees only the GPU it was given, as `cuda:0`), on that GPU modulo the
    ones it sees; where it sees none, on the planned one all the same, so that it
    stops with a clear error instead of training a pack sized for a GPU on one core.
    """
    if planned == CPU:
        return CPU if setting == "auto" or setting.startswith("cuda") else setting
    found = visible()
    if not found:
        return planned
    index = int(planned.partition(":")[2] or 0)
    return f"cuda:{index % found}"
