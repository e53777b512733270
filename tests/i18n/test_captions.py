"""The `snakemake --report` captions in Russian: every English caption has a twin in
``workflow/report/ru/`` that keeps its placeholders and literals and is written in Cyrillic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docutils.core import publish_doctree
from docutils.utils import Reporter

from ablation.axes import AXES

CAPTIONS = Path(__file__).resolve().parents[2] / "workflow" / "report"
ENGLISH = sorted(CAPTIONS.glob("*.rst"))
# What a translation keeps as it is: RST literals (file names), Jinja expressions and
# statements (Snakemake renders captions as templates), RST references.
KEPT = re.compile(r"``[^`]+``|\{\{.*?\}\}|\{%.*?%\}|`[^`]+`_")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Latin words a Russian caption may hold: axis keys (the settings it names), and the
# letter of Student's t-test.
ALLOWED = {*AXES, "t"}


def russian(english: Path) -> Path:
    return CAPTIONS / "ru" / english.name


def test_every_caption_has_a_russian_twin():
    assert len(ENGLISH) == 14
    missing = [p.name for p in ENGLISH if not russian(p).exists()]
    assert not missing, f"add workflow/report/ru/{missing}"
    extra = {p.name for p in (CAPTIONS / "ru").glob("*.rst")} - {p.name for p in ENGLISH}
    assert not extra, f"ru captions without an English original: {extra}"


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_the_twin_keeps_placeholders_and_literals(english):
    text = russian(english).read_text(encoding="utf-8")
    assert sorted(KEPT.findall(text)) == sorted(KEPT.findall(english.read_text()))


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_the_twin_is_written_in_cyrillic(english):
    prose = KEPT.sub(" ", russian(english).read_text(encoding="utf-8"))
    latin = [w for w in LATIN_WORD.findall(prose) if w not in ALLOWED]
    assert not latin, f"English words left: {latin}"
    letters = len(CYRILLIC.findall(prose))
    assert letters > 0.9 * len(re.findall(r"[^\W\d_]", prose))


def structure(text: str) -> list[str]:
    """The RST elements of a caption (paragraphs, literals, ...), and any parser complaint."""
    settings = {"report_level": Reporter.WARNING_LEVEL, "warning_stream": False}
    doctree = publish_doctree(text, settings_overrides=settings)
    return sorted(node.tagname for node in doctree.findall() if node.tagname != "#text")


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_the_twin_has_the_same_rst_structure(english):
    shown = structure(russian(english).read_text(encoding="utf-8"))
    assert "system_message" not in shown
    assert shown == structure(english.read_text())
