"""Code drift: the training code is found from the package's own imports."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from ablation.cli.drift import (
    WORKFLOW_CODE,
    mark_code_drift,
    module_file,
    training_code,
    training_modules,
)
from conftest import REPO

# What a pack's job loads: the modules of ablation.training and the script's imports.
LOADED = """
import json, pkgutil, sys
import ablation.training as training
for info in pkgutil.walk_packages(training.__path__, "ablation.training."):
    __import__(info.name)
import ablation.packs.devices, ablation.packs.handoff, ablation.packs.plan
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "ablation")))
"""


def test_every_module_training_imports_is_training_code():
    done = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, check=True, cwd=REPO
    )
    loaded = set(json.loads(done.stdout))
    covered = training_modules()
    assert "ablation.training.stacked" in loaded  # the check sees real imports
    assert loaded - covered <= {"ablation.packs.devices", "ablation.packs.handoff"}
    code = training_code(REPO)
    assert {module_file(m) for m in loaded} <= set(code)


def test_the_training_code_includes_what_a_hand_kept_list_missed():
    code = training_code(REPO)
    for path in (
        "src/ablation/training/pack.py",  # lockstep
        "src/ablation/training/stacked.py",
        "src/ablation/grid.py",
        "src/ablation/packs/handoff.py",  # from train.smk
        "src/ablation/packs/devices.py",  # from train_pack.py
        *WORKFLOW_CODE,
    ):
        assert path in code, path
    assert all((REPO / path).is_file() for path in code)
    assert not any(path.startswith(("src/ablation/report", "src/ablation/stats")) for path in code)


@dataclass
class Cell:
    git_commit: str | None
    code: str = "unknown"


def _git(root, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_change_to_training_code_marks_the_run(tmp_path):
    for path in ("src/ablation/training/stacked.py", "src/ablation/report/render.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("# one\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    trained = _git(tmp_path, "rev-parse", "HEAD")

    def commit_change(path: str) -> list[Cell]:
        (tmp_path / path).write_text((tmp_path / path).read_text() + "# more\n")
        _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", path)
        cells = [Cell(trained), Cell(None), Cell(f"{trained}+dirty")]
        mark_code_drift(tmp_path, cells)
        return cells

    assert [c.code for c in commit_change("src/ablation/report/render.py")] == [
        "same",
        "unknown",
        "unknown",
    ]
    assert commit_change("src/ablation/training/stacked.py")[0].code == "changed"
