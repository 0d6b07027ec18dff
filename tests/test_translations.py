"""The catalogs against the source: every message marked for translation (tr, trn, N_) has its Chinese, with
the same {named} and %-style places; the catalogs read cleanly and agree with each other."""

import importlib.util
import re
from collections import defaultdict
from pathlib import Path

import polib

from builder.core.i18n import LOCALE_FOLDER, placeholders, read_catalogs

ROOT = Path(__file__).resolve().parent.parent
PERCENT = re.compile(r"%(?:\([A-Za-z_]+\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgeExXoc%]")


def script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entries():
    for path in sorted(LOCALE_FOLDER.glob("*/*.po")):
        for entry in polib.pofile(str(path), encoding="utf-8"):
            if not entry.obsolete:
                yield path, entry


def test_every_marked_message_is_translated_into_chinese():
    catalog = read_catalogs(LOCALE_FOLDER / "zh_CN")
    missing = [f"{places[0][0]}:{places[0][1]}: {msgid}" for messages in script("catalog").extracted().values()
               for (msgid, _plural), places in messages.items() if not catalog.has(msgid)]
    assert not missing, "untranslated (run scripts/catalog.py update, then translate):\n" + "\n".join(missing)


def test_translations_keep_the_messages_places():
    wrong = []
    for path, entry in entries():
        for translation in ([entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()):
            if not translation:
                continue
            if placeholders(entry.msgid) != placeholders(translation):
                wrong.append(f"{path.name}: {entry.msgid!r}: {{}} places {sorted(placeholders(entry.msgid))} "
                             f"vs {sorted(placeholders(translation))}")
            if sorted(PERCENT.findall(entry.msgid)) != sorted(PERCENT.findall(translation)):
                wrong.append(f"{path.name}: {entry.msgid!r}: % places differ")
    assert not wrong, "\n".join(wrong)


def test_a_message_in_two_catalogs_is_translated_alike():
    seen = defaultdict(set)
    for _path, entry in entries():
        if entry.msgstr:
            seen[entry.msgid].add(entry.msgstr)
    differing = {msgid: translations for msgid, translations in seen.items() if len(translations) > 1}
    assert not differing, differing


# Sentences that stay English on purpose: developer-only errors (a declaration contradicting itself, code that
# cannot be written), generated code and its comments, the exported script (code), argparse's usage line and the
# version, JSON paths, and a line joining texts translated before.
ENGLISH_ON_PURPOSE = (
    ("builder/blocks/check.py", "\"a use is inferred"), ("builder/blocks/code.py", ""), ("builder/blocks/conv.py", ""),
    ("builder/blocks/params.py", ""), ("builder/blocks/registry.py", ""), ("builder/blocks/spec.py", ""),
    ("builder/cli/__init__.py", ""), ("builder/compile/codegen.py", ""), ("builder/core/i18n.py", ""),
    ("builder/core/project.py", "f'models["), ("builder/core/project.py", "f'{where}.nodes["),
    ("builder/train/data/base.py", "'LoadedData needs"), ("builder/train/script.py", ""),
    ("builder/train/script_template.py", ""), ("builder/train/gan_script_template.py", ""),
    ("builder/train/script_gan.py", ""), ("builder/ui/inside_panel.py", "f'{self.stats.text()}"),
)


def test_no_sentence_reaches_the_user_unmarked():
    untranslated = script("untranslated")
    found = []
    for path in sorted((ROOT / "builder").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for line, text in untranslated.unmarked(path):
            if not any(relative == file and text.startswith(start) for file, start in ENGLISH_ON_PURPOSE):
                found.append(f"{relative}:{line}: {text}")
    assert not found, "mark these with tr() (see docs/translation.md):\n" + "\n".join(found)
