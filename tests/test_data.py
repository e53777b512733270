"""Missing, damaged or foreign data files are refused with the file's name and the fix."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from ablation.data import DATA_DIR_ENV, FILES, DataError, load_dataset, prepare_dataset
from conftest import snakemake, write_config
from robustness_helpers import study


def idx_file(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes holding `array`."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def raw_copy(tmp_path, mnist_raw):
    """A writable copy of the four original files, as published (.gz only: a folder that
    torchvision downloaded into also holds the extracted files)."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for gz in mnist_raw.glob("*.gz"):
        shutil.copy2(gz, folder)
    return folder


def refused(*args) -> str:
    with pytest.raises(DataError) as caught:
        prepare_dataset(*args)
    return str(caught.value)


def test_missing_local_dir(tmp_path):
    message = refused("mnist", tmp_path / "root", tmp_path / "nowhere")
    assert message.startswith(f"data.local_dir = {tmp_path / 'nowhere'}: no such folder")
    assert "fix the path in the config" in message
    assert not (tmp_path / "root").exists()  # nothing written


def test_missing_file(raw_copy, tmp_path):
    (raw_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    message = refused("mnist", tmp_path / "root", raw_copy)
    assert message.startswith(
        f"{raw_copy}: no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)"
    )
    assert "set data.local_dir" in message


def test_truncated_file(raw_copy, tmp_path):
    gz = raw_copy / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[: gz.stat().st_size // 2])
    message = refused("mnist", tmp_path / "root", raw_copy)
    assert message.startswith(f"{gz}: cannot be read")
    assert "truncated or altered: replace it with the original" in message


def test_altered_file_fails_its_checksum(raw_copy, tmp_path):
    gz = raw_copy / "t10k-images-idx3-ubyte.gz"
    content = bytearray(gzip.decompress(gz.read_bytes()))
    content[5000] ^= 0xFF  # one pixel
    gz.write_bytes(gzip.compress(bytes(content), compresslevel=1))
    message = refused("mnist", tmp_path / "root", raw_copy)
    assert message.startswith(f"{gz}: content differs from the published mnist file (sha256")
    assert "replace it with the original" in message


def test_wrong_image_shape(tmp_path):
    """Checked by structure for datasets without published checksums."""
    folder = tmp_path / "raw"
    folder.mkdir()
    shapes = {"train_images": (60_000, 28, 27), "train_labels": (60_000,),
              "test_images": (10_000, 28, 28), "test_labels": (10_000,)}  # fmt: skip
    for key, shape in shapes.items():
        (folder / FILES[key]).write_bytes(idx_file(np.zeros(shape, np.uint8)))
    message = refused("kmnist", tmp_path / "root", folder)
    assert message.startswith(f"{folder / FILES['train_images']}: images of shape (60000, 28, 27)")
    assert "expected (60000, 28, 28)" in message


def test_label_out_of_range(raw_copy, tmp_path):
    labels = np.zeros(10_000, np.uint8)
    labels[17] = 10
    (raw_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    (raw_copy / "t10k-labels-idx1-ubyte").write_bytes(idx_file(labels))
    message = refused("kmnist", tmp_path / "root", raw_copy)
    assert message.startswith(f"{raw_copy / 't10k-labels-idx1-ubyte'}: 10000 labels in 0..10")
    assert "expected 10000 labels in 0..9" in message


def test_not_an_idx_file(raw_copy, tmp_path):
    (raw_copy / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"<html>404</html>"))
    message = refused("kmnist", tmp_path / "root", raw_copy)
    assert "train-labels-idx1-ubyte.gz: not an IDX file of unsigned bytes" in message


def test_offline_without_local_dir_says_what_to_do(tmp_path):
    """No files, no internet (a proxy that refuses every connection): our message, not urllib's."""
    code = (
        "import sys\n"
        "from ablation.data import DataError, prepare_dataset\n"
        "try:\n"
        "    prepare_dataset('mnist', sys.argv[1])\n"
        "except DataError as err:\n"
        "    print(err)\n"
    )
    dead = "http://127.0.0.1:9"
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy" and k != DATA_DIR_ENV}
    env.update(http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead)
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "root")], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    message = done.stdout
    assert message.startswith(f"could not download mnist into {tmp_path / 'root'}")
    assert "Offline? put the four original mnist files (train-images-idx3-ubyte.gz, " in message
    assert "t10k-labels-idx1-ubyte.gz" in message
    assert "$ABLATION_DATA_DIR/MNIST/raw (set ABLATION_DATA_DIR to a folder of datasets)" in message
    assert str(tmp_path / "root" / "MNIST" / "raw") in message
    assert "data.local_dir" in message
    assert not (tmp_path / "root" / "mnist.pt").exists()


def test_damaged_compact_file(tmp_path, mnist_file):
    broken = tmp_path / "mnist.pt"
    broken.write_bytes(mnist_file.read_bytes()[:100_000])
    with pytest.raises(DataError, match="not a readable dataset file.*delete it and run"):
        load_dataset(broken)
    torch.save({"weights": torch.zeros(3)}, broken)
    with pytest.raises(DataError, match="not a dataset file of this pipeline"):
        load_dataset(broken)


class Payload:
    """Unpickling this runs a command (what a hostile file would do)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_compact_file_never_runs_code(tmp_path):
    hostile = tmp_path / "mnist.pt"
    marker = tmp_path / "pwned"
    hostile.write_bytes(pickle.dumps(Payload(marker), protocol=2))
    with pytest.raises(DataError, match="not a readable dataset file"):
        load_dataset(hostile)
    assert not marker.exists()


@pytest.mark.workflow
def test_snakemake_shows_the_data_error(workdir, tmp_path):
    config = study()
    config["data"] = {"local_dir": str(tmp_path / "nowhere")}
    configfile = write_config(workdir, config)
    done = snakemake(workdir, "--configfile", str(configfile), check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"data.local_dir = {tmp_path / 'nowhere'}: no such folder" in output
    assert "Traceback" not in output
    assert "rule train_pack_" not in output  # no training job started
    assert not (workdir / "results" / "runs").exists()
