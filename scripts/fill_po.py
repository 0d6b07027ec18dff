"""Fill translations into a catalog from a JSON object {message: translation}:
`python scripts/fill_po.py builder/locale/zh_CN/AREA.po translations.json`.

A convenience for translating many messages at once; the .po file stays the source of truth (one message per
line, as scripts/catalog.py writes it). Messages not in the catalog are reported, not added: run
scripts/catalog.py update first."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import polib

    path, source = argv
    catalog = polib.pofile(path, encoding="utf-8", wrapwidth=0)
    catalog.wrapwidth = 0
    given = json.loads(Path(source).read_text(encoding="utf-8"))
    entries = {e.msgid: e for e in catalog}
    unknown = [m for m in given if m not in entries]
    for message, translation in given.items():
        entry = entries.get(message)
        if entry is None:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: translation}
        else:
            entry.msgstr = translation
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.save(path)
    for message in unknown:
        print(f"not in {path}: {message}", file=sys.stderr)
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
