"""Code drift: which trained runs came from other training code than the checkout's.

Edits to the library do not make Snakemake rerun anything; each run stores the git
commit it was trained at, and git tells whether the files that decide what training
computes changed since. Those files are found from the code itself, never listed by
hand: every module of `ablation.training`, the workflow files that train (`WORKFLOW_CODE`),
and every library module they import, at the top or inside a function, transitively.
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
from pathlib import Path
from typing import Protocol

PACKAGE = "ablation"
TRAINING = "ablation.training"
# The workflow's files that plan and run training (relative to the project folder).
WORKFLOW_CODE = ("workflow/scripts/train_pack.py", "workflow/rules/train.smk")
SOURCE = "src"  # where the package lives in the project folder
_LIBRARY = Path(__file__).resolve().parents[1]  # this copy of the package, to read its imports
# A .smk file is not Python; its import statements are.
_SMK_IMPORT = re.compile(
    r"^(?:from\s+ablation[\w.]*\s+import\s+(?:\([^)]*\)|.+)|import\s+ablation[\w.]*.*)$", re.M
)


class Trained(Protocol):
    git_commit: str | None
    code: str


def mark_code_drift(root: Path, cells: list[Trained]) -> str | None:
    """Set each trained cell's `code`: did its training code change since (per git)?"""
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        return None
    verdicts: dict[str, str] = {}
    paths: list[str] = []
    for cell in cells:
        commit = cell.git_commit
        if not commit or commit.endswith("+dirty"):
            continue  # no commit, or uncommitted edits at training time: cannot tell
        if commit not in verdicts:
            paths = paths or training_code(root)
            changed = _git(root, "diff", "--quiet", commit, "--", *paths, check=False)
            verdicts[commit] = {"0": "same", "1": "changed"}.get(changed or "", "unknown")
        cell.code = verdicts[commit]
    return head


def training_code(root: str | Path = ".") -> list[str]:
    """The files, relative to the project folder `root`, whose changes change what training
    computes: the modules of `training_modules` and `WORKFLOW_CODE`."""
    modules = training_modules(tuple(sorted(_workflow_imports(Path(root)))))
    return sorted({*map(module_file, modules), *WORKFLOW_CODE})


@functools.cache
def training_modules(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Every module of `ablation.training`, the modules in `extra`, and each library module
    they import, transitively (with the packages above each: importing runs them)."""
    known = _library_modules()
    todo = [m for m in known if m == TRAINING or m.startswith(f"{TRAINING}.")]
    todo += [m for m in extra if m in known]
    found: set[str] = set()
    while todo:
        module = todo.pop()
        if module in found:
            continue
        found.add(module)
        todo += _parents(module) + sorted(_imports(_read(known[module]), known))
    return frozenset(found)


def module_file(module: str) -> str:
    """A library module's file relative to the project folder, e.g. `src/ablation/data.py`."""
    path = _library_modules()[module].relative_to(_LIBRARY.parent)
    return f"{SOURCE}/{path.as_posix()}"


@functools.cache
def _library_modules() -> dict[str, Path]:
    """Every module of the package by dotted name (`ablation.training` for its __init__)."""
    found = {}
    for path in _LIBRARY.rglob("*.py"):
        parts = path.relative_to(_LIBRARY.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _read(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _imports(tree: ast.Module, known: dict[str, Path]) -> set[str]:
    """The library modules a module imports: `import a.b`, `from a.b import c` (c a
    module or a name in a.b), `from a import b`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _workflow_imports(root: Path) -> set[str]:
    """The library modules the files of `WORKFLOW_CODE` import, where `root` has them."""
    known = _library_modules()
    found: set[str] = set()
    for name in WORKFLOW_CODE:
        path = root / name
        if not path.is_file():
            continue
        text = path.read_text()
        statements = text if path.suffix == ".py" else "\n".join(_SMK_IMPORT.findall(text))
        found |= _imports(ast.parse(statements), known)
    return found


def _git(root: Path, *args: str, check: bool = True) -> str | None:
    """git's output (or, with check=False, its exit status); None where git cannot tell."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if not check:
        return str(done.returncode) if done.returncode in (0, 1) else None
    return done.stdout.strip() if done.returncode == 0 else None
