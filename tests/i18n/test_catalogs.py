"""The languages kept in step: every message the code marks has a Russian translation
that keeps its placeholders and markup, and the catalogs hold no message the code dropped."""

from __future__ import annotations

import re

import pytest

from ablation import catalogs, i18n

LANGUAGES = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE]
PLACEHOLDER = re.compile(r"\{\w*\}|%\(\w+\)[sd]")
TAG = re.compile(r"</?(\w+)")


@pytest.fixture(scope="module")
def source():
    return catalogs.source_messages()


def forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_message_is_translated(source, language):
    have = catalogs.translated(language)
    untranslated = [
        f"{m.locations[0]}: {key[:70]!r}"
        for key, m in source.items()
        if key not in have or have[key].fuzzy or not all(forms(have[key]))
    ]
    assert not untranslated, (
        f"{len(untranslated)} messages lack a {language} translation (run "
        f"scripts/update_catalogs.py, then fill in the msgstr lines):\n" + "\n".join(untranslated)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_hold_no_message_the_code_dropped(source, language):
    stale = sorted(set(catalogs.translated(language)) - set(source))
    assert not stale, f"remove from locale/{language}/*.po: {stale}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language):
    wrong = []
    for key, message in catalogs.translated(language).items():
        want = sorted(PLACEHOLDER.findall(ids(message)[-1]))
        tags = sorted(TAG.findall(key))
        for text in forms(message):
            if text and (
                sorted(PLACEHOLDER.findall(text)) != want or sorted(TAG.findall(text)) != tags
            ):
                wrong.append(f"{key[:60]!r} -> {text[:60]!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_message_reads_the_same_in_every_file(language):
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for path in catalogs.catalog_files(language):
        for message in catalogs.read_catalog(path, language):
            if not message.id:
                continue
            key = ids(message)[0]
            if key in seen and seen[key][1] != message.string:
                clashes.append(f"{key!r}: {seen[key][0]} and {path.name} differ")
            seen[key] = (path.name, message.string)
    assert not clashes, "\n".join(clashes)


def test_russian_counts_take_their_three_forms():
    with i18n.use("ru"):
        words = {
            n: i18n.ngettext("{n} epoch", "{n} epochs", n).format(n=n)
            for n in (1, 2, 5, 11, 21, 22, 25, 101)
        }
    assert words == {
        1: "1 эпоха", 2: "2 эпохи", 5: "5 эпох", 11: "11 эпох",
        21: "21 эпоха", 22: "22 эпохи", 25: "25 эпох", 101: "101 эпоха",
    }  # fmt: skip
    assert i18n.ngettext("{n} epoch", "{n} epochs", 2) == "{n} epochs"  # English outside


def test_an_unknown_language_names_the_available_ones():
    with pytest.raises(ValueError, match="available: en, ru"), i18n.use("fr"):
        pass


@pytest.mark.parametrize(
    "template",
    [
        "{% trans %}Accuracy in %, 100 % at best.{% endtrans %}",
        "{% trans n=3 %}{{ n }} runs, each 97 % or more.{% endtrans %}",
        "{{ _('A share in %%') }}",  # newstyle: a call's literal % is written %%
    ],
)
def test_a_template_text_is_looked_up_as_it_was_extracted(template):
    """A text with a literal % must reach gettext with the msgid the catalogs hold."""
    import io

    from jinja2.ext import babel_extract

    from ablation.report.render import environment

    options = catalogs.OPTIONS["report/templates/**.html"]
    keywords = ("_", "gettext", "ngettext")
    ((*_, extracted, _comments),) = babel_extract(
        io.BytesIO(template.encode()), keywords, [], options
    )
    if isinstance(extracted, tuple):  # a block with variables: (msgid, None)
        extracted = extracted[0]
    asked = []
    env = environment(lambda msg: asked.append(msg) or msg, None)
    env.from_string(template).render()
    assert asked == [extracted]
