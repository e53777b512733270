"""The shape of the library: imports go one way, and every module can be read at once."""

from __future__ import annotations

import ast
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
