"""The tiny study's report in Russian, through the real workflow and in Chromium.

Switching `report.language` to `ru` on a finished study redraws the figures and the
report only (nothing trains, nothing is reanalysed); the page then holds no English
sentence outside code names (axis keys, levels, file names), in its HTML and in what the
browser shows once its scripts ran, and renders its Cyrillic without overflowing.
"""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ablation import steps
from browser_helpers import Page, assert_every_figure_drawn, chromium  # noqa: F401 (fixture)
from conftest import REPO, TINY_STUDY, WORKFLOW_FILES, planned_jobs, snakemake, write_config

pytestmark = [pytest.mark.workflow]

ARTIFACTS = REPO / "test-artifacts"
RUSSIAN = {**TINY_STUDY, "report": {"language": "ru"}}
# Names a Russian text keeps as they are: datasets, units of software and formats, and
# the study's own axis keys and levels (added from the config below).
CODE_NAMES = {
    "mnist", "fashion-mnist", "kmnist", "cpu", "gpu", "png", "svg", "csv", "json", "parquet",
    "sha", "python", "pytorch", "torch", "torchvision", "snakemake", "slurm", "cuda", "html",
    "ablation", "relu", "tanh", "gelu", "sigmoid", "adam", "adamw", "sgd", "rmsprop", "git",
    "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "vega", "vega-lite",
    "yaml", "pip", "id", "tost", "mcb", "pp",
    # statistical notation: sample size, p-value, F statistic, sums of squares of type II
    "n", "p", "f", "ii",
}  # fmt: skip
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
QUOTED_CODE = re.compile(r"`[^`]*`")
CODE_TOKEN = re.compile(r"[_=/\\.:@#]\w|\w[_=/\\.]|^\w+\(")  # file names, keys, paths, calls


def allowed_names(study: dict) -> set[str]:
    names = set(CODE_NAMES)
    for key, levels in study["grid"].items():
        names |= {key.lower(), *(str(v).lower() for v in levels)}
    return names


def english_words(text: str, allowed: set[str]) -> list[str]:
    """Latin-letter words of `text` that are not code names, with a little context."""
    found = []
    text = QUOTED_CODE.sub(" ", text)  # `ablation seeds-overlay -o ...`: a command to type
    for token in text.split():
        if CODE_TOKEN.search(token):
            continue
        for word in LATIN_WORD.findall(token):
            if word.lower().strip("'’-") not in allowed:
                found.append(word)
    return found


class VisibleText(HTMLParser):
    """The text a reader meets in an HTML page: its text nodes outside scripts, styles and
    code, and the texts of its title, alt, aria-label and placeholder attributes."""

    SKIP = {"script", "style", "code", "kbd", "pre"}
    SHOWN = {"title", "alt", "aria-label", "placeholder"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        self.parts += [value for name, value in attrs if name in self.SHOWN and value]

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


# The text Chromium displays, outside code (config dumps, hashes, commands): what the
# reader meets once the scripts have filled the page.
SHOWN_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    if (el && !el.closest('script, style, code, kbd, pre') && el.checkVisibility()) {
      out.push(node.data);
    }
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], img[alt]')) {
    out.push(...['title', 'aria-label', 'placeholder', 'alt'].map(a => el.getAttribute(a) || ''));
  }
  return out.join(' ');
}"""


@pytest.fixture(scope="module")
def russian(tiny_study, tmp_path_factory) -> tuple[Path, dict]:
    """A copy of the finished tiny study (hard links: Snakemake replaces, never edits, its
    outputs) switched to Russian; returns its folder and the dry run's jobs."""
    workdir = tmp_path_factory.mktemp("russian")
    for name in WORKFLOW_FILES:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, workdir / name)
    for name in ("results", "reports", "logs", "benchmarks"):
        if (tiny_study / name).exists():
            shutil.copytree(tiny_study / name, workdir / name, copy_function=os.link)
    shutil.copytree(tiny_study / ".snakemake/metadata", workdir / ".snakemake/metadata")
    config = write_config(workdir, RUSSIAN)
    jobs = planned_jobs(workdir, config)
    snakemake(workdir, "--configfile", str(config))
    return workdir, jobs


def test_a_new_language_redraws_only_the_figures_and_the_report(russian):
    _, jobs = russian
    figures = {s.name for s in steps.STEPS if s.draws}
    assert set(jobs) - {"runs", "all"} == figures | {"render_report"} and not jobs.get("runs")


def test_the_russian_report_holds_no_english_sentence(russian):
    workdir, _ = russian
    html = (workdir / "reports" / "summary.html").read_text()
    assert '<html lang="ru">' in html
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    words = english_words(text, allowed_names(RUSSIAN))
    assert not words, f"{len(words)} English words, e.g. {sorted(set(words))[:40]}"
    assert len(re.findall(r"[А-Яа-яЁё]+", text)) > 1000  # it is in Russian, and whole
    for phrase in ("Переобучение", "функция потерь", "точность", "эпох"):
        assert phrase.lower() in text.lower(), phrase


@pytest.mark.browser
def test_the_russian_report_renders_in_chromium(russian, browser):
    workdir, _ = russian
    report = Page(browser, workdir / "reports" / "summary.html")
    try:
        assert report.errors() == [] and report.requests == [report.url]
        assert_every_figure_drawn(report.page)
        shown = report.page.evaluate(SHOWN_TEXT)  # after the scripts filled the explorer
        words = english_words(shown, allowed_names(RUSSIAN))
        assert not words, f"{len(words)} English words on screen, e.g. {sorted(set(words))[:40]}"
        # Cyrillic drawn by a real font, and nothing wider than the page
        assert report.page.evaluate("document.fonts.check('16px sans-serif', 'Переобучение')")
        overflow = report.page.evaluate(
            """() => [...document.querySelectorAll('h1, h2, h3, p, th, li, label, button')]
                 .filter(e => e.offsetParent && !e.closest('.table-wrap, .scroll')
                              && e.scrollWidth > e.clientWidth + 1)
                 .map(e => e.tagName + ': ' + e.textContent.slice(0, 60))"""
        )
        assert overflow == []
        width = report.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, "the page scrolls sideways"
        ARTIFACTS.mkdir(exist_ok=True)
        report.page.screenshot(path=str(ARTIFACTS / "report-ru.png"), full_page=False)
    finally:
        report.page.close()
