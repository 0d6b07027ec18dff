"""Keep the translation catalogs in step with the source:
`python scripts/catalog.py [update|check] [LANGUAGE] [--area AREA ...]`.

Messages are found by Babel's extractor (calls to tr, trn and N_), each file's in the catalog of its part of
the app (AREAS: builder/locale/<language>/<area>.po). `update` adds the new messages to their catalogs with an
empty translation, refreshes their file:line references, and marks messages no longer in the source obsolete
(kept at the end, so a translation is not lost when a message comes back); `check` lists what is untranslated.
Translators edit the .po files (any PO editor, or by hand: UTF-8 text) and review them in a diff.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "builder" / "locale"
KEYWORDS = {"tr": None, "trn": (1, 2), "N_": None}
# A file's messages go to the catalog of the longest matching prefix.
AREAS = {
    "builder/core": "core", "builder/edit": "core", "builder/compile": "core", "builder/launcher.py": "cli",
    "builder/blocks": "blocks",
    "builder/train": "train", "builder/train/data": "data",
    "builder/importer": "importer",
    "builder/cli": "cli",
    "builder/ui": "ui", "builder/ui/training": "training_ui", "builder/ui/inside_panel.py": "training_ui",
    "builder/ui/inside_ui.py": "training_ui", "builder/ui/try_panel.py": "training_ui",
    "builder/ui/try_ui.py": "training_ui", "builder/ui/job.py": "training_ui",
}
HEADER = {
    "Project-Id-Version": "NN Builder", "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit", "Plural-Forms": "nplurals=1; plural=0;",
}


def area_of(relative: str) -> str:
    matches = [prefix for prefix in AREAS if relative == prefix or relative.startswith(prefix.rstrip("/") + "/")]
    return AREAS[max(matches, key=len)] if matches else "core"


def extracted() -> dict[str, dict[tuple[str, str | None], list[tuple[str, int]]]]:
    """area -> (msgid, msgid_plural) -> [(file, line), ...], from every source file under builder/."""
    from babel.messages.extract import extract_from_file

    found: dict[str, dict[tuple[str, str | None], list[tuple[str, int]]]] = defaultdict(dict)
    for path in sorted((ROOT / "builder").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        area = area_of(relative)
        for line, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            if not message:
                continue  # tr(variable): the variable's text was marked where it was written
            key = (message, None) if isinstance(message, str) else (message[0], message[1])
            if not key[0]:
                continue
            found[area].setdefault(key, []).append((relative, line))
    return found


def catalog_path(language: str, area: str) -> Path:
    return LOCALE / language / f"{area}.po"


def update(language: str, areas: list[str] | None = None) -> list[str]:
    """Bring the catalogs of `language` in step (those of `areas`, default all); returns the untranslated
    messages, as `area: message`."""
    import polib

    missing = []
    found = extracted()
    for area in areas or sorted(set(AREAS.values())):
        path = catalog_path(language, area)
        catalog = polib.pofile(str(path), encoding="utf-8") if path.is_file() else polib.POFile(encoding="utf-8")
        catalog.metadata = {**HEADER, "Language": language, **{k: v for k, v in catalog.metadata.items()
                                                               if k not in HEADER and k != "Language"}}
        catalog.wrapwidth = 0  # one line per message: diffs show whole messages
        entries = {(e.msgid, e.msgid_plural or None): e for e in catalog}
        messages = found.get(area, {})
        for key, places in messages.items():
            entry = entries.get(key)
            if entry is None:
                entry = polib.POEntry(msgid=key[0], msgstr="")
                if key[1]:
                    entry.msgid_plural, entry.msgstr_plural = key[1], {0: ""}
                catalog.append(entry)
            entry.obsolete = False
            entry.occurrences = [(file, str(line)) for file, line in places]
            if "{" in key[0] and "python-brace-format" not in entry.flags:
                entry.flags.append("python-brace-format")
        for key, entry in entries.items():
            if key not in messages:
                entry.obsolete = True
        if not len(catalog):
            continue
        catalog.sort(key=lambda e: (e.obsolete, e.occurrences[0] if e.occurrences else ("~", "0")))
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog.save(str(path))
        missing += [f"{area}: {e.msgid}" for e in catalog.untranslated_entries() if not e.obsolete]
    return missing


def main(argv: list[str]) -> int:
    areas = argv[argv.index("--area") + 1:] if "--area" in argv else None
    argv = argv[:argv.index("--area")] if "--area" in argv else argv
    command = argv[0] if argv else "update"
    language = argv[1] if len(argv) > 1 else "zh_CN"
    unknown = sorted(set(areas or []) - set(AREAS.values()))
    if command not in ("update", "check") or unknown:
        print(__doc__ + (f"\nunknown area(s): {unknown}; the areas: {sorted(set(AREAS.values()))}" if unknown else ""),
              file=sys.stderr)
        return 2
    if command == "update":
        missing = update(language, areas)
    else:
        from builder.core.i18n import read_catalogs

        catalog = read_catalogs(LOCALE / language)
        missing = [f"{area}: {msgid}" for area, messages in extracted().items() for (msgid, _plural) in messages
                   if not catalog.has(msgid) and (areas is None or area in areas)]
    for line in missing:
        print(line)
    print(f"{len(missing)} untranslated message{'s' * (len(missing) != 1)} ({language})", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
