"""The classic MNIST network: 784 -> hidden -> activation -> dropout -> 10."""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "identity": nn.Identity,
}
IMAGE_PIXELS = 28 * 28
CLASSES = 10


class SimpleNet(nn.Module):
    """The tutorial's SimpleNet; activation and dropout hold no weights, so every
    variant has the same state-dict keys (fc1.*, fc2.*) as the tutorial's."""

    def __init__(self, activation: str = "relu", hidden_size: int = 128, dropout: float = 0.0):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(IMAGE_PIXELS, hidden_size)
        self.activation = ACTIVATIONS[activation]()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden_size, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(self.activation(self.fc1(self.flatten(x)))))
