"""The devices packs train on, and the environment knobs that choose them."""

from __future__ import annotations

from collections.abc import Callable

from ablation.packs.plan import CPU


def max_pack_size(value: str) -> int | None:
    """`ABLATION_PACK_SIZE`: auto (None: the planner chooses) or a whole number >= 1."""
    if value == "auto":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ABLATION_PACK_SIZE={value!r}: set it to auto or a whole number >= 1")
    return int(value)


def stacking(value: str) -> bool | None:
    """`ABLATION_STACK`: auto (None: stacked on a GPU, members one after another on the
    CPU), on or off (`ablation.lockstep.train_pack`)."""
    choices = {"auto": None, "on": True, "off": False}
    if value not in choices:
        raise ValueError(f"ABLATION_STACK={value!r}: set it to auto, on or off")
    return choices[value]


def gpu_count_setting(value: str) -> int | None:
    """`ABLATION_GPUS`: auto (None: the GPUs torch sees) or a whole number >= 0."""
    if value == "auto":
        return None
    if not value.isdigit():
        raise ValueError(f"ABLATION_GPUS={value!r}: set it to auto or a whole number >= 0")
    return int(value)


def visible_gpus() -> int:
    """The CUDA GPUs torch sees here (imports torch: ask only where needed)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def planned_gpus(device: str, count: int | None, visible: Callable[[], int]) -> list[str]:
    """The GPUs to plan packs for, given `ABLATION_DEVICE` (`device`) and `ABLATION_GPUS`
    (`count`; None: `visible()`, which may import torch, is asked only then).

    `cpu`: none. `cuda:<i>`: that one. `auto`: `count` GPUs. `cuda`: as many, at least
    one (a pack planned for a GPU that is not there stops with the `DeviceError` of
    `ablation.train.select_device`). Any other device (`mps`, ...): none; the packs,
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
