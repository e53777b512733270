"""Bad study configs are refused before any work starts, naming the file, the key and the fix."""

from __future__ import annotations

import copy
import socket

import pytest

from ablation.config import ConfigError, run_config, validate_config
from ablation.data import DATA_DIR_ENV
from conftest import TINY_STUDY, snakemake, write_config


def bad(change) -> dict:
    config = copy.deepcopy(TINY_STUDY)
    change(config)
    return config


def set_in(path: str, value):
    """A change that sets the dotted `path` of a config to `value`."""

    def change(config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return change


def adam_preset(preset: dict):
    """A change that makes `preset` the `adam` preset (sgd stays as the default)."""
    return set_in("optimizers", {"adam": preset, "sgd": {"class": "SGD", "lr": 0.1}})


# (change, key named, words of the problem and the fix)
CASES = {
    "unknown activation": (
        set_in("grid.activation", ["relu", "swish"]),
        "grid.activation",
        ["unknown activation 'swish'", "use one of: relu, sigmoid, tanh, gelu"],
    ),
    "unknown optimizer": (
        set_in("grid.optimizer", ["adam", "adamw"]),
        "grid.optimizer",
        ["no optimizer preset named 'adamw'", "adam, rmsprop, sgd", "add a preset under"],
    ),
    "unknown report language": (
        set_in("report.language", "fr"),
        "report.language",
        ["'fr' is not allowed", "use one of: en, ru"],
    ),
    "empty axis": (set_in("grid.seed", []), "grid.seed", ["the list is empty", "at least one"]),
    "repeated value": (
        set_in("grid.weight_decay", [0.0, 1e-4, 0.0001]),
        "grid.weight_decay",
        ["repeats a value", "list each value once"],
    ),
    "zero lr": (
        adam_preset({"class": "Adam", "lr": 0}),
        "optimizers.adam.lr",
        ["0 is out of range", "use a value > 0"],
    ),
    "negative lr": (
        adam_preset({"class": "Adam", "lr": -0.1}),
        "optimizers.adam.lr",
        ["-0.1 is out of range", "use a value > 0"],
    ),
    "dropout of one": (
        set_in("grid.dropout", [0.0, 1.0]),
        "grid.dropout[1]",
        ["1.0 is out of range", "use a value < 1", "Dropout probability"],
    ),
    "negative dropout": (
        set_in("grid.dropout", [-0.2]),
        "grid.dropout[0]",
        ["use a value >= 0"],
    ),
    "negative equivalence margin": (
        set_in("analysis.equivalence_margin", -0.5),
        "analysis.equivalence_margin",
        ["-0.5 is out of range", "use a value > 0", "percentage points"],
    ),
    "equivalence margin as a fraction of a hundred": (
        set_in("analysis.equivalence_margin", 50),
        "analysis.equivalence_margin",
        ["50 is out of range", "use a value <= 20", "0.5 = half a point"],
    ),
    "underfit margin as text": (
        set_in("analysis.underfit_margin", "3pp"),
        "analysis.underfit_margin",
        ["'3pp' is not a number", "percentage points"],
    ),
    "milestone beyond epochs": (
        set_in("training.milestones", [1, 2, 5]),
        "training.milestones",
        ["[5] lie beyond training.epochs = 2", "drop them or raise training.epochs"],
    ),
    "missing optimizer class": (
        adam_preset({"class": "Adamm", "lr": 0.1}),
        "optimizers.adam.class",
        ["torch.optim has no optimizer 'Adamm'", "use one of:", "AdamW"],
    ),
    "wrong optimizer argument": (
        adam_preset({"class": "Adam", "lr": 0.1, "momentum": 0.9}),
        "optimizers.adam.momentum",
        ["Adam takes no argument 'momentum'", "betas"],
    ),
    "weight decay in a preset": (
        adam_preset({"class": "Adam", "lr": 0.1, "weight_decay": 0.1}),
        "optimizers.adam.weight_decay",
        ["grid axis", "grid.weight_decay"],
    ),
    "misspelt preset argument": (
        adam_preset({"class": "Adam", "lrr": 0.1}),
        "optimizers.adam",
        ["'lr' is a required property", "`lrr` a misspelling"],
    ),
    "typo at top level": (
        set_in("trainig", {"epochs": 3}),
        "trainig",
        ["unknown key", "did you mean `training`?"],
    ),
    "typo in grid": (
        set_in("grid.activations", ["relu"]),
        "grid.activations",
        ["unknown key", "did you mean `activation`?"],
    ),
    "typo in training": (
        set_in("training.epoch", 3),
        "training.epoch",
        ["unknown key", "did you mean `epochs`?"],
    ),
    "typo in data": (
        set_in("data.local_dri", "x"),
        "data.local_dri",
        ["unknown key", "`local_dir`"],
    ),
    "text for a number": (
        set_in("training.epochs", "ten"),
        "training.epochs",
        ["'ten' is not a whole number"],
    ),
    "a value for a list": (
        set_in("grid.activation", "relu"),
        "grid.activation",
        ["is not a list"],
    ),
}


@pytest.mark.parametrize("change, key, words", CASES.values(), ids=CASES.keys())
def test_bad_config_names_file_key_and_fix(change, key, words):
    with pytest.raises(ConfigError) as caught:
        validate_config(bad(change), source="config/study.yaml")
    err = caught.value
    assert (err.source, err.key) == ("config/study.yaml", key)
    message = str(err)
    assert message.startswith(f"config/study.yaml: {key}: ")
    assert "\n  fix: " in message
    for word in words:
        assert word in message


GB = 10**9
# (change, key named, words of the problem and the fix), on a machine of 16 GB
TOO_BIG = {
    "a width whose weights alone need 318 GB": (
        set_in("grid.hidden_size", [128, 100_000_000]),
        "grid.hidden_size",
        ["100000000 needs about", "318 GB for its weights alone", "hidden_size=100000000",
         "more than the 16 GB of this machine", "set hidden_size to at most"],
    ),
    "a width set under training": (
        set_in("training.hidden_size", 10_000_000),
        "training.hidden_size",
        ["32 GB for its weights alone", "set hidden_size to at most"],
    ),
    "a batch too big for its width": (
        lambda c: (set_in("grid.hidden_size", [100_000])(c), set_in("grid.batch_size", [50_000])(c),
                   set_in("training.train_size", 50_000)(c)),
        "grid.batch_size",
        ["50000 needs about", "more than the 16 GB", "set batch_size to at most"],
    ),
    "an evaluation batch too big": (
        set_in("training.eval_batch_size", 1_000_000_000),
        "training.eval_batch_size",
        ["set eval_batch_size to at most", "or train on a machine with more memory"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("change, key, words", TOO_BIG.values(), ids=TOO_BIG.keys())
def test_training_that_cannot_fit_in_memory_is_refused(change, key, words):
    with pytest.raises(ConfigError) as caught:
        validate_config(bad(change), source="config/study.yaml", memory=16 * GB)
    err = caught.value
    assert (err.source, err.key) == ("config/study.yaml", key)
    message = str(err)
    assert message.startswith(f"config/study.yaml: {key}: ") and "\n  fix: " in message
    for word in words:
        assert word in message


def test_memory_is_checked_only_where_asked():
    """The command line validates without it (a login node may have less memory than the
    machine that trains); the fitting width passes."""
    too_wide = bad(set_in("grid.hidden_size", [100_000_000]))
    assert validate_config(too_wide)["grid"]["hidden_size"] == [100_000_000]
    fix = validate_config(bad(set_in("grid.hidden_size", [1024])), memory=16 * GB)
    assert fix["grid"]["hidden_size"] == [1024]


def test_yaml11_exponents_are_numbers():
    """PyYAML (and so Snakemake) reads `1e-4` as text; the study reads the number meant."""
    config = bad(set_in("grid.weight_decay", ["0", "1e-4"]))
    config["optimizers"] = {
        "adam": {"class": "Adam", "lr": "1e-3"},
        "sgd": {"class": "SGD", "lr": "5E-2"},
    }
    study = validate_config(config)
    assert study["grid"]["weight_decay"] == [0, 1e-4]
    cell = dict(activation="relu", optimizer="sgd", weight_decay=1e-4, dropout=0.0, seed=0)
    assert run_config(study, cell).lr == 0.05


def test_error_names_the_layer_that_sets_the_key(tmp_path):
    base, override = tmp_path / "config.yaml", tmp_path / "mine.yaml"
    base.write_text("grid: {activation: [relu]}\n")
    override.write_text("training:\n  epoch: 3\n")
    config = bad(set_in("training.epoch", 3))
    layers = [("--config", {}), (str(override), override), (str(base), base)]
    with pytest.raises(ConfigError) as caught:
        validate_config(config, source="both", layers=layers)
    assert caught.value.source == str(override)
    layers[0] = ("--config", {"training": {"epoch": 4}})
    with pytest.raises(ConfigError) as caught:
        validate_config(config, source="both", layers=layers)
    assert caught.value.source == "--config"


# ---------------------------------------------------------------------------- what the user sees


def refused(workdir, *args: str) -> str:
    """A dry run that must fail; its output, checked to carry no Python traceback."""
    done = snakemake(workdir, "-n", *args, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output and 'File "' not in output, output
    assert "invalid study config" in output
    return output


@pytest.mark.workflow
def test_snakemake_prints_our_message_for_a_bad_file(workdir):
    configfile = write_config(workdir, bad(set_in("grid.activation", ["relu", "swish"])))
    output = refused(workdir, "--configfile", str(configfile))
    assert "config/study.yaml: grid.activation: unknown activation 'swish'" in output
    assert "fix: use one of: relu, sigmoid" in output


@pytest.mark.workflow
def test_snakemake_names_the_file_with_the_typo(workdir):
    """The typo sits in the user's file, not in config/config.yaml that it extends."""
    config = bad(set_in("training.epoch", 3))
    configfile = write_config(workdir, config)
    output = refused(workdir, "--configfile", str(configfile))
    assert "config/study.yaml: training.epoch: unknown key" in output
    assert "did you mean `epochs`?" in output


@pytest.mark.workflow
def test_snakemake_names_a_command_line_override(workdir):
    configfile = write_config(workdir)
    output = refused(workdir, "--configfile", str(configfile), "--config", "training={'epochs': 0}")
    assert "--config: training.epochs: 0 is out of range" in output
    assert "use a value >= 1" in output


@pytest.mark.workflow
def test_snakemake_reads_yaml11_exponents_as_numbers(workdir):
    """A real YAML file with `1e-4` (no dot): Snakemake plans the run folder of 0.0001."""
    configfile = workdir / "config" / "exponents.yaml"
    configfile.write_text(
        "grid:\n"
        "  activation: [relu]\n"
        "  optimizer: [adam]\n"
        "  weight_decay: [0, 1e-4]\n"
        "  dropout: [0.0]\n"
        "  seed: [0]\n"
        "optimizers:\n"
        "  adam: {class: Adam, lr: 1e-3}\n"
        "training: {epochs: 2, milestones: [1, 2], train_size: 1000}\n"
    )
    from snakemake.common.configfile import load_configfile

    raw = load_configfile(str(configfile))  # how Snakemake reads it
    assert raw["grid"]["weight_decay"][1] == "1e-4" and raw["optimizers"]["adam"]["lr"] == "1e-3"
    study = validate_config(raw)
    assert study["optimizers"]["adam"]["lr"] == 0.001
    out = snakemake(workdir, "-n", "--configfile", str(configfile)).stdout
    assert "weight_decay=0.0001/" in out and "weight_decay=0.0/" in out


@pytest.mark.workflow
def test_snakemake_refuses_a_width_too_big_for_this_machine(workdir):
    """Refused while Snakemake plans, before any job (the dataset included) starts."""
    from ablation.memory import human, machine_memory

    configfile = write_config(workdir, bad(set_in("grid.hidden_size", [128, 10**12])))
    output = refused(workdir, "--configfile", str(configfile))
    assert "config/study.yaml: grid.hidden_size: 1000000000000 needs about" in output
    assert f"more than the {human(machine_memory())} of this machine" in output
    assert "fix: set hidden_size to at most" in output


def closed_port() -> int:
    """A local port nobody listens on: a proxy there refuses at once, no network touched."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.workflow
def test_offline_dataset_without_files_is_refused_at_planning(workdir, tmp_path, monkeypatch):
    """No files anywhere and the mirror unreachable: the dry run stops, naming files and folders."""
    empty = tmp_path / "no_datasets"
    empty.mkdir()
    monkeypatch.setenv(DATA_DIR_ENV, str(empty))
    proxy = f"http://127.0.0.1:{closed_port()}"
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(var, proxy)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    configfile = write_config(workdir, bad(set_in("data.root", "empty_root")))
    done = snakemake(workdir, "-n", "--configfile", str(configfile), check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output, output
    assert "dataset mnist cannot be obtained" in output
    assert "torchvision's mirror https://ossci-datasets.s3.amazonaws.com/mnist/" in output
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in output
    assert "$ABLATION_DATA_DIR/MNIST/raw" in output and "empty_root/MNIST/raw" in output
    assert "prepare_data" not in output  # refused while planning: no job was listed
