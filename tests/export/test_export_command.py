"""`ablation export`: both exports in one call, adding only new runs; what it refuses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from ablation.cli.parser import main
from ablation.export.folder import MANIFEST
from ablation.export.mlflow import tracking_uri
from ablation.export.runs import RUN_ID_TAG

mlflow = pytest.importorskip("mlflow", reason="pip install -e '.[test]'")
pytestmark = pytest.mark.workflow  # the tiny study's runs
pytest.importorskip("tensorboard", reason="pip install -e '.[test]'")

TENSORBOARD_MODULES = ("tensorboard.plugins.hparams.summary_v2", "torch.utils.tensorboard.writer")


def export(study_dir, capsys, *args, overlay: str = "config/study.yaml"):
    """Run `ablation export` in the tiny study's folder: (status, stdout, stderr)."""
    status = main(["export", "-d", str(study_dir), "--configfile", overlay, *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def overlay(study_dir, name: str, grid: dict) -> str:
    """A config laid over the tiny study's (in its folder; tests may add files there)."""
    base = yaml.safe_load((study_dir / "config" / "study.yaml").read_text())
    base["grid"] = {**base["grid"], **grid}
    (study_dir / "config" / name).write_text(yaml.safe_dump(base))
    return f"config/{name}"


def test_a_second_export_adds_only_the_runs_finished_since(tiny_study, tmp_path, capsys):
    tb, ml = tmp_path / "tb", tmp_path / "ml"
    seed0 = overlay(tiny_study, "export_seed0.yaml", {"seed": [0]})
    common = ["--tensorboard", tb, "--mlflow", ml, "--experiment", "tiny", "--json"]
    status, out, _ = export(tiny_study, capsys, *common, overlay=seed0)
    assert status == 0
    first = json.loads(out)
    assert len(first["tensorboard"]["added"]) == len(first["mlflow"]["added"]) == 4
    # An MLflow run an interrupted export left unfinished is replaced, not kept beside.
    client = mlflow.MlflowClient(tracking_uri(ml))
    experiment = client.get_experiment_by_name("tiny").experiment_id
    seed1 = first["mlflow"]["added"][0].replace("seed=0", "seed=1")
    cut = client.create_run(experiment, tags={RUN_ID_TAG: seed1}).info.run_id
    status, out, _ = export(tiny_study, capsys, *common)
    second = json.loads(out)
    for kind in ("tensorboard", "mlflow"):
        assert sorted(second[kind]["kept"]) == sorted(first[kind]["added"])
        assert len(second[kind]["added"]) == 4 and all("seed=1" in r for r in second[kind]["added"])
    assert client.get_run(cut).info.lifecycle_stage == "deleted"
    active = client.search_runs([experiment])
    assert len(active) == 8 and len({r.data.tags[RUN_ID_TAG] for r in active}) == 8
    status, out, _ = export(tiny_study, capsys, *common)
    third = json.loads(out)
    assert not third["tensorboard"]["added"] and not third["mlflow"]["added"]
    assert len(client.search_runs([experiment])) == 8


def test_the_text_output_says_how_to_look(tiny_study, tmp_path, capsys):
    status, out, _ = export(tiny_study, capsys, "--tensorboard", tmp_path / "tb")
    assert status == 0
    assert "tensorboard: 8 runs added, 0 already there" in out
    assert f"tensorboard --logdir {tmp_path / 'tb'}" in out


@pytest.mark.parametrize("kind", ["tensorboard", "mlflow"])
def test_a_folder_of_other_data_is_refused_untouched(tiny_study, tmp_path, capsys, kind):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    status, _, err = export(tiny_study, capsys, f"--{kind}", folder)
    assert status == 2 and "Traceback" not in err
    assert str(folder) in err and MANIFEST in err and "new or empty folder" in err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "keep me"


def test_an_export_of_the_other_kind_is_refused(tiny_study, tmp_path, capsys):
    folder = tmp_path / "tb"
    assert export(tiny_study, capsys, "--tensorboard", folder)[0] == 0
    before = sorted(folder.rglob("*"))
    status, _, err = export(tiny_study, capsys, "--mlflow", folder)
    assert status == 2 and "holds an export for tensorboard, not mlflow" in err
    assert sorted(folder.rglob("*")) == before


@pytest.mark.parametrize("kind", ["tensorboard", "mlflow"])
def test_without_the_extra_it_says_what_to_install(tiny_study, tmp_path, capsys, kind,
                                                   monkeypatch):  # fmt: skip
    for module in TENSORBOARD_MODULES if kind == "tensorboard" else ("mlflow",):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    status, _, err = export(tiny_study, capsys, f"--{kind}", tmp_path / "out")
    assert status == 1
    assert f"pip install 'ablation[{kind}]'" in err
    assert not (tmp_path / "out").exists()


def test_a_study_with_no_finished_run_says_so(tiny_study, tmp_path, capsys):
    untrained = overlay(tiny_study, "export_untrained.yaml", {"activation": ["gelu"]})
    status, _, err = export(tiny_study, capsys, "--tensorboard", tmp_path / "tb",
                            overlay=untrained)  # fmt: skip
    assert status == 2 and "no finished run" in err and "results/runs" in err
    assert not (tmp_path / "tb").exists()


def test_it_needs_a_destination_and_two_distinct_folders(tiny_study, tmp_path, capsys):
    status, _, err = export(tiny_study, capsys)
    assert status == 2 and "--tensorboard DIR, --mlflow DIR" in err
    status, _, err = export(tiny_study, capsys, "--tensorboard", tmp_path, "--mlflow", tmp_path)
    assert status == 2 and "same folder" in err


def test_the_command_line_starts_without_the_extras():
    code = (
        "import sys\n"
        "for name in ('tensorboard', 'mlflow', 'tbparse'): sys.modules[name] = None\n"
        "from ablation.cli.parser import build_parser\n"
        "build_parser(['export']).parse_args(['export', '--tensorboard', 'x'])\n"
        "print('started')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0 and "started" in done.stdout, done.stderr
