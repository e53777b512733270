"""Checkpoints: foreign files and other architectures are refused; loading never runs code."""

from __future__ import annotations

import os
import pickle
from dataclasses import replace

import pytest
import torch

from ablation.config import TrainConfig
from ablation.training.checkpoint import (
    CheckpointError,
    load_model,
    load_weights,
    read_checkpoint,
    save_checkpoint,
)
from ablation.training.model import SimpleNet

CFG = TrainConfig(hidden_size=32)


@pytest.fixture
def checkpoint(tmp_path):
    """A checkpoint of a 32-unit network, as the pipeline writes it."""
    path = tmp_path / "model.pt"
    save_checkpoint(SimpleNet(hidden_size=32), {"config": CFG.to_dict()}, path)
    return path


class Payload:
    """Unpickling this runs a command (what a hostile file would do)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_checkpoint_loads_into_its_architecture(checkpoint):
    model, info = load_model(checkpoint)
    assert model.fc1.out_features == 32 and info["config"]["hidden_size"] == 32
    assert load_weights(SimpleNet(hidden_size=32), checkpoint) == info


def test_other_hidden_size_is_named(checkpoint):
    with pytest.raises(CheckpointError) as caught:
        load_weights(SimpleNet(hidden_size=128), checkpoint)
    message = str(caught.value)
    assert message.startswith(f"{checkpoint}: weights of another architecture: hidden size 32")
    assert "the model passed has hidden size 128" in message
    assert "build SimpleNet(hidden_size=32)" in message


def test_weights_that_contradict_their_run_info(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(SimpleNet(hidden_size=64), {"config": CFG.to_dict()}, path)
    with pytest.raises(CheckpointError, match="hidden size 64.*its run info says hidden size 32"):
        load_model(path)


def test_weights_without_run_info(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save(SimpleNet(hidden_size=16).state_dict(), path)  # the tutorial's own save
    with pytest.raises(CheckpointError, match=r"SimpleNet\(hidden_size=16\).*load_weights"):
        load_model(path)
    assert load_weights(SimpleNet(hidden_size=16), path) == {}


def test_run_info_of_another_version(tmp_path):
    path = tmp_path / "model.pt"
    info = {"config": dict(CFG.to_dict(), momentum=0.9)}  # a field this version lacks
    save_checkpoint(SimpleNet(hidden_size=32), info, path)
    with pytest.raises(CheckpointError, match="another version of the pipeline"):
        load_model(path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"metrics,are,not,weights\n", id="text"),
        pytest.param(os.urandom(4096), id="random bytes"),
        pytest.param(b"", id="empty"),
    ],
)
def test_file_that_is_not_a_checkpoint(tmp_path, content):
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as caught:
        read_checkpoint(path)
    assert str(caught.value).startswith(f"{path}: not a checkpoint written by this pipeline")
    assert "pass a model.pt from results/runs/" in str(caught.value)


def test_other_network_is_refused(tmp_path):
    path = tmp_path / "conv.pt"
    torch.save(torch.nn.Conv2d(1, 4, 3).state_dict(), path)
    with pytest.raises(CheckpointError, match="holds no SimpleNet weights"):
        load_model(path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_model(tmp_path / "absent.pt")


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
def test_loading_never_runs_code(tmp_path, how):
    """A file whose unpickling would run a command: refused, and the command never ran."""
    path, marker = tmp_path / "model.pt", tmp_path / "pwned"
    if how == "pickle":
        path.write_bytes(pickle.dumps(Payload(marker), protocol=2))
    else:  # the zip format torch writes, with the payload inside a state dict
        state = SimpleNet(hidden_size=8).state_dict()
        state["fc1.weight"] = Payload(marker)
        torch.save(state, path)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="never runs code from the file"):
        load_model(path)
    assert not marker.exists()


def test_state_file_of_another_config_is_not_a_checkpoint(tmp_path):
    """A resume state (results/.resume/...) passed by mistake."""
    from ablation.training.resume import save_state

    cfg = replace(CFG, epochs=1)
    model = SimpleNet(hidden_size=32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    state = {"epoch": 1, "history": [], "train_seconds": 0.0, "last_finite": model.state_dict()}
    save_state(tmp_path / "state.pt", cfg, model, optimizer, torch.Generator(), state)
    with pytest.raises(CheckpointError, match="holds no SimpleNet weights"):
        load_model(tmp_path / "state.pt")
