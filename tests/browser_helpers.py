"""Headless Chromium for the report tests: the browser fixture and a recorded page.

The figures a page should show follow from the figure registry
(`ablation.report.figures.FIGURES`): every figure of each section the page has.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ablation.report.figures import FIGURES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module", name="browser")
def chromium():
    """Headless Chromium through Playwright (Debian's binary, no downloaded browsers)."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"Chromium not found at {CHROMIUM}: run `bash .ci/install-system.sh` as root"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is missing: pip install -e '.[test]'"
    if problem:
        # As root the CI installs Chromium itself, so its absence there is a failure.
        if os.geteuid() == 0:
            pytest.fail(problem)
        pytest.skip(problem)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Page:
    """A report opened in a fresh page, with every console message and request recorded."""

    def __init__(self, browser, path: Path):
        self.url = path.resolve().as_uri()
        self.page = browser.new_page(viewport={"width": 1366, "height": 900})
        self.console, self.requests = [], []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(self.url, wait_until="load")

    def errors(self) -> list:
        return [m for m in self.console if m[0] in ("error", "pageerror", "warning")]

    def visible_rows(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#leaderboard-table tbody tr:not([hidden])",
            "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
        )

    def column(self, header: str) -> list[str]:
        index = self.page.eval_on_selector_all(
            "#leaderboard-table thead th",
            "(ths, h) => ths.findIndex(t => t.textContent.startsWith(h))",
            header,
        )
        return self.page.eval_on_selector_all(
            "#leaderboard-table tbody tr:not([hidden])",
            "(rows, i) => rows.map(r => r.cells[i].getAttribute('data-sort'))",
            index,
        )


def expected_figures(page) -> list[str]:
    """The registry's figures whose section the page shows, in registry order."""
    return [n for n, info in FIGURES.items() if page.locator(f"section#{info.section}").count()]


def shown_figures(page) -> dict[str, list]:
    """Every figure on the page by name: [naturalWidth, loaded, alt text, data-URI prefix]."""
    return dict(
        page.eval_on_selector_all(
            "figure[id^=figure-]",
            """figs => figs.map(f => { const i = f.querySelector('img'); return [
                f.id.slice(7), [i.naturalWidth, i.complete, i.alt, i.src.slice(0, 22)]]; })""",
        )
    )


def assert_every_figure_drawn(page) -> None:
    """Each section's figures are images that loaded, with alt text, inlined as PNG data."""
    shown = shown_figures(page)
    assert sorted(shown) == sorted(expected_figures(page))
    assert page.locator("img").count() == len(shown)
    for name, (width, done, alt, src) in shown.items():
        assert width > 0 and done and alt, name
        assert src == "data:image/png;base64,", name
