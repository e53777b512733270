"""The conda environment file lists what pyproject.toml installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch"}
# Optional extras a user of the environment may need too (`test` is for development).
EXTRAS_IN_ENV = ("tensorboard", "mlflow")


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec, maxsplit=1)[0].lower()


def requirement_bound(spec: str) -> str:
    return spec[len(requirement_name(spec)) :].strip()


def test_conda_env_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "envs" / "ablation.yaml").read_text())
    conda = {
        requirement_name(d): requirement_bound(d) for d in env["dependencies"] if isinstance(d, str)
    }
    extras = [s for e in EXTRAS_IN_ENV for s in project["optional-dependencies"][e]]
    for spec in [*project["dependencies"], *extras]:
        name = CONDA_NAMES.get(requirement_name(spec), requirement_name(spec))
        assert name in conda, f"envs/ablation.yaml lacks {name} (pyproject.toml: {spec})"
        assert conda[name] == requirement_bound(spec), f"{name}: bounds differ"
    python = project["requires-python"]
    assert conda["python"] == python


def test_conda_env_installs_the_package_itself():
    env = yaml.safe_load((REPO / "envs" / "ablation.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e .." in pip
