"""The report of a real tiny study, opened in headless Chromium: offline, sortable, filterable.

One Snakemake run of the tiny study is shared by every test here; it also renders
the partial report of a grid grown by one seed (whose runs do not exist) and the
Snakemake report of the figures.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pandas as pd
import pytest

from browser_helpers import (  # noqa: F401 (chromium: the browser fixture)
    Page,
    assert_every_figure_drawn,
    chromium,
    shown_figures,
)
from conftest import REPO, TINY_STUDY, snakemake, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.browser]

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def study(tiny_study) -> Path:
    """The tiny study run to the end, plus its partial report with one more seed planned."""
    workdir = tiny_study
    grown = copy.deepcopy(TINY_STUDY)
    grown["grid"]["seed"].append(2)
    partial = snakemake(
        workdir, "reports/partial/summary.html",
        "--configfile", str(write_config(workdir, grown, "grown.yaml")),
    )  # fmt: skip
    ran = set(re.findall(r"^(?:local)?rule (\w+):", partial.stdout + partial.stderr, re.M))
    assert ran == {"render_partial_report"}  # the partial report trains nothing
    snakemake(
        workdir,
        "--report",
        "reports/snakemake.html",
        "--configfile",
        str(workdir / "config/study.yaml"),
    )
    return workdir


@pytest.fixture(scope="module")
def report(study, browser):
    page = Page(browser, study / "reports" / "summary.html")
    yield page
    page.page.close()


def test_page_is_self_contained_and_complete(study, report):
    assert report.errors() == []
    assert report.requests == [report.url]  # nothing but the file itself
    for section in (
        "findings",
        "leaderboard",
        "factors",
        "paired",
        "cost",
        "overfitting",
        "learning-curves",
        "details",
        "anomalies",
        "confusion",
        "provenance",
    ):
        assert report.page.is_visible(f"section#{section} h2")
    assert_every_figure_drawn(report.page)
    # one training-set size, one dataset: no more-data or transfer section
    assert not {"datasize", "transfer"} & set(shown_figures(report.page))
    text = report.page.inner_text("#findings")
    assert "All 8 planned runs finished." in text
    board = pd.read_parquet(study / "results/stats/leaderboard.parquet")
    best = board.sort_values("rank").iloc[0]
    assert f"{best['mean'] * 100:.2f}%" in text  # the page shows the statistics' numbers
    ARTIFACTS.mkdir(exist_ok=True)
    report.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    size = (study / "reports" / "summary.html").stat().st_size
    assert size < 3_000_000, f"{size} bytes for a tiny study"


def test_sorting_the_leaderboard_reorders_it(report):
    by_rank = [float(v) for v in report.column("rank")]
    assert by_rank == sorted(by_rank)
    test_ranks = [float(v) for v in report.column("test rank")]
    report.page.click("#leaderboard-table thead th >> text=test accuracy")
    ascending = [float(v) for v in report.column("test accuracy")]
    assert ascending == sorted(ascending)
    # ranked on validation, so sorting by test accuracy reverses the test rank, not the rank
    assert [float(v) for v in report.column("test rank")] == sorted(test_ranks, reverse=True)
    header = report.page.locator("#leaderboard-table thead th", has_text="test accuracy [")
    assert header.get_attribute("aria-sort") == "ascending"
    report.page.click("#leaderboard-table thead th >> text=test accuracy")
    descending = [float(v) for v in report.column("test accuracy")]
    assert descending == sorted(descending, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    report.page.click("#leaderboard-table thead th >> text=activation")
    names = [row[1] for row in report.visible_rows()]
    assert names == sorted(names)


def test_filter_shows_matching_rows_only(report):
    box = report.page.locator("#leaderboard-filter")
    box.fill("tanh")
    rows = report.visible_rows()
    assert len(rows) == 2 and all(row[1] == "tanh" for row in rows)
    assert report.page.inner_text("#leaderboard-count") == "2 of 4 shown"
    box.fill("tanh adam")
    assert [(r[1], r[2]) for r in report.visible_rows()] == [("tanh", "adam")]
    box.fill("no such configuration")
    assert report.visible_rows() == []
    box.fill("")
    assert len(report.visible_rows()) == 4


def test_partial_report_marks_missing_runs(study, browser):
    page = Page(browser, study / "reports" / "partial" / "summary.html")
    try:
        assert page.errors() == [] and page.requests == [page.url]
        assert "Only 8 of 12 planned runs have finished" in page.page.inner_text("#findings")
        assert re.search(
            r"4 of 12\s+planned runs are missing", page.page.inner_text("#missing-warning")
        )
        missing = page.page.eval_on_selector_all(
            "#missing-list li", "lis => lis.map(l => l.textContent)"
        )
        assert len(missing) == 4 and all(m.endswith("seed=2") for m in missing)
        seeds = {row[5] for row in page.visible_rows()}
        assert seeds == {"2 of 3"}
        assert_every_figure_drawn(page.page)
    finally:
        page.page.close()


def test_snakemake_report_holds_the_figures(study):
    html = (study / "reports" / "snakemake.html").read_text(errors="replace")
    for name in (
        "learning_curves_loss",
        "overfitting_panels",
        "accuracy_heatmap",
        "anomaly_timeline",
    ):
        assert f"{name}.png" in html


def test_two_dataset_report_in_chromium(browser, tmp_path):
    """A synthetic study of MNIST and Fashion-MNIST through the report, in the browser."""
    from ablation.report.build import partial_report
    from synthetic import synthetic_study

    grid = {
        "dataset": ["mnist", "fashion_mnist"], "activation": ["relu", "tanh"],
        "train_size": [1000, 4000], "seed": [0, 1],
    }  # fmt: skip
    metrics, confusion = synthetic_study(grid, epochs=4, milestones=(2, 4))
    path = tmp_path / "summary.html"
    path.write_text(partial_report(metrics, confusion, {}, sorted(set(metrics["run_id"]))))
    report = Page(browser, path)
    assert report.errors() == [] and report.requests == [report.url]
    for section in ("paired", "more-data", "transfer"):
        assert report.page.is_visible(f"section#{section} h2")
    text = report.page.inner_text("#transfer")
    assert "Kendall" in text and "fashion_mnist vs mnist" in text
    # each dataset its own ranking: two configurations ranked first
    assert [float(r) for r in report.column("rank")].count(1.0) == 2
    assert report.column("dataset")[:1] in (["fashion_mnist"], ["mnist"])
    assert "Shirt" in report.page.inner_text("#confusion")  # class names of Fashion-MNIST
    report.page.close()
