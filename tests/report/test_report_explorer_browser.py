"""The report's Explore section in headless Chromium: the drawn data against pandas, brushing,
a clicked configuration, shared links, bad links, and a one-run study.

One synthetic two-dataset study (24 runs) is rendered once as a partial report and opened
in one page per test; the numbers the page draws are read back through Vega's view API
(`ablationExplorer.views.<name>.data(<dataset>)`).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from ablation.report.build import partial_report
from ablation.stats.seeds import describe
from browser_helpers import Page, chromium  # noqa: F401 (chromium: the browser fixture)
from synthetic import synthetic_study

pytestmark = pytest.mark.browser

GRID = {
    "dataset": ["mnist", "fashion_mnist"],
    "activation": ["relu", "sigmoid", "tanh"],
    "optimizer": ["adam", "sgd"],
    "seed": [0, 1],
}
MILESTONES = (1, 2, 4, 6)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The study's metrics and its report, rendered once."""
    metrics, confusion = synthetic_study(GRID, epochs=6, milestones=MILESTONES)
    path = tmp_path_factory.mktemp("explore") / "summary.html"
    runs = sorted(set(metrics["run_id"]))
    path.write_text(partial_report(metrics, confusion, {}, runs))
    return metrics, path


def open_page(browser, path, fragment: str = "") -> Page:
    page = Page(browser, path)
    if fragment:
        page.page.goto(page.url + fragment)
    wait_until(page, "window.ablationExplorer && ablationExplorer.redraws > 0")
    return page


def wait_until(page: Page, expression: str, seconds: float = 10.0) -> None:
    """Poll `expression` from here: Playwright's own polling evaluates strings, which the
    page's Content-Security-Policy (no eval) refuses."""
    deadline = time.monotonic() + seconds
    while not page.page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.page.wait_for_timeout(20)


def settle(page: Page) -> None:
    page.page.evaluate("() => ablationExplorer.ready")


def assert_clean(page: Page) -> None:
    assert page.errors() == []
    assert {r.split("#")[0] for r in page.requests} == {page.url}  # the file itself, nothing else


def drawn_means(page: Page) -> pd.DataFrame:
    rows = page.page.evaluate("ablationExplorer.views.chart.data('points')")
    return pd.DataFrame([r for r in rows if r["kind"] == "mean"])


