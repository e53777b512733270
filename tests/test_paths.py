"""`ablation.layout`, the one home of the workflow's paths: what it says, and that no
other module or rule spells a path of its own."""

from __future__ import annotations

import ast
import json
import re

import yaml

from ablation import layout
from ablation.cli.status import Workspace, cell_status
from ablation.config import grid_cells, run_config, run_path, validate_config
from ablation.packs.handoff import runs_to_train
from ablation.report.inputs import finished_runs
from ablation.schema import load_schema
from conftest import REPO

ROOTS = ("results/", "logs/", "benchmarks/", "reports/")
FILE_NAMES = {*layout.PACKED_FILES, layout.STATE}
RUN = "activation=relu/optimizer=adam/weight_decay=0.0/dropout=0.0/seed=0"


def test_a_runs_paths():
    assert layout.run_output(RUN, layout.METRICS) == f"results/runs/{RUN}/metrics.parquet"
    assert layout.state_file(RUN) == f"results/.resume/{RUN}/state.pt"
    assert layout.packed_dir(RUN) == f"results/.packs/{RUN}"
    assert layout.trained_stamp(RUN) == f"results/.trained/{RUN}.json"
    assert layout.run_log(RUN) == f"logs/train_model/{RUN}.log"
    assert layout.run_benchmark(RUN) == f"benchmarks/train_model/{RUN}.tsv"
    assert layout.plan_file("abc") == "results/.packs/plans/abc.json"
    # the rules' patterns come from the same functions
    assert layout.run_output("{run}", layout.MODEL) == "results/runs/{run}/model.pt"


def test_tables_figures_and_logs():
    assert layout.table_path("summary") == "results/summary.parquet"
    assert layout.table_path("anova") == "results/stats/anova.parquet"
    assert layout.csv_path("anova") == "results/stats/anova.csv"
    assert layout.figure_path("accuracy_heatmap") == "results/plots/accuracy_heatmap.png"
    assert layout.log_file("aggregate_metrics") == "logs/aggregate_metrics.log"
    assert layout.log_file("prepare_data", "{dataset}") == "logs/prepare_data/{dataset}.log"
    assert layout.benchmark_file("train_pack", "abc") == "benchmarks/train_pack/abc.tsv"


def test_the_default_data_root_is_the_configs():
    default = load_schema()["properties"]["data"]["properties"]["root"]["default"]
    assert default == layout.DATA_ROOT
    assert layout.data_file(default, "mnist") == "results/data/mnist.pt"


def test_a_run_is_finished_when_its_folder_holds_every_output(tmp_path):
    folder = tmp_path / RUN
    assert not layout.is_finished(folder)
    folder.mkdir(parents=True)
    for name in layout.RUN_OUTPUTS[:-1]:
        (folder / name).write_bytes(b"x")
        assert not layout.is_finished(folder)
    (folder / layout.MODEL).mkdir()  # a folder is no output
    assert not layout.is_finished(folder)
    (folder / layout.MODEL).rmdir()
    (folder / layout.MODEL).write_bytes(b"x")
    assert layout.is_finished(folder)


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr):
            found.add(id(node.body[0].value))
    return found


def _spells_a_path(text: str) -> bool:
    return text.startswith(ROOTS) or text.rsplit("/", 1)[-1] in FILE_NAMES


def test_no_module_spells_a_path_of_its_own():
    """Strings of code (not docstrings, not help texts that merely show an example)
    that begin with a results/, logs/, benchmarks/ or reports/ path or name a run's
    file: only `ablation.layout` may hold them."""
    found = []
    scripts = [*(REPO / "src" / "ablation").rglob("*.py"), *(REPO / "workflow").rglob("*.py")]
    for path in scripts:
        if path.name == "layout.py":
            continue
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        strings = [n for n in ast.walk(tree) if isinstance(n, ast.Constant)]
        found += [
            f"{path.relative_to(REPO)}:{node.lineno} {node.value!r}"
            for node in strings
            if isinstance(node.value, str) and id(node) not in docs and _spells_a_path(node.value)
        ]
    assert not found, found


def test_no_rule_spells_a_path_of_its_own():
    quoted = re.compile(r"""f?["']([^"']*)["']""")
    found = []
    for path in [REPO / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            found += [
                f"{path.name}:{number} {text!r}"
                for text in quoted.findall(code)
                if _spells_a_path(text)
            ]
    assert not found, found


def test_packs_status_and_the_report_ask_the_same_function(tmp_path, monkeypatch):
    """A run whose folder holds its outputs and whose pack stamped it: finished for the
    three of them, and for none once `layout.is_finished` says otherwise."""
    study = validate_config(yaml.safe_load((REPO / "config" / "quick.yaml").read_text()))
    cell = grid_cells(study)[0]
    cfg, run = run_config(study, cell), run_path(cell)
    folder = tmp_path / layout.run_dir(run)
    folder.mkdir(parents=True)
    for name in layout.RUN_OUTPUTS:
        (folder / name).write_bytes(b"not read here")
    stamp = tmp_path / layout.trained_stamp(run)
    stamp.parent.mkdir(parents=True)
    stamp.write_text(json.dumps({"config_hash": cfg.hash()}))
    ws = Workspace(root=tmp_path, data_root=tmp_path / "data", incomplete=set(), locked=set())

    assert finished_runs(tmp_path / layout.RUNS, [run]) == [run]
    assert runs_to_train([cfg], tmp_path) == []
    assert cell_status(ws, study, cell).state == "stale"  # finished; its metrics unreadable
    monkeypatch.setattr(layout, "is_finished", lambda folder: False)
    assert finished_runs(tmp_path / layout.RUNS, [run]) == []
    assert runs_to_train([cfg], tmp_path) == [cfg]
    assert cell_status(ws, study, cell).state == "missing"
