"""Use a trained checkpoint: classify pictures of digits, or measure it on a dataset.

Pictures are brought into MNIST's form first (`ablation.images`) and then scaled to
[0, 1] as torchvision's ToTensor does, as training feeds the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ablation.config import TrainConfig
from ablation.training.loop import confusion_matrix, evaluate, split_indices


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [N, 28, 28] -> float32 [N, 784] in [0, 1], as training feeds the network."""
    return torch.from_numpy(np.asarray(images)).reshape(len(images), -1).float().div_(255)


@torch.inference_mode()
def predict_images(model: torch.nn.Module, images: np.ndarray) -> torch.Tensor:
    """Softmax probabilities [N, 10] of `model` for MNIST-form images [N, 28, 28]."""
    model.eval()
    device = next(model.parameters()).device
    return F.softmax(model(to_tensor(images).to(device)), dim=1).cpu()


# ---------------------------------------------------------------------------- datasets


@dataclass
class Evaluation:
    """A checkpoint's loss, accuracy and confusion matrix on one split of a dataset."""

    split: str
    dataset: str
    images: int
    loss: float
    accuracy: float
    confusion: np.ndarray  # counts [true class, predicted class]

    def per_class_accuracy(self) -> list[float | None]:
        totals = self.confusion.sum(axis=1)
        hits = np.diag(self.confusion)
        return [float(h / t) if t else None for h, t in zip(hits, totals, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "dataset": self.dataset,
            "images": self.images,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "per_class_accuracy": self.per_class_accuracy(),
            "confusion": self.confusion.tolist(),
        }


def evaluate_checkpoint(
    model: torch.nn.Module,
    cfg: TrainConfig,
    data: Any,
    split: str = "test",
    device: torch.device | str = "cpu",
) -> Evaluation:
    """Measure `model` on a split, cut exactly as training cut it for `cfg`.

    Parameters
    ----------
    model : the trained network (e.g. from `ablation.training.checkpoint.load_model`).
    cfg : the run's config: it fixes the validation split and the training cap.
    data : the dataset, from `ablation.data.load_dataset`.
    split : ``test``, ``validation`` or ``train``.
    device : where to compute.
    """
    device = torch.device(device)
    if split == "test":
        images, labels = data.test_images, data.test_labels
    else:
        train_idx, val_idx = split_indices(cfg, len(data.train_images))
        idx = train_idx if split == "train" else val_idx
        if not len(idx):
            raise ValueError(
                f"the run kept no {split} split (validation_size = {cfg.validation_size}); "
                "use --split test or --split train"
            )
        images, labels = data.train_images[idx], data.train_labels[idx]
    x = to_tensor(images.numpy()).to(device)
    y = labels.to(device)
    model = model.to(device)
    result = evaluate(model, x, y, cfg.eval_batch_size)
    return Evaluation(
        split=split,
        dataset=data.name,
        images=len(y),
        loss=result["loss"],
        accuracy=result["accuracy"],
        confusion=confusion_matrix(result["predictions"], y).numpy(),
    )
