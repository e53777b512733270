"""The environment variables that steer the workflow on this machine, each read here alone.

They are runtime knobs, not part of the study: a rule never takes one as a param, so
changing one never retrains a finished run (docs/configuration.md lists them).

=====================  =====================================  ==============================
variable               values (default first)                 read by
=====================  =====================================  ==============================
``ABLATION_DEVICE``    auto, cpu, cuda, cuda:N, other torch   the plan (which packs go to a
                       devices                                GPU) and every training job
``ABLATION_GPUS``      auto (the GPUs torch sees), N >= 0     the plan only
``ABLATION_PACK_SIZE`` auto (the planner sizes packs), N >= 1 the plan only
``ABLATION_STACK``     auto (stacked on a GPU), on, off       the plan (checked) and each
                                                              pack's job
``ABLATION_DATA_DIR``  unset, or a folder of datasets         the data lookup
                       (``<Class>/raw/``)
=====================  =====================================  ==============================

A value that is not one of these stops with a message naming the variable and its
choices (`ValueError`), before any job starts where the plan reads it. Imports nothing
of the library: the Snakefile reads it while it parses.
"""

from __future__ import annotations

import os

DEVICE = "ABLATION_DEVICE"
GPUS = "ABLATION_GPUS"
PACK_SIZE = "ABLATION_PACK_SIZE"
STACK = "ABLATION_STACK"
DATA_DIR = "ABLATION_DATA_DIR"
DEFAULTS = {DEVICE: "auto", GPUS: "auto", PACK_SIZE: "auto", STACK: "auto", DATA_DIR: ""}


def value(name: str) -> str:
    """The knob `name` as set, or its default: the one place the environment is read."""
    return os.environ.get(name, DEFAULTS[name])


def device() -> str:
    """`ABLATION_DEVICE`: where training runs; `auto`, CUDA where torch sees it."""
    return value(DEVICE)


def gpu_count() -> int | None:
    """`ABLATION_GPUS`: how many GPUs to plan packs for; None (`auto`): those torch sees."""
    setting = value(GPUS)
    if setting == "auto":
        return None
    if not setting.isdigit():
        raise ValueError(f"{GPUS}={setting!r}: set it to auto or a whole number >= 0")
    return int(setting)


def pack_size() -> int | None:
    """`ABLATION_PACK_SIZE`: the most runs in a pack; None (`auto`): the planner chooses."""
    setting = value(PACK_SIZE)
    if setting == "auto":
        return None
    if not setting.isdigit() or int(setting) < 1:
        raise ValueError(f"{PACK_SIZE}={setting!r}: set it to auto or a whole number >= 1")
    return int(setting)


def stacking() -> bool | None:
    """`ABLATION_STACK`: how a pack's members train (`ablation.training.pack.train_pack`):
    None (`auto`: stacked on a GPU, one after another on the CPU), True (on), False (off)."""
    setting = value(STACK)
    choices = {"auto": None, "on": True, "off": False}
    if setting not in choices:
        raise ValueError(f"{STACK}={setting!r}: set it to auto, on or off")
    return choices[setting]


def data_dir() -> str | None:
    """`ABLATION_DATA_DIR`: a folder of datasets, one `<Class>/raw/` each; None if unset."""
    return value(DATA_DIR) or None
