"""A real two-dataset study (MNIST and Fashion-MNIST) through Snakemake to the report, in Chromium.

The study grows the session's tiny study by a `dataset` axis: its MNIST runs are
reused (hard links, never retrained), only the Fashion-MNIST runs train. The report
is the one-job report of finished runs (`reports/partial/summary.html`: the same
statistics and figures as the per-rule report, in one process, which keeps this
cheap); with every run finished it is the whole study's report.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import scipy.stats

from ablation.axes import CLASS_NAMES
from browser_helpers import Page, assert_every_figure_drawn, chromium  # noqa: F401 (fixture)
from conftest import REPO, TINY_STUDY, WORKFLOW_FILES, snakemake, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.browser]

ARTIFACTS = REPO / "test-artifacts"
TWO_DATASETS = {
    **TINY_STUDY,
    "grid": {**TINY_STUDY["grid"], "dataset": ["mnist", "fashion_mnist"], "optimizer": ["adam"]},
}


@pytest.fixture(scope="module")
def study(tiny_study, fashion_raw, tmp_path_factory) -> Path:
    """The tiny study's Adam runs on MNIST, plus the same grid on Fashion-MNIST, reported."""
    workdir = tmp_path_factory.mktemp("two_datasets")
    for name in WORKFLOW_FILES:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, workdir / name)
    # the runs, their stamps (results/.trained: which config trained them) and the data
    for name in ("results/data", "results/runs", "results/.trained"):
        shutil.copytree(tiny_study / name, workdir / name, copy_function=os.link)
    # Copied, not linked: Snakemake rewrites its records in place, and the tiny study's own
    # records must stay as they are.
    shutil.copytree(tiny_study / ".snakemake/metadata", workdir / ".snakemake/metadata")
    config = str(write_config(workdir, TWO_DATASETS))
    snakemake(workdir, "results/metrics.parquet", "--configfile", config)  # trains
    snakemake(workdir, "reports/partial/summary.html", "--configfile", config)
    runs = workdir / "results/runs"
    mnist = [p for p in runs.glob("activation=*/**/metrics.parquet")]
    assert len(mnist) == 8 and len(list(runs.glob("dataset=fashion_mnist/**/metrics.parquet"))) == 4
    for path in mnist:  # still the tiny study's files: not retrained
        assert path.stat().st_ino == (tiny_study / path.relative_to(workdir)).stat().st_ino
    return workdir


@pytest.fixture(scope="module")
def report(study, browser):
    page = Page(browser, study / "reports" / "partial" / "summary.html")
    yield page
    page.page.close()


def test_each_dataset_has_its_own_leaderboard(study, report):
    assert report.errors() == [] and report.requests == [report.url]
    assert_every_figure_drawn(report.page)
    assert report.page.is_visible("#figure-transfer img")
    rows = report.visible_rows()
    by_dataset = {d: [r for r in rows if r[1] == d] for d in ("mnist", "fashion_mnist")}
    assert [len(part) for part in by_dataset.values()] == [2, 2] and len(rows) == 4
    assert all(sorted(r[0] for r in part) == ["1", "2"] for part in by_dataset.values())
    assert "not run" not in report.page.inner_text("#leaderboard")  # every configuration ran
    findings = report.page.inner_text("#findings")
    assert "All 8 planned runs finished." in findings
    runs = pd.read_parquet(study / "results/runs.parquet")
    for dataset, part in runs.groupby("dataset"):
        assert f"On {dataset}, chosen on validation accuracy" in findings
        means = part.groupby("activation")["final_test_accuracy"].mean()
        assert any(f"{m * 100:.2f}%" in findings for m in means)  # the best's test accuracy
    ARTIFACTS.mkdir(exist_ok=True)
    report.page.screenshot(path=str(ARTIFACTS / "report_two_datasets.png"), full_page=True)


def test_transfer_section_gives_kendalls_tau(study, report):
    runs = pd.read_parquet(study / "results/runs.parquet")
    means = runs.pivot_table(
        index="activation", columns="dataset", values="final_test_accuracy", aggfunc="mean"
    )
    tau = scipy.stats.kendalltau(means["fashion_mnist"], means["mnist"]).statistic
    cells = report.page.eval_on_selector_all(
        "#agreement-table tbody td", "tds => tds.map(td => td.textContent.trim())"
    )
    assert cells[:4] == ["fashion_mnist vs mnist", "2", "2", f"{tau:.2f}"]
    assert "Kendall's tau" in report.page.inner_text("#findings")
    choices = report.page.eval_on_selector_all(
        "#transfer-findings-table tbody tr", "trs => trs.map(t => t.cells[1].textContent.trim())"
    )
    assert "activation" in choices


def test_confusion_names_fashion_classes(report):
    tables = report.page.eval_on_selector_all(
        "#confusion .cols > div",
        "divs => divs.map(d => [d.querySelector('p').textContent, Array.from("
        "d.querySelectorAll('tbody tr')).map(r => r.cells[0].textContent)])",
    )
    fashion = [names for title, names in tables if title.startswith("fashion_mnist")]
    digits = [names for title, names in tables if title.startswith("mnist")]
    assert len(fashion) == 2 and len(digits) == 2  # best and worst of each dataset
    assert all(name in CLASS_NAMES["fashion_mnist"] for names in fashion for name in names)
    assert all(name in "0123456789" for names in digits for name in names)
    text = report.page.inner_text("#confusion")
    # per dataset: MNIST's classes are digits, Fashion-MNIST's are classes
    assert text.count("Most confused classes") == 2 and text.count("Most confused digits") == 2
