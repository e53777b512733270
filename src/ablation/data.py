"""Obtain a dataset once and keep it as compact uint8 tensors that load in milliseconds.

One lookup, used by the workflow, the CLI and the tests (`find_raw_dir`), in order:
the config's `data.local_dir`, the folder of datasets named by the environment
variable `ABLATION_DATA_DIR` (holding `<Class>/raw/`, as torchvision lays them
out), files already in `<root>/<Class>/raw/`, then torchvision's mirrors (their
gz MD5s checked by torchvision). Each file is checked for structure (IDX header,
shapes, label range) and, where the published content is known, the SHA-256 of
its decompressed content (re-compressed copies, such as Debian's, still pass).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ablation import environment
from ablation.axes import CLASS_NAMES, class_names  # noqa: F401 (re-exported; defined torch-free)
from ablation.io import torch_save_atomic

DATASET_CLASSES = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "kmnist": "KMNIST"}
DATA_DIR_ENV = environment.DATA_DIR  # a folder of datasets: <Class>/raw/ for each
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
COUNTS = {"train": 60_000, "test": 10_000}
MIRROR_TIMEOUT = 3.0  # seconds: the planning-time probe of a mirror (one request)
SPLIT_SEED = 20_240_101  # the validation split is the same for every run and seed
# SHA-256 of the decompressed files as published; KMNIST is checked by structure (and, when
# downloaded, by torchvision's gz MD5s).
KNOWN_SHA256 = {
    "mnist": {
        "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    # Upstream's raw-file hashes: Debian's re-compressed .gz differ from torchvision's MD5s.
    "fashion_mnist": {
        "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
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
    classes: list[str] = dataclasses.field(default_factory=list)  # label -> class name


def compact_path(root: str | Path, name: str) -> Path:
    return Path(root) / f"{name}.pt"


def prepare_dataset(name: str, root: str | Path, local_dir: str | Path | None = None) -> Path:
    """Obtain `name` (see `find_raw_dir`) and store it compactly under `root`.

    Returns
    -------
    The compact file's path, `<root>/<name>.pt`.

    Raises
    ------
    DataError
        When the files cannot be found or downloaded, or are damaged; the message
        names the file and the fix. Nothing is written then.
    """
    source = find_raw_dir(name, root, local_dir)
    if source is None:
        source = _download(name, Path(root))
    blobs, sources = {}, {}
    for key, stem in FILES.items():
        sources[key], blobs[key] = _read_local(source, stem)
    dataset = parse_blobs(name, blobs, sources)
    out = compact_path(root, name)
    torch_save_atomic({f.name: getattr(dataset, f.name) for f in dataclasses.fields(dataset)}, out)
    return out


def find_raw_dir(name: str, root: str | Path, local_dir: str | Path | None = None) -> Path | None:
    """The folder holding the four original files of `name`, or None when they must be downloaded.

    Looked up in order: `local_dir` (the config's `data.local_dir`: the four files, or a
    folder of datasets with `<Class>/raw/`), `$ABLATION_DATA_DIR/<Class>/raw`, then
    `<root>/<Class>/raw`. An explicit `local_dir` must hold the files.
    """
    sub = Path(DATASET_CLASSES[name]) / "raw"
    if local_dir is not None:
        folder = Path(local_dir)
        if not folder.is_dir():
            raise DataError(
                f"data.local_dir = {local_dir}: no such folder (relative paths start at "
                f"{Path.cwd()}); fix the path in the config, or remove the key to download"
            )
        return folder / sub if _complete(folder / sub) else folder
    shared = environment.data_dir()
    for folder in ([Path(shared) / sub] if shared else []) + [Path(root) / sub]:
        if _complete(folder):
            return folder
    return None


def where_to_put(name: str, root: str | Path) -> str:
    """The advice for an offline machine: which files, and the folders they may go in."""
    sub = Path(DATASET_CLASSES[name]) / "raw"
    return (
        f"put the four original {name} files ({', '.join(f + '.gz' for f in FILES.values())}; "
        f"or extracted) in ${DATA_DIR_ENV}/{sub} (set {DATA_DIR_ENV} to a folder of datasets), "
        f"in {Path(root) / sub}, or in a folder named by data.local_dir in the config"
    )


def check_obtainable(
    name: str,
    root: str | Path,
    local_dir: str | Path | None = None,
    timeout: float = MIRROR_TIMEOUT,
) -> None:
    """Refuse now, at planning, a dataset that its data job could not obtain.

    Cheap: nothing to do when `<root>/<name>.pt` exists or `find_raw_dir` finds the
    files; otherwise one request to torchvision's first mirror, at most `timeout`
    seconds, instead of the data job's minute of retries over every mirror.

    Raises
    ------
    DataError
        No files here and the mirror cannot be reached; the message says which
        files to put where.
    """
    if compact_path(root, name).exists() or find_raw_dir(name, root, local_dir) is not None:
        return
    url = _first_mirror_file(name)
    reason = _unreachable(url, timeout)
    if reason:
        raise DataError(
            f"{name}: its files are not here and torchvision's mirror {url} cannot be "
            f"reached ({reason}). Offline? {where_to_put(name, root)}"
        )


def _first_mirror_file(name: str) -> str:
    from torchvision import datasets  # deferred: only needed when no files are here

    cls = getattr(datasets, DATASET_CLASSES[name])
    return cls.mirrors[0] + cls.resources[0][0]


def _unreachable(url: str, timeout: float) -> str | None:
    """Why `url` cannot be reached (one HEAD request, proxies as set), or None when it answers."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return None  # a server answered; the data job will see what it says
    except (OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        return f"{type(reason).__name__}: {reason}"
    return None


def load_dataset(path: str | Path) -> Dataset:
    """Load a compact dataset file written by `prepare_dataset` (weights-only, no pickled code).

    Raises
    ------
    DataError
        When the file is missing, damaged or not a dataset of this pipeline.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: missing; run `snakemake --cores 1 {path}` to prepare the data")
    fix = f"delete it and run `snakemake --cores 1 {path}` to prepare it again"
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise DataError(f"{path}: not a readable dataset file ({first}); {fix}") from None
    fields = {f.name for f in dataclasses.fields(Dataset)}
    # Files prepared before class names were stored lack `classes`: the name gives them.
    if not isinstance(blob, dict) or set(blob) not in (fields, fields - {"classes"}):
        raise DataError(f"{path}: not a dataset file of this pipeline (unexpected content); {fix}")
    if "classes" not in blob and blob.get("name") in CLASS_NAMES:
        blob["classes"] = class_names(blob["name"])
    dataset = Dataset(**blob)
    for split, count in COUNTS.items():
        images, labels = getattr(dataset, f"{split}_images"), getattr(dataset, f"{split}_labels")
        if images.shape != (count, 28, 28) or labels.shape != (count,):
            raise DataError(
                f"{path}: {split} images {tuple(images.shape)} and labels {tuple(labels.shape)}, "
                f"expected ({count}, 28, 28) and ({count},); {fix}"
            )
    return dataset


def parse_blobs(
    name: str, blobs: dict[str, bytes], sources: dict[str, Path] | None = None
) -> Dataset:
    """Parse and check the four decompressed IDX files.

    Parameters
    ----------
    name : the dataset (its published checksums are checked where known).
    blobs : decompressed content by key of `FILES`.
    sources : the files they came from, for the messages.
    """
    where = {key: str((sources or {}).get(key, FILES[key])) for key in FILES}
    sha = {key: hashlib.sha256(b).hexdigest() for key, b in blobs.items()}
    for key, digest in KNOWN_SHA256.get(name, {}).items():
        if sha[key] != digest:
            _refuse_foreign(name, sha, where)
            raise DataError(
                f"{where[key]}: content differs from the published {name} file "
                f"(sha256 {sha[key][:12]}..., expected {digest[:12]}...); the file is truncated "
                "or altered: replace it with the original (data.local_dir or a fresh download)"
            )
    arrays = {key: _parse_idx(where[key], b) for key, b in blobs.items()}
    for split, count in COUNTS.items():
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape != (count, 28, 28):
            raise DataError(
                f"{where[split + '_images']}: images of shape {images.shape}, expected "
                f"({count}, 28, 28); provide the original {name} file"
            )
        if labels.shape != (count,) or labels.max() > 9:
            found = f"{labels.shape[0] if labels.ndim else 0} labels in 0..{labels.max(initial=0)}"
            raise DataError(
                f"{where[split + '_labels']}: {found}, expected {count} labels in 0..9; "
                f"provide the original {name} file"
            )
    _refuse_foreign(name, sha, where)
    tensors = {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}
    for key in ("train_labels", "test_labels"):
        tensors[key] = tensors[key].long()
    return Dataset(**tensors, name=name, sha256=sha, classes=class_names(name))


def _refuse_foreign(name: str, sha: dict[str, str], where: dict[str, str]) -> None:
    """Files of another dataset (a local_dir meant for it) are named as such."""
    for other, digests in KNOWN_SHA256.items():
        if other != name and sha["train_images"] == digests["train_images"]:
            raise DataError(
                f"{where['train_images']}: these are the {other} files, not {name}'s; "
                f"put {name}'s in {DATASET_CLASSES[name]}/raw/ of a folder of datasets "
                f"(data.local_dir or {DATA_DIR_ENV})"
            )


def split_indices(
    n_train_images: int, validation_size: int, train_size: int | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The training and validation images of one run, as sorted indices.

    The validation set is fixed (the first `validation_size` images of one permutation
    by `SPLIT_SEED`), whatever the run. The training set is the rest, or, with
    `train_size`, the first `train_size` of a permutation of the rest drawn by `seed`:
    for one seed, every smaller training set is contained in every larger one.

    Returns
    -------
    (train indices, validation indices) into the training images.
    """
    perm = torch.randperm(n_train_images, generator=torch.Generator().manual_seed(SPLIT_SEED))
    val_idx, pool = perm[:validation_size], perm[validation_size:]
    if train_size is not None and train_size < len(pool):
        subset = torch.Generator().manual_seed(SPLIT_SEED + 1 + seed)  # apart from init streams
        order = torch.randperm(len(pool), generator=subset)
        pool = pool[order[:train_size]]
    return pool.sort().values, val_idx.sort().values


def _parse_idx(filename: str, blob: bytes) -> np.ndarray:
    if len(blob) < 8 or blob[:2] != b"\x00\x00" or blob[2] != 0x08 or len(blob) < 4 + 4 * blob[3]:
        raise DataError(
            f"{filename}: not an IDX file of unsigned bytes (bad header); "
            "replace it with the original"
        )
    ndim = blob[3]
    dims = tuple(int.from_bytes(blob[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = offset + int(np.prod(dims))
    if len(blob) != expected:
        raise DataError(
            f"{filename}: {len(blob)} bytes, header promises {expected}; the file is truncated "
            "or altered: replace it with the original"
        )
    return np.frombuffer(blob, dtype=np.uint8, offset=offset).reshape(dims)


def _complete(folder: Path) -> bool:
    return all(_find(folder, stem) for stem in FILES.values())


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_local(folder: Path, stem: str) -> tuple[Path, bytes]:
    path = _find(folder, stem)
    if path is None:
        raise DataError(
            f"{folder}: no {stem} (or {stem}.gz). Put the four original files "
            f"({', '.join(FILES.values())}, .gz or extracted) there, or set data.local_dir "
            f"or {DATA_DIR_ENV} to a folder that has them"
        )
    try:
        blob = path.read_bytes()
        return path, gzip.decompress(blob) if path.suffix == ".gz" else blob
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(
            f"{path}: cannot be read ({err}); the file is truncated or altered: "
            "replace it with the original"
        ) from None


def _download(name: str, root: Path) -> Path:
    """Download with torchvision (its mirrors and gz MD5s) into `<root>/<Class>/raw`."""
    from torchvision import datasets  # deferred: only needed online

    cls = getattr(datasets, DATASET_CLASSES[name])
    try:
        for train in (True, False):
            cls(root=str(root), train=train, download=True)
    except Exception as err:  # torchvision raises bare RuntimeError/URLError when offline
        detail = " ".join(str(err).split())[:400]
        raise DataError(
            f"could not download {name} into {root} ({type(err).__name__}: {detail}). "
            f"Offline? {where_to_put(name, root)}"
        ) from None
    return root / DATASET_CLASSES[name] / "raw"
