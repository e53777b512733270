"""The shape of the library: imports go one way, and every module can be read at once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

SRC = REPO / "src"
MAX_LINES = 500
# Modules allowed over the limit while they are being split by concern (none today).
TOO_LONG_FOR_NOW: set[str] = set()


def modules() -> dict[str, Path]:
    """Every module of the library by dotted name (`ablation.stats` for its __init__)."""
    found = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """Library modules `path` imports, at the top or inside functions, by name or by
    `importlib.import_module("...")`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return {name for name in names if name in known}


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(path, set(found)) - {name} for name, path in found.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, as the list of modules along it, or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, nxt])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_import_graph_has_no_circle():
    graph = import_graph()
    assert "ablation.console" in graph["ablation.bench.epoch"]  # the graph sees real imports
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_is_too_long_to_read_at_once():
    lengths = {
        path.relative_to(SRC).as_posix(): len(path.read_text().splitlines())
        for path in modules().values()
    }
    too_long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert set(too_long) <= TOO_LONG_FOR_NOW, too_long
    done = {name for name in TOO_LONG_FOR_NOW if lengths.get(name, 0) <= MAX_LINES}
    assert not done, f"{done} are short now: take them off TOO_LONG_FOR_NOW"


# ---------------------------------------------------------------------------- the module map

ARCHITECTURE = REPO / "docs" / "architecture.md"
LIBRARY = "src/ablation/"
ENTRY = re.compile(r"^( *)([\w.*/]+(?:\.py|/)(?:, [\w.*/]+(?:\.py|/))*)(?: {2,}|$)")


def mapped_paths(text: str) -> set[str]:
    """The files and folders of the library that the map of docs/architecture.md names,
    relative to src/ablation (`training/loop.py`, `training/`), from its indentation."""
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    found, parents = set(), []  # parents: (indent, folder) of the entries above
    for line in block.splitlines():
        match = ENTRY.match(line)
        if not match or len(match[1]) > 8:  # a description's continuation
            continue
        indent, names = len(match[1]), match[2].split(", ")
        parents = [(i, folder) for i, folder in parents if i < indent]
        prefix = "".join(folder for _, folder in parents)
        if prefix.startswith(LIBRARY):
            found.update(prefix.removeprefix(LIBRARY) + name for name in names)
        if names[-1].endswith("/"):
            parents.append((indent, names[-1]))
    return found


def library_paths() -> set[str]:
    """Every module (packages as their folder) under src/ablation, and each folder."""
    base = SRC / "ablation"
    found = set()
    for path in base.rglob("*"):
        rel = path.relative_to(base).as_posix()
        if path.is_dir() and "__pycache__" not in rel:
            found.add(rel + "/")
        elif path.suffix == ".py" and path.name != "__init__.py":
            found.add(rel)
    return found


def test_the_module_map_names_every_module_and_only_those_that_exist():
    mapped = mapped_paths(ARCHITECTURE.read_text())
    actual = library_paths()
    assert "training/loop.py" in mapped and "cli/" in mapped  # the parser reads the map
    modules = {
        p for p in actual if p.endswith(".py") or (SRC / "ablation" / p / "__init__.py").exists()
    }
    assert modules <= mapped, f"missing from docs/architecture.md: {sorted(modules - mapped)}"
    assert mapped <= actual, f"in docs/architecture.md, not in the tree: {sorted(mapped - actual)}"


def test_the_map_reader_follows_the_indentation():
    text = (
        "## Layout\n\n```\nsrc/ablation/   lib\n  a.py, b/      x\n    c.py        y\n"
        "                  z.py continued\n  d.py          w\ndocs/\n```\n"
    )
    assert mapped_paths(text) == {"a.py", "b/", "b/c.py", "d.py"}
