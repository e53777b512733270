"""Obtain a dataset once and keep it as compact uint8 tensors that load in milliseconds.

Sources, in order: a user-given folder of the four original files (offline
machines), files already in `<root>/<Class>/raw/`, or torchvision's mirrors
(MD5-checked). Each file is checked for structure (IDX header, shapes, label
range) and, where the published content is known, its SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ablation.io import atomic_write

DATASET_CLASSES = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "kmnist": "KMNIST"}
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
COUNTS = {"train": 60_000, "test": 10_000}
# SHA-256 of the decompressed files as published (MNIST); other datasets are checked by structure.
KNOWN_SHA256 = {
    "mnist": {
        "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }
}


class DataError(RuntimeError):
    """The dataset cannot be obtained or is damaged; the message says how to fix it."""


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 [N, 28, 28], labels as int64 [N]."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    name: str
    sha256: dict[str, str]


def compact_path(root: str | Path, name: str) -> Path:
    return Path(root) / f"{name}.pt"


def prepare_dataset(name: str, root: str | Path, local_dir: str | Path | None = None) -> Path:
    """Obtain `name` and store it compactly under `root`; returns the compact file's path."""
    raw_dir = Path(root) / DATASET_CLASSES[name] / "raw"
    if local_dir is not None:
        blobs = {key: _read_local(Path(local_dir), stem, key) for key, stem in FILES.items()}
    else:
        if not all(_find(raw_dir, stem) for stem in FILES.values()):
            _download(name, Path(root))
        blobs = {key: _read_local(raw_dir, stem, key) for key, stem in FILES.items()}
    dataset = parse_blobs(name, blobs)
    out = compact_path(root, name)
    with atomic_write(out) as tmp:
        torch.save(
            {
                "train_images": dataset.train_images,
                "train_labels": dataset.train_labels,
                "test_images": dataset.test_images,
                "test_labels": dataset.test_labels,
                "name": name,
                "sha256": dataset.sha256,
            },
            tmp,
        )
    return out


def load_dataset(path: str | Path) -> Dataset:
    """Load a compact dataset file written by `prepare_dataset` (weights-only, no pickled code)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: missing; run `snakemake --cores 1 {path}` to prepare the data")
    blob = torch.load(path, weights_only=True)
    return Dataset(**blob)


def parse_blobs(name: str, blobs: dict[str, bytes]) -> Dataset:
    """Parse and check the four decompressed IDX files."""
    sha = {key: hashlib.sha256(b).hexdigest() for key, b in blobs.items()}
    for key, digest in KNOWN_SHA256.get(name, {}).items():
        if sha[key] != digest:
            raise DataError(
                f"{FILES[key]}: content differs from the published {name} file "
                f"(sha256 {sha[key][:12]}..., expected {digest[:12]}...); the file is truncated "
                "or altered: delete it and provide the original (data.local_dir or a download)"
            )
    arrays = {key: _parse_idx(FILES[key], b) for key, b in blobs.items()}
    for split, count in COUNTS.items():
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape != (count, 28, 28):
            raise DataError(f"{FILES[split + '_images']}: shape {images.shape}, expected ({count}, 28, 28)")
        if labels.shape != (count,) or labels.max() > 9:
            raise DataError(
                f"{FILES[split + '_labels']}: expected {count} labels in 0..9, "
                f"got {labels.shape[0]} with maximum {labels.max()}"
            )
    tensors = {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}
    for key in ("train_labels", "test_labels"):
        tensors[key] = tensors[key].long()
    return Dataset(**tensors, name=name, sha256=sha)


def _parse_idx(filename: str, blob: bytes) -> np.ndarray:
    if len(blob) < 8 or blob[:2] != b"\x00\x00" or blob[2] != 0x08:
        raise DataError(f"{filename}: not an IDX file of unsigned bytes (bad header)")
    ndim = blob[3]
    dims = tuple(int.from_bytes(blob[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = offset + int(np.prod(dims))
    if len(blob) != expected:
        raise DataError(
            f"{filename}: {len(blob)} bytes, header promises {expected}; the file is truncated "
            "or altered: delete it and provide the original"
        )
    return np.frombuffer(blob, dtype=np.uint8, offset=offset).reshape(dims)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_local(folder: Path, stem: str, key: str) -> bytes:
    path = _find(folder, stem)
    if path is None:
        raise DataError(
            f"{folder}: no {stem} (or {stem}.gz). Put the four original files "
            f"({', '.join(FILES.values())}, .gz or extracted) there, or set data.local_dir "
            "to a folder that has them"
        )
    try:
        return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: cannot be read ({err}); the file is truncated or altered") from None


def _download(name: str, root: Path) -> None:
    from torchvision import datasets  # deferred: only needed online

    cls = getattr(datasets, DATASET_CLASSES[name])
    try:
        for train in (True, False):
            cls(root=str(root), train=train, download=True)
    except Exception as err:  # torchvision raises bare RuntimeError/URLError when offline
        raise DataError(
            f"could not download {name} into {root} ({type(err).__name__}: {err}). "
            "Offline? Set data.local_dir in the config to a folder with the four original files "
            f"({', '.join(FILES.values())}, .gz or extracted), or copy them into "
            f"{root / DATASET_CLASSES[name] / 'raw'}"
        ) from None
