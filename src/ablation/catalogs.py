"""Keeping the translation catalogs in step with the code: which messages the code and the
templates mark, and which of them a language's ``.po`` files lack.

The report reads the catalogs through `ablation.i18n`; this module is for the maintainers'
script (``scripts/update_catalogs.py``) and the tests that keep the languages in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).parent
LOCALE = PACKAGE / "locale"
# Babel's extractors: Python sources, and the Jinja templates with the i18n extension.
METHODS = [
    ("**/vendor/**", "ignore"),
    ("**.py", "python"),
    ("report/templates/**.html", "jinja2.ext:babel_extract"),
]
# As the report's environment reads them: trimmed, newstyle (a literal % is kept as %%).
OPTIONS = {
    "report/templates/**.html": {
        "extensions": "jinja2.ext.i18n",
        "trimmed": "true",
        "newstyle_gettext": "true",
    }
}


HEADER = """\
# Translations of the ablation report into {language}.
# Kept in step with the code by scripts/update_catalogs.py; tests/i18n checks completeness.
#"""


@dataclass(frozen=True)
class Message:
    """One marked text: its English form(s) and where the code marks it."""

    msgid: str | tuple[str, str]  # (singular, plural) for counts
    locations: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.msgid[0] if isinstance(self.msgid, tuple) else self.msgid


def source_messages(paths: Iterable[str] | None = None) -> dict[str, Message]:
    """Every message the package marks, by its msgid; only those found in `paths`
    (relative to the package, e.g. ``plots/``) when given."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, Message] = {}
    for filename, lineno, msgid, _comments, _context in extract_from_dir(
        str(PACKAGE), METHODS, options_map=OPTIONS
    ):
        if paths is not None and not any(filename.startswith(p) for p in paths):
            continue
        message = Message(msgid, (f"{filename}:{lineno}",))
        if message.key in found:
            message = Message(msgid, found[message.key].locations + message.locations)
        found[message.key] = message
    return found


def catalog_files(language: str) -> list[Path]:
    return sorted((LOCALE / language).glob("*.po"))


def read_catalog(path: Path, language: str):
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return read_po(f, locale=language)


def translated(language: str) -> dict[str, object]:
    """The messages of every ``.po`` file of `language`, by msgid (Babel `Message`s)."""
    messages: dict[str, object] = {}
    for path in catalog_files(language):
        for message in read_catalog(path, language):
            if message.id:
                messages[message.id[0] if isinstance(message.id, tuple) else message.id] = message
    return messages


def update(language: str, into: str, paths: Iterable[str] | None = None) -> list[str]:
    """Add the messages of the code that no ``.po`` file of `language` holds to
    ``locale/<language>/<into>``, with an empty translation; returns their msgids."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    have = translated(language)
    target = LOCALE / language / into
    catalog = (
        read_catalog(target, language)
        if target.exists()
        else Catalog(
            locale=language,
            domain="ablation",
            header_comment=HEADER.format(language=language),
            project="ablation",
            version="0.1",
            copyright_holder="the ablation authors",
            msgid_bugs_address="https://github.com/ablation/issues",
            last_translator="the ablation authors",
            language_team=language,
            fuzzy=False,
        )
    )
    added = []
    for key, message in source_messages(paths).items():
        if key not in have:
            locations = [tuple(loc.rsplit(":", 1)) for loc in message.locations]
            catalog.add(message.msgid, "", locations=[(f, int(n)) for f, n in locations])
            added.append(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False)
    return added
