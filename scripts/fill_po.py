"""Fill a catalog's empty translations from a JSON file of {msgid: msgstr}.

    python scripts/fill_po.py src/ablation/locale/ru/report.po translations.json

A plural message takes a list of its forms (Russian: one, few, many). Messages already
translated keep their translation unless the JSON names them.
"""

import argparse
import json
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("po", type=Path)
    parser.add_argument("translations", type=Path)
    args = parser.parse_args()
    wanted = json.loads(args.translations.read_text(encoding="utf-8"))
    with args.po.open("rb") as f:
        catalog = read_po(f)
    filled = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in wanted:
            text = wanted[key]
            message.string = tuple(text) if isinstance(text, list) else text
            filled += 1
    with args.po.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False)
    empty = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    print(f"{args.po.name}: {filled} filled, {len(empty)} still empty")
    for key in empty:
        print(f"  {key!r}"[:100])


if __name__ == "__main__":
    main()
