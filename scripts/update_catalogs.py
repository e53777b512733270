"""Add the messages the code marks but a language's catalogs lack, with empty translations.

    python scripts/update_catalogs.py                     # every message, into ablation.po
    python scripts/update_catalogs.py --into plots.po plots/

Then fill in the new ``msgstr`` lines of ``src/ablation/locale/<language>/<file>``;
tests/i18n checks that none is left empty.
"""

import argparse

from ablation import catalogs, i18n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="only sources under these (from src/ablation)")
    parser.add_argument("--into", default="ablation.po", help="the .po file to add to")
    args = parser.parse_args()
    for language in i18n.LANGUAGES:
        if language == i18n.SOURCE:
            continue
        added = catalogs.update(language, args.into, args.paths or None)
        print(f"{language}: {len(added)} new messages in locale/{language}/{args.into}")
        for msgid in added:
            print(f"  {msgid[:90]!r}")


if __name__ == "__main__":
    main()
