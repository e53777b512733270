"""`ablation.environment`: every ABLATION_* knob read in one place, checked and documented."""

from __future__ import annotations

import ast
import re

import pytest

from ablation import environment
from conftest import REPO

KNOBS = (
    environment.DEVICE,
    environment.GPUS,
    environment.PACK_SIZE,
    environment.STACK,
    environment.DATA_DIR,
)


@pytest.fixture
def unset(monkeypatch):
    for name in KNOBS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_defaults(unset):
    assert environment.device() == "auto"
    assert environment.gpu_count() is None
    assert environment.pack_size() is None
    assert environment.stacking() is None
    assert environment.data_dir() is None


def test_the_values(unset):
    for name, setting in (
        ("DEVICE", "cuda:1"), ("GPUS", "3"), ("PACK_SIZE", "4"), ("STACK", "off"),
        ("DATA_DIR", "/data"),
    ):  # fmt: skip
        unset.setenv(getattr(environment, name), setting)
    assert environment.device() == "cuda:1"
    assert environment.gpu_count() == 3
    assert environment.pack_size() == 4
    assert environment.stacking() is False
    assert environment.data_dir() == "/data"
    unset.setenv(environment.STACK, "on")
    assert environment.stacking() is True
    unset.setenv(environment.GPUS, "0")
    assert environment.gpu_count() == 0


@pytest.mark.parametrize(
    ("name", "setting", "fix"),
    [
        ("ABLATION_GPUS", "-1", "auto or a whole number >= 0"),
        ("ABLATION_PACK_SIZE", "0", "auto or a whole number >= 1"),
        ("ABLATION_PACK_SIZE", "many", "auto or a whole number >= 1"),
        ("ABLATION_STACK", "maybe", "auto, on or off"),
    ],
)
def test_a_wrong_value_names_the_variable_and_its_choices(unset, name, setting, fix):
    unset.setenv(name, setting)
    reader = {
        "ABLATION_GPUS": environment.gpu_count,
        "ABLATION_PACK_SIZE": environment.pack_size,
        "ABLATION_STACK": environment.stacking,
    }[name]
    with pytest.raises(ValueError, match=re.escape(f"{name}={setting!r}: set it to {fix}")):
        reader()


def _reads_the_environment(node: ast.AST) -> bool:
    """`os.environ.get(...)`, `os.environ[...]` read, `os.getenv(...)`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func
        if target.attr == "getenv":
            return True
        return target.attr == "get" and getattr(target.value, "attr", None) == "environ"
    return (
        isinstance(node, ast.Subscript)
        and getattr(node.value, "attr", None) == "environ"
        and isinstance(node.ctx, ast.Load)
    )


def test_no_other_module_reads_the_environment():
    found = []
    for path in [*(REPO / "src" / "ablation").rglob("*.py"), *(REPO / "workflow").rglob("*.py")]:
        if path.name == "environment.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if _reads_the_environment(node):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        text = path.read_text()
        found += [f"{path.name}: {m}" for m in re.findall(r"os\.(?:environ|getenv)\S*", text)]
    assert not found, found


def test_every_knob_is_documented():
    docs = (REPO / "docs" / "configuration.md").read_text()
    assert set(environment.DEFAULTS) == set(KNOBS)
    for name in KNOBS:
        assert f"`{name}`" in docs, name
        assert f"``{name}``" in environment.__doc__, name
