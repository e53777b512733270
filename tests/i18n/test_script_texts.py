"""The texts the page's scripts show come from Python's dictionaries (JavaScript cannot
call gettext): every key a script reads is in its dictionary, none is left over, and in
Russian every one is translated, keeps its placeholders and holds no English word."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from ablation import i18n
from ablation.report.script_texts import explorer_texts, table_texts

TEMPLATES = resources.files("ablation.report") / "templates"
# T.key and t("key", ...) in a script; T.number.decimal reads the key `number`
USE = re.compile(r"\bT\.(\w+)|\bt\(\"(\w+)\"")
PLACEHOLDER = re.compile(r"\{\w+\}")
LATIN = re.compile(r"[A-Za-z]")
STRUCTURES = {"number", "locale", "words"}  # not texts: number marks, Vega's locale, states

SCRIPTS = [("explorer.js", explorer_texts), ("report.js", table_texts)]


def used_keys(script: str) -> set[str]:
    code = (TEMPLATES / script).read_text("utf-8")
    return {a or b for a, b in USE.findall(code)}


def texts(make, language: str) -> dict[str, str]:
    with i18n.use(language):
        return {k: v for k, v in make().items() if k not in STRUCTURES}


@pytest.mark.parametrize(("script", "make"), SCRIPTS)
def test_every_key_a_script_reads_is_in_its_dictionary_and_no_other(script, make):
    used, given = used_keys(script), set(make())
    assert used - given == set(), f"{script} reads keys its dictionary lacks"
    assert given - used == set(), f"{script}'s dictionary has keys it never reads"


@pytest.mark.parametrize(("script", "make"), SCRIPTS)
def test_in_russian_no_text_of_a_script_is_left_in_english(script, make):
    english, russian = texts(make, "en"), texts(make, "ru")
    untranslated = [k for k in english if russian[k] == english[k]]
    assert not untranslated, f"{script}: {untranslated}"
    for key, text in russian.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english[key])), key
        assert not LATIN.search(PLACEHOLDER.sub("", text)), f"{key}: {text!r}"


def test_the_explorer_shows_state_words_and_numbers_in_russian():
    with i18n.use("ru"):
        made = explorer_texts()
    assert not [text for text in made["words"].values() if LATIN.search(text)]
    assert made["number"] == {"decimal": ",", "group": "\u202f", "percent": "\u00a0%"}
    assert made["locale"]["decimal"] == "," and made["locale"]["percent"] == "\u00a0%"
    with i18n.use("en"):
        english = explorer_texts()
    assert english["locale"] is None  # Vega's own English formats, as before
    assert english["words"]["good fit"] == "good fit"


def test_the_tables_script_falls_back_to_its_english_texts():
    """report.js carries the English texts for a page without the dictionary."""
    code = (TEMPLATES / "report.js").read_text("utf-8")
    with i18n.use("en"):
        for text in table_texts().values():
            assert f'"{text}"' in code
