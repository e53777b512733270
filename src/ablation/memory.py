"""What training one run needs in memory, estimated from its config, and what this machine has.

The estimate counts what grows with the settings: the network's parameters (weights,
gradients, the optimizer's buffers, the copy kept of the last finite weights), a
minibatch's activations, an evaluation batch's, and the images as one epoch uses
them; plus a fixed share for Python and torch (a job's peak RSS at width 128 is about
0.9 GB, docs/speed.md). It is rough, and low rather than high: a study it refuses
cannot train here, whatever the packs. Imports no torch: the Snakefile checks each
study with it while it plans (`ablation.config.validate_config(..., memory=...)`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ablation.grid import TRAIN_IMAGES, TrainConfig

FLOAT = 4  # bytes of a float32
PIXELS, CLASSES = 784, 10
TEST_IMAGES = 10_000
BASE_BYTES = 900_000_000  # Python, torch and the job's code
# Per-parameter buffers an optimizer keeps (moments, momentum, ...); others count 2.
OPTIMIZER_BUFFERS = {"SGD": 0, "Adagrad": 1, "ASGD": 1, "RMSprop": 1, "Adam": 2, "AdamW": 2}
# Training a minibatch keeps ~4 hidden-sized tensors per image (pre-activation,
# activation, dropout output, its gradient); evaluating one keeps 2.
TRAIN_ACTIVATIONS, EVAL_ACTIVATIONS = 4, 2
# The parts of the estimate, each with the setting that sizes it.
SETTING_OF = {
    "model": "hidden_size",
    "batches": "batch_size",
    "evaluation": "eval_batch_size",
    "images": "train_size",
}


@dataclass(frozen=True)
class Estimate:
    """Bytes to train one run, by part (`SETTING_OF`), and its weights alone."""

    base: int
    model: int
    batches: int
    evaluation: int
    images: int
    weights: int

    @property
    def total(self) -> int:
        return self.base + self.model + self.batches + self.evaluation + self.images

    def culprit(self, memory: int) -> str:
        """The setting to lower to fit in `memory` bytes: the width where the network
        alone does not fit (it also sizes every batch), else that of the largest part."""
        if self.base + self.model + self.images > memory:
            return SETTING_OF["model"]
        return SETTING_OF[max(SETTING_OF, key=lambda part: getattr(self, part))]


def parameters(hidden_size: int) -> int:
    """SimpleNet's parameters: 784 -> hidden -> 10, with biases."""
    return (PIXELS + 1) * hidden_size + (hidden_size + 1) * CLASSES


def optimizer_buffers(cfg: TrainConfig) -> int:
    """Per-parameter tensors the optimizer of `cfg` keeps."""
    kwargs = cfg.optimizer_kwargs
    count = OPTIMIZER_BUFFERS.get(cfg.optimizer_class, 2)
    if kwargs.get("momentum"):
        count += 1
    return count + bool(kwargs.get("amsgrad")) + bool(kwargs.get("centered"))


def train_images(cfg: TrainConfig) -> int:
    available = TRAIN_IMAGES - cfg.validation_size
    return available if cfg.train_size is None else min(cfg.train_size, available)


def estimate(cfg: TrainConfig) -> Estimate:
    """What training `cfg` alone needs in memory, by part."""
    weights = FLOAT * parameters(cfg.hidden_size)
    # weights, gradients, the last finite copy and the optimizer's buffers
    model = weights * (3 + optimizer_buffers(cfg))
    batches = FLOAT * cfg.batch_size * (TRAIN_ACTIVATIONS * cfg.hidden_size + PIXELS)
    evaluation = FLOAT * cfg.eval_batch_size * (EVAL_ACTIVATIONS * cfg.hidden_size + PIXELS)
    # every image as stored, and one epoch's shuffled copy of the training images as
    # bytes and as floats
    images = (TRAIN_IMAGES + TEST_IMAGES) * PIXELS + train_images(cfg) * PIXELS * (1 + FLOAT)
    return Estimate(BASE_BYTES, model, batches, evaluation, images, weights)


def largest_fitting(cfg: TrainConfig, setting: str, memory: int) -> int:
    """The largest value of `setting` (`SETTING_OF`) with which `cfg` fits in `memory`
    bytes, the others as they are (0: none does)."""
    low, high = 0, 1
    while _fits(cfg, setting, high, memory) and high < 2**40:
        low, high = high, high * 2
    while high - low > 1:  # `estimate` grows with each setting: bisect
        middle = (low + high) // 2
        low, high = (middle, high) if _fits(cfg, setting, middle, memory) else (low, middle)
    return low


def _fits(cfg: TrainConfig, setting: str, value: int, memory: int) -> bool:
    changed = TrainConfig.from_dict({**cfg.to_dict(), setting: value})
    return estimate(changed).total <= memory


def machine_memory() -> int | None:
    """Bytes of memory this machine (or the container's memory limit) gives a process;
    None where it cannot tell."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def human(size: int | float) -> str:
    """Bytes as `314 GB`, `1.6 TB`, `950 MB`, `407 kB` (powers of 1000)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size / 1e3:.0f} kB"
