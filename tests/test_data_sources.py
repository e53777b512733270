"""Where the data comes from: one lookup order, content checksums, and a real download path."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest
import torch

from ablation.data import (
    DATA_DIR_ENV,
    FILES,
    KNOWN_SHA256,
    DataError,
    check_obtainable,
    class_names,
    find_raw_dir,
    load_dataset,
    prepare_dataset,
)


def placeholder_files(folder):
    """The four file names (empty): enough for the lookup, which only looks for them."""
    folder.mkdir(parents=True)
    for stem in FILES.values():
        (folder / f"{stem}.gz").touch()
    return folder


def test_lookup_order_local_dir_then_env_then_root(tmp_path, monkeypatch):
    root_raw = placeholder_files(tmp_path / "root" / "FashionMNIST" / "raw")
    env_raw = placeholder_files(tmp_path / "datasets" / "FashionMNIST" / "raw")
    local = placeholder_files(tmp_path / "mine")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "datasets"))
    root = tmp_path / "root"
    assert find_raw_dir("fashion_mnist", root, local) == local
    # data.local_dir may also be a folder of datasets.
    assert find_raw_dir("fashion_mnist", root, tmp_path / "datasets") == env_raw
    assert find_raw_dir("fashion_mnist", root) == env_raw
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    assert find_raw_dir("fashion_mnist", root) == root_raw
    # Nothing anywhere: download.
    assert find_raw_dir("kmnist", root) is None


def test_fashion_mnist_is_checked_by_content_not_by_gz_md5(fashion_raw, tmp_path):
    from torchvision.datasets import FashionMNIST
    from torchvision.datasets.utils import check_integrity

    data = load_dataset(prepare_dataset("fashion_mnist", tmp_path, fashion_raw))
    assert data.sha256 == KNOWN_SHA256["fashion_mnist"]
    assert torch.bincount(data.train_labels).tolist() == [6000] * 10
    assert data.classes[6] == "Shirt" and data.classes == class_names("fashion_mnist")
    # Re-compressed copies (Debian's) fail torchvision's gz MD5s but carry the original content.
    md5 = dict(FashionMNIST.resources)
    recompressed = [
        gz.name
        for gz in fashion_raw.glob("*.gz")
        if gz.name in md5 and not check_integrity(str(gz), md5[gz.name])
    ]
    if recompressed:  # the offline copy; a download from the mirrors passes both checks
        assert sorted(recompressed) == sorted(md5)


def test_fashion_mnist_altered_content_is_refused(fashion_raw, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    for stem in FILES.values():
        (folder / f"{stem}.gz").write_bytes((fashion_raw / f"{stem}.gz").read_bytes())
    labels = bytearray(gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[100] = (labels[100] + 1) % 10
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels), 1))
    with pytest.raises(DataError, match="content differs from the published fashion_mnist"):
        prepare_dataset("fashion_mnist", tmp_path / "root", folder)


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), compresslevel=1)


@pytest.fixture
def kmnist_mirror(tmp_path, monkeypatch):
    """A local HTTP server with KMNIST-shaped files, and torchvision's KMNIST mirror list and
    MD5s pointed at it: the real download code runs, without the internet.

    The files are synthetic (KMNIST has no offline copy here), so the MD5s are theirs.
    """
    from torchvision.datasets import KMNIST

    served = tmp_path / "mirror"
    served.mkdir()
    images = {"train": np.zeros((60_000, 28, 28), np.uint8), "test": np.zeros((10_000, 28, 28))}
    resources = []
    for key, stem in FILES.items():
        split, kind = key.split("_")
        array = images[split].copy() if kind == "images" else np.arange(len(images[split])) % 10
        if kind == "images":
            array[:, 0, 0] = np.arange(len(array)) % 251  # order is kept
        blob = idx_gz(array)
        (served / f"{stem}.gz").write_bytes(blob)
        resources.append((f"{stem}.gz", hashlib.md5(blob).hexdigest()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=served)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", DATA_DIR_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(KMNIST, "mirrors", [f"http://127.0.0.1:{server.server_port}/"])
    monkeypatch.setattr(KMNIST, "resources", resources)
    yield served
    server.shutdown()
    server.server_close()


def test_kmnist_download_path_without_the_network(kmnist_mirror, tmp_path):
    data = load_dataset(prepare_dataset("kmnist", tmp_path / "root"))
    assert (tmp_path / "root" / "KMNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    assert data.train_images.shape == (60_000, 28, 28)
    assert data.train_images[:300, 0, 0].tolist() == [i % 251 for i in range(300)]
    assert data.test_labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert data.classes == ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


def test_kmnist_download_with_a_wrong_checksum_is_refused(kmnist_mirror, tmp_path):
    gz = kmnist_mirror / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(idx_gz(np.zeros(10_000, np.uint8)))  # not the file the MD5 list expects
    with pytest.raises(DataError) as caught:
        prepare_dataset("kmnist", tmp_path / "root")
    message = str(caught.value)
    assert message.startswith(f"could not download kmnist into {tmp_path / 'root'}")
    assert "$ABLATION_DATA_DIR/KMNIST/raw" in message
    assert not (tmp_path / "root" / "kmnist.pt").exists()


def test_training_subsets_are_nested_seeded_and_leave_validation_alone():
    from ablation.data import split_indices

    full, validation = split_indices(60_000, 10_000, None, seed=0)
    assert len(full) == 50_000 and len(validation) == 10_000
    assert not set(full.tolist()) & set(validation.tolist())
    for seed in (0, 1):
        larger = set(full.tolist())
        for size in (20_000, 5_000, 600):
            train, val = split_indices(60_000, 10_000, size, seed)
            assert torch.equal(val, validation)
            assert len(train) == size and set(train.tolist()) <= larger
            larger = set(train.tolist())
    a, _ = split_indices(60_000, 10_000, 600, seed=0)
    b, _ = split_indices(60_000, 10_000, 600, seed=1)
    again, _ = split_indices(60_000, 10_000, 600, seed=0)
    assert torch.equal(a, again) and not torch.equal(a, b)
    # A larger validation set contains the smaller one: the split is one fixed permutation.
    _, more = split_indices(60_000, 12_000, None, seed=0)
    assert set(validation.tolist()) <= set(more.tolist())


def test_another_datasets_files_are_refused(mnist_raw, tmp_path):
    """A local_dir of MNIST files given for KMNIST (no published checksum) is caught."""
    with pytest.raises(DataError, match="these are the mnist files, not kmnist's"):
        prepare_dataset("kmnist", tmp_path / "root", mnist_raw)
    with pytest.raises(DataError, match="these are the mnist files, not fashion_mnist's"):
        prepare_dataset("fashion_mnist", tmp_path / "root", mnist_raw)


def test_planning_check_passes_when_a_mirror_answers_or_files_are_here(
    kmnist_mirror, tmp_path, monkeypatch
):
    from torchvision.datasets import KMNIST

    check_obtainable("kmnist", tmp_path / "root")  # the (local) mirror answers: no error
    with socket.socket() as sock:  # then a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setattr(KMNIST, "mirrors", [f"http://127.0.0.1:{closed}/"])
    placeholder_files(tmp_path / "root" / "KMNIST" / "raw")
    check_obtainable("kmnist", tmp_path / "root")  # files found: no request at all
    with pytest.raises(DataError, match=r"kmnist: its files are not here .* Offline\? put"):
        check_obtainable("kmnist", tmp_path / "elsewhere")