def test_colour_and_filter_draw_the_means_pandas_computes(study, browser):
    metrics, path = study
    page = open_page(browser, path)
    page.page.select_option("#explorer-colour", "optimizer")
    page.page.uncheck("#explorer-filters input[data-axis=activation][value=sigmoid]")
    settle(page)
    drawn = drawn_means(page)
    test = metrics[(metrics["split"] == "test") & (metrics["activation"] != "sigmoid")]
    expected = describe(test, ["dataset", "optimizer", "epoch"], value="accuracy")
    merged = expected.merge(
        drawn.rename(columns={"row": "dataset", "colour": "optimizer", "x": "epoch"}),
        on=["dataset", "optimizer", "epoch"],
        how="outer",
        indicator=True,
    )
    assert (merged["_merge"] == "both").all()  # every group drawn, no other: datasets apart
    assert len(merged) == 2 * 2 * len(MILESTONES)
    np.testing.assert_allclose(merged["mean_x"], merged["mean_y"], rtol=1e-4)
    np.testing.assert_allclose(merged["ci_low_x"], merged["ci_low_y"], rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(merged["n_x"], merged["n_y"])
    # the marks themselves: one line per (dataset, optimizer) in the SVG
    lines = page.page.locator("#explorer-chart svg g.mark-line path")
    assert lines.count() == 4
    assert_clean(page)


def test_brushing_the_parallel_coordinates_filters_the_table(study, browser):
    metrics, path = study
    page = open_page(browser, path)
    page.page.click("#explorer-table thead button >> text=mean at last epoch")  # sorted rows
    page.page.locator("#explorer-pc").scroll_into_view_if_needed()
    box = page.page.evaluate(
        """() => { const v = ablationExplorer.views.pc, [ox, oy] = v.origin();
        const r = v.container().querySelector('svg').getBoundingClientRect();
        const sx = v.scale('x'), sy = v.scale('y'), last = sx.domain()[1] - 0.3;
        return [r.left + ox + sx(last - 0.2), r.top + oy + sy(0.98),
                r.left + ox + sx(last + 0.2), r.top + oy + sy(0.5)]; }"""
    )
    page.page.mouse.move(box[0], box[1])
    page.page.mouse.down()
    page.page.mouse.move(box[2], box[3], steps=5)
    page.page.mouse.up()
    wait_until(page, "ablationExplorer.state().brush !== null")
    page.page.wait_for_timeout(150)
    settle(page)
    low, high = page.page.evaluate("ablationExplorer.state().brush")[2:]
    last = metrics[(metrics["split"] == "test") & (metrics["epoch"] == max(MILESTONES))]
    means = last.groupby(["dataset", "activation", "optimizer"])["accuracy"].mean()
    scaled = (means - means.min()) / (means.max() - means.min())
    expected = {k for k, v in scaled.items() if low <= v <= high}
    shown = {tuple(r[:3]) for r in rows(page)}
    assert 0 < len(shown) < len(means)
    assert shown == expected
    assert len(drawn_means(page)) > 0  # the chart follows the box
    assert_clean(page)


def rows(page: Page) -> list[list[str]]:
    return page.page.eval_on_selector_all(
        "#explorer-table tbody tr:not([hidden])",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
    )


def test_a_clicked_configuration_shows_its_seeds_curves(study, browser):
    metrics, path = study
    page = open_page(browser, path)
    page.page.click("#explorer-table tbody tr:nth-child(2)")
    wait_until(page, "ablationExplorer.views.curves !== undefined")
    settle(page)
    dataset, activation, optimizer = rows(page)[1][:3]
    mine = metrics[
        (metrics["dataset"] == dataset)
        & (metrics["activation"] == activation)
        & (metrics["optimizer"] == optimizer)
        & metrics["split"].isin(["train", "validation", "test"])
    ]
    curves = pd.DataFrame(page.page.evaluate("ablationExplorer.views.curves.data('curves')"))
    assert sorted(curves["seed"].unique()) == [0, 1]  # every seed
    merged = curves.merge(mine, on=["seed", "epoch", "split"])
    assert len(merged) == len(curves) == len(mine)
    np.testing.assert_allclose(merged["value"], merged["accuracy"], rtol=1e-4)
    assert page.page.inner_text("#explorer-detail-verdict").startswith("Overfitting verdict:")
    assert "best" in page.page.inner_text("#explorer-detail-words")
    cells = page.page.evaluate("ablationExplorer.views.confusion.data('confusion')")
    assert len(cells) == 100
    assert "config=" in page.page.evaluate("location.hash")
    assert_clean(page)


def test_a_shared_link_restores_the_view(study, browser):
    _, path = study
    page = open_page(browser, path)
    page.page.select_option("#explorer-metric", "test_loss")
    page.page.select_option("#explorer-x", "activation")
    page.page.select_option("#explorer-facet", "optimizer")
    page.page.uncheck("#explorer-filters input[data-axis=activation][value=tanh]")
    page.page.check("#explorer-seeds")
    settle(page)
    link = page.page.evaluate("location.hash")
    before = page.page.evaluate("ablationExplorer.views.chart.data('points')")
    other = open_page(browser, path, link)
    assert other.page.evaluate("location.hash") == link
    assert other.page.evaluate("ablationExplorer.views.chart.data('points')") == before
    assert other.page.input_value("#explorer-facet") == "optimizer"
    assert not other.page.is_checked("#explorer-filters input[data-axis=activation][value=tanh]")
    assert other.page.is_hidden("#explorer-note")
    assert_clean(page)
    assert_clean(other)


def test_a_bad_link_shows_the_default_view_with_a_note(study, browser):
    _, path = study
    page = open_page(browser, path, "#explore?colour=gelu_axis&hide.activation=swish")
    note = page.page.inner_text("#explorer-note")
    assert "gelu_axis" in note and "swish" in note and "default view" in note
    assert "\n" not in note.strip()
    assert page.page.input_value("#explorer-colour") == "activation"  # the default
    assert len(drawn_means(page)) == 2 * 3 * len(MILESTONES)
    assert_clean(page)


def test_a_one_run_study_still_gets_an_explorer(browser, tmp_path):
    grid = {"activation": ["relu"], "optimizer": ["adam"], "seed": [0]}
    metrics, confusion = synthetic_study(grid, epochs=3, milestones=(1, 3))
    path = tmp_path / "one.html"
    path.write_text(partial_report(metrics, confusion, {}, sorted(set(metrics["run_id"]))))
    page = open_page(browser, path)
    drawn = drawn_means(page)
    assert drawn["n"].tolist() == [1, 1] and drawn["ci_low"].isna().all()  # no interval
    assert len(rows(page)) == 1
    page.page.click("#explorer-table tbody tr")
    wait_until(page, "ablationExplorer.views.curves !== undefined")
    assert_clean(page)
