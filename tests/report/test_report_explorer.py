"""The Explore section's payload: the runs' numbers as the page gets them, and its words."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy import stats

from ablation.report import ReportInputs, build_html
from ablation.report.build import analyze_runs
from ablation.report.explorer import comparison_words, explorer_payload
from ablation.report.render import _config_key, grid_status, leaderboard_rows
from ablation.stats.analyze import analysis_defaults
from synthetic import synthetic_study

GRID = {"dataset": ["mnist", "fashion_mnist"], "activation": ["relu", "tanh"], "seed": [0, 1, 2]}


@pytest.fixture(scope="module")
def made():
    metrics, confusion = synthetic_study(GRID, epochs=4, milestones=(1, 2, 4))
    tables = analyze_runs(metrics, confusion, analysis_defaults())
    inputs = ReportInputs(**{k: v for k, v in tables.items() if k in ReportInputs.fields()})
    board = leaderboard_rows(inputs, grid_status(sorted(set(metrics["run_id"])), inputs.runs))
    return metrics, inputs, board


def test_the_payload_holds_every_run_and_milestone(made):
    metrics, inputs, board = made
    payload = explorer_payload(inputs, board, _config_key, 0.9, 0.05)
    assert [a["key"] for a in payload["axes"]][:2] == ["dataset", "activation"]
    assert len(payload["runs"]["id"]) == 12 and len(payload["configs"]) == 4
    assert payload["epochs"] == [1, 2, 4]
    test = metrics[metrics["split"] == "test"].sort_values(["run_id", "epoch"])
    np.testing.assert_allclose(payload["points"]["test_accuracy"], test["accuracy"], rtol=1e-5)
    # the t quantiles of ablation.stats.seeds.t_interval, by degrees of freedom
    np.testing.assert_allclose(payload["tq"][1:4], stats.t.ppf(0.95, [1, 2, 3]), rtol=1e-5)
    first = payload["configs"][0]
    assert len(first["confusion"]["rates"]) == 10
    row_sums = np.asarray(first["confusion"]["rates"]).sum(axis=1)
    np.testing.assert_allclose(row_sums, 1, atol=1e-3)
    assert all(c >= 0 for c in payload["runs"]["config"])


def test_comparison_words_use_the_leaderboards_terms():
    best = {"is_best": True, "dataset": "mnist", "selection_mean": 0.98, "mean": 0.975}
    assert comparison_words(best, 0.05).startswith("The best configuration of mnist")
    assert "not resolved better" in comparison_words({**best, "comparison": "unresolved"}, 0.05)
    assert "; better than every" in comparison_words({**best, "comparison": "better"}, 0.05)
    row = {"diff_from_best": 0.001, "equivalence_margin": 0.005, "tested": True}
    close = {**row, "comparison": "equivalent"}
    assert comparison_words(close, 0.05).startswith("Equivalent to the best within the ±0.50 pp")
    assert "0.10 pp behind the best" in comparison_words(close, 0.05)
    open_ = comparison_words({**row, "comparison": "unresolved"}, 0.05)
    assert open_.startswith("Unresolved: at these seeds neither worse")
    worse = {**row, "diff_from_best": 0.02, "comparison": "worse"}
    assert comparison_words(worse, 0.01).startswith("Worse than the best (simultaneous")
    assert "family-wise error 0.01" in comparison_words(worse, 0.01)
    # an older board without the MCB column reads its flags: never "as good"
    old = {"indistinguishable_from_best": True, "tested": True, "diff_from_best": 0.001}
    assert comparison_words(old, 0.05).startswith("Unresolved")
    assert comparison_words({"tested": False}, 0.05).startswith("Not tested")


def test_the_page_embeds_safe_json_and_no_runs_means_no_explorer(made):
    _, inputs, _ = made
    html = build_html(inputs, {}, {}, sorted(inputs.runs["run_id"]))
    text = re.search(r'id="explorer-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in text and json.loads(text)["runs"]["id"]
    empty = build_html(ReportInputs(), {}, {}, ["activation=relu/seed=0"])
    assert 'id="explorer-empty"' in empty and "explorer-data" not in empty
