from __future__ import annotations

import pandas as pd
import torch

from ablation.config import TrainConfig
from ablation.data import KNOWN_SHA256, load_dataset, prepare_dataset
from ablation.training.checkpoint import load_model, read_checkpoint
from ablation.training.job import run_job
from ablation.training.model import SimpleNet

CFG = TrainConfig(epochs=2, milestones=(1, 2), train_size=1000, validation_size=1000)


def test_prepared_mnist_has_published_content(mnist):
    assert mnist.train_images.shape == (60_000, 28, 28)
    assert mnist.test_images.shape == (10_000, 28, 28)
    assert mnist.train_images.dtype == torch.uint8
    counts = torch.bincount(mnist.train_labels).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert mnist.sha256 == KNOWN_SHA256["mnist"]


def test_extracted_files_work_as_local_dir(tmp_path, mnist_raw, mnist):
    import gzip

    raw = tmp_path / "raw"
    raw.mkdir()
    for gz in mnist_raw.glob("*.gz"):
        (raw / gz.stem).write_bytes(gzip.decompress(gz.read_bytes()))
    again = load_dataset(prepare_dataset("mnist", tmp_path / "root", raw))
    assert torch.equal(again.test_images, mnist.test_images)


def test_files_already_in_root_need_no_download(tmp_path, mnist_raw):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in mnist_raw.glob("*.gz"):
        (raw / gz.name).write_bytes(gz.read_bytes())
    assert load_dataset(prepare_dataset("mnist", tmp_path)).name == "mnist"


def test_job_writes_outputs_and_tutorial_style_checkpoint(tmp_path, mnist_file):
    out = {name: tmp_path / name for name in ("metrics.parquet", "model.pt", "confusion.parquet")}
    state = tmp_path / "resume" / "state.pt"
    result = run_job(
        CFG, mnist_file, out["metrics.parquet"], out["model.pt"], out["confusion.parquet"], state
    )
    assert not state.exists()  # removed once the run completed

    model = SimpleNet()  # the tutorial's way
    model.load_state_dict(torch.load(out["model.pt"]))
    assert torch.equal(model.fc1.weight, result.model.fc1.weight)

    state_dict, info = read_checkpoint(out["model.pt"])
    assert TrainConfig.from_dict(info["config"]) == CFG
    assert info["status"] == "completed" and info["final_epoch"] == 2
    metrics = pd.read_parquet(out["metrics.parquet"])
    final_test = metrics.query("epoch == 2 and split == 'test'")["accuracy"].item()
    assert info["final_metrics"]["test_accuracy"] == final_test
    rebuilt, _ = load_model(out["model.pt"])
    assert torch.equal(rebuilt.fc2.bias, result.model.fc2.bias)

    assert set(metrics["run_id"]) == {
        "activation=relu/optimizer=adam/weight_decay=0.0/dropout=0.0"
        "/train_size=1000/validation_size=1000/seed=0"
    }
    assert metrics["config_hash"].unique().tolist() == [CFG.hash()]
    assert metrics["threads"].unique().tolist() == [1]
    confusion = pd.read_parquet(out["confusion.parquet"])
    assert len(confusion) == 100 and confusion["count"].sum() == 10_000
