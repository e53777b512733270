"""The report's languages: gettext catalogs, the active language, numbers as a locale writes them.

Messages are marked in the code with `_` (and `ngettext` for counts, `N_` for texts kept in
tables that are translated where they are shown) and in the templates with Jinja's i18n
extension. Translations live in ``locale/<language>/*.po`` beside this module, one file
per area of the code, merged into one catalog when first used; nothing is compiled into
the repository. The language is a context (`use`) rather than an argument, so that every
sentence-making function below the report reads it without threading it through.

English is the source language: with ``en`` every message is its own translation.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources

LANGUAGES = ("en", "ru")
SOURCE = "en"
THIN_SPACE = "\u202f"  # narrow no-break space: Russian groups thousands with it
NO_BREAK_SPACE = "\u00a0"

_active: ContextVar[str] = ContextVar("language", default=SOURCE)


@contextmanager
def use(language: str) -> Iterator[None]:
    """Make `language` the one every `_` and number below reads, within the block."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown report language {language!r}; available: {', '.join(LANGUAGES)}")
    token = _active.set(language)
    try:
        yield
    finally:
        _active.reset(token)


def current() -> str:
    return _active.get()


@cache
def catalog(language: str):
    """The merged translations of `language` (Babel), read from its ``.po`` files once."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    if language == SOURCE:
        return NullTranslations()
    merged = None
    folder = resources.files("ablation") / "locale" / language
    for po in sorted(folder.iterdir(), key=lambda p: p.name):
        if not po.name.endswith(".po"):
            continue
        with po.open("rb") as f:
            messages = read_po(f, locale=language)
        mo = io.BytesIO()
        write_mo(mo, messages)  # fuzzy entries are left out, as gettext does
        mo.seek(0)
        part = Translations(mo)
        merged = part if merged is None else merged.merge(part)
    return merged or NullTranslations()


def _(message: str) -> str:
    """`message` in the active language."""
    return catalog(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a count in the active language (Russian has three: 1 запуск, 2 запуска,
    5 запусков); the text may hold ``%(n)s`` or ``{n}`` for the caller to fill."""
    return catalog(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalogs only: it is translated where it is shown."""
    return message


def number(text: str) -> str:
    """A number written the English way (``-1,234.5``) as the active language writes it:
    in Russian a decimal comma and thin-space thousands (``-1 234,5``)."""
    if current() == SOURCE:
        return text
    return text.replace(",", THIN_SPACE).replace(".", ",")


def percent(text: str) -> str:
    """A number written the English way, as a percentage: ``97.3%``, in Russian ``97,3 %``."""
    return number(text) + percent_sign()


def percent_sign() -> str:
    """The percent sign and the space before it that the active language writes."""
    return "%" if current() == SOURCE else NO_BREAK_SPACE + "%"
