"""Size and speed of the report's Explore section, side by side with the page without it.

    python scripts/bench_explorer.py [--seeds 4] [--epochs 100] [--repeats 5]

For the default 108-run grid and a synthetic 1,024-run study over seven axes (the study
of scripts/bench_analysis_axes.py) it renders the report twice in one process: as today
(the Explore section left out) and with it. It prints both sizes and their ratio, then
opens the page with the Explore section in headless Chromium (/usr/bin/chromium, through
Playwright) and measures

- first paint: milliseconds from the start of navigation until the explorer's chart and
  parallel coordinates are drawn (`ablationExplorer.firstPaintMs`);
- a filter change: milliseconds from unticking (or ticking) one value until everything
  is drawn again (`ablationExplorer.lastRedrawMs`), over `--repeats` changes of
  different axes; median and worst.

Targets (issue 18): the default report at most 1.5x today's size; the 7-axis report
under 10 MB, first paint at most 2 s, a filter change at most 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from unittest import mock

from ablation import plots, steps
from ablation.aggregate import config_summary, run_summary
from ablation.report import render
from ablation.report.figures import FIGURES
from ablation.report.inputs import ReportInputs
from ablation.stats.analyze import analysis_defaults

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the synthetic study
sys.path.insert(0, str(HERE))
from bench_analysis_axes import GRID  # noqa: E402

from synthetic import DEFAULT_GRID, synthetic_study  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGETS = {"ratio": 1.5, "mb": 10.0, "paint_ms": 2000.0, "filter_ms": 300.0}
NO_EXPLORER = {"has_runs": False, "data": "{}", "libraries": []}


def pages(grid: dict, epochs: int) -> tuple[str, str, int]:
    """The report of a synthetic study without and with the Explore section; its runs."""
    metrics, confusion = synthetic_study(grid, epochs=epochs)
    runs = run_summary(metrics)
    aggregates = {"metrics": metrics, "runs": runs, "confusion": confusion}
    made = steps.run_all({**aggregates, "summary": config_summary(runs)}, analysis_defaults())
    figures = {name: plots.figure_bytes(made[name]) for name in FIGURES}
    inputs = ReportInputs(**{k: v for k, v in made.items() if k in ReportInputs.fields()})
    expected = sorted(runs["run_id"])
    with mock.patch.object(render, "explorer_context", return_value=NO_EXPLORER):
        today = render.build_html(inputs, figures, {"analysis": {}}, expected)
    return today, render.build_html(inputs, figures, {"analysis": {}}, expected), len(expected)


def browser_times(html: str, repeats: int) -> tuple[float, list[float]]:
    """First paint (ms) and the redraw times of `repeats` filter changes (ms)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        path = Path(folder) / "summary.html"
        path.write_text(html)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        while not page.evaluate("window.ablationExplorer && ablationExplorer.redraws > 0"):
            page.wait_for_timeout(10)
        paint = page.evaluate("ablationExplorer.firstPaintMs")
        boxes = page.locator("#explorer-filters input[type=checkbox]")
        redraws = []
        for i in range(repeats):
            before = page.evaluate("ablationExplorer.redraws")
            boxes.nth((i * 3) % boxes.count()).click()
            while page.evaluate("ablationExplorer.redraws") == before:
                page.wait_for_timeout(5)
            redraws.append(page.evaluate("ablationExplorer.lastRedrawMs"))
        browser.close()
        if errors:
            raise RuntimeError(f"the page raised: {errors}")
        return paint, redraws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    studies = {
        "default": DEFAULT_GRID,
        "7 axes": {**GRID, "seed": list(range(args.seeds))},
    }
    print(f"{'study':8s} {'runs':>5s} {'today MB':>9s} {'with MB':>8s} {'ratio':>6s} "
          f"{'paint ms':>9s} {'filter ms (median, worst)':>26s}")  # fmt: skip
    results = {}
    for name, grid in studies.items():
        today, with_explorer, n = pages(grid, args.epochs)
        before, after = len(today.encode()) / 1e6, len(with_explorer.encode()) / 1e6
        paint, redraws = browser_times(with_explorer, args.repeats)
        results[name] = (after / before, after, paint, max(redraws))
        print(
            f"{name:8s} {n:5d} {before:9.2f} {after:8.2f} {after / before:6.2f} {paint:9.0f} "
            f"{statistics.median(redraws):17.0f}, {max(redraws):6.0f}"
        )
    ratio = results["default"][0]
    _, mb, paint, worst = results["7 axes"]
    print(
        f"targets: default {ratio:.2f}x today (<= {TARGETS['ratio']}x); 7 axes {mb:.1f} MB "
        f"(< {TARGETS['mb']:g}), first paint {paint:.0f} ms (<= {TARGETS['paint_ms']:g}), "
        f"filter change {worst:.0f} ms worst (<= {TARGETS['filter_ms']:g})"
    )


if __name__ == "__main__":
    main()
