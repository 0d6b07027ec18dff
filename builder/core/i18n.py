"""Translations for every layer, as napari's `trans` does it: one catalog over the standard library's gettext,
used alike by core, blocks, train, the command line and the window, so a message made in train/ reads the same
in the terminal and in Problems.

    tr("{node} expects {count} input channels", node=node_id, count=3)   # the whole sentence, named values
    trn("{count} problem", "{count} problems", count, count=count)       # a count's plural
    DESCRIPTION = N_("Slides learned filters over an image")             # marked here, tr(DESCRIPTION) where shown

English is the source language: with it, `tr` only fills in the values. The catalogs are gettext .po files
(builder/locale/<language>/*.po, one per part of the app: reviewable in a diff, editable with any PO editor),
read at start. PyTorch names (Conv2d, in_channels, Adam), code, JSON keys and file names stay as they are.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping
from pathlib import Path

ENGLISH = "en"
CHINESE = "zh_CN"
LANGUAGES = {ENGLISH: "English", CHINESE: "简体中文"}  # each in its own words, as a menu lists them
LOCALE_FOLDER = Path(__file__).resolve().parent.parent / "locale"
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^{}]*)?\}(?!\})")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = ENGLISH


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for "mark now, translate where shown"
    return message


def tr(message: str, /, **values: object) -> str:
    """The message in the current language, with `values` filled into its {named} places."""
    text = _translations.gettext(message)
    return text.format(**values) if values else text


def trn(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The form for `n` (Chinese has one form; English two), with `values` filled in."""
    text = _translations.ngettext(singular, plural, n)
    return text.format(**values) if values else text


def language() -> str:
    return _language


def set_language(code: str | None = None) -> str:
    """Use `code` (en or zh_CN; None: the environment's) from now on; returns the language now in use."""
    global _translations, _language
    chosen = normalized(code) if code else language_from_environment()
    _translations = _catalog(chosen) if chosen != ENGLISH else gettext.NullTranslations()
    _language = chosen
    return chosen


def normalized(code: str) -> str:
    """zh_CN, zh-CN, zh_CN.UTF-8, zh, zh_Hans... → zh_CN; anything else → en."""
    lowered = code.strip().lower().replace("-", "_")
    if lowered.startswith("zh") and not lowered.startswith(("zh_tw", "zh_hk", "zh_hant")):
        return CHINESE
    return ENGLISH


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """As gettext decides: the first of LANGUAGE (a colon-separated list), LC_ALL, LC_MESSAGES, LANG that is set;
    C and POSIX mean English."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            first = value.split(":")[0]
            return ENGLISH if first in ("C", "POSIX") or first.startswith("C.") else normalized(first)
    return ENGLISH


class CatalogError(Exception):
    """A catalog file that cannot be read; the message names it."""


class _Catalog(gettext.NullTranslations):
    """gettext's lookups over entries read from .po files; Chinese has one plural form."""

    def __init__(self, entries: dict[str, str], plurals: dict[str, list[str]]) -> None:
        super().__init__()
        self._entries, self._plurals = entries, plurals

    def gettext(self, message: str) -> str:
        return self._entries.get(message) or message

    def has(self, message: str) -> bool:
        """Whether the catalogs translate `message` (a translation may read the same, as "MACs" does)."""
        return message in self._entries or bool(self._plurals.get(message, [""])[0])

    def items(self) -> list[tuple[str, str]]:
        """(message, translation), a plural's first form for it."""
        return [*self._entries.items(), *((k, v[0]) for k, v in self._plurals.items() if v and v[0])]

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._plurals.get(singular)
        if forms and forms[0]:
            return forms[0]
        return singular if n == 1 else plural


_cache: dict[str, _Catalog] = {}


def _catalog(code: str) -> _Catalog:
    if code not in _cache:
        _cache[code] = read_catalogs(LOCALE_FOLDER / code)
    return _cache[code]


def read_catalogs(folder: Path) -> _Catalog:
    """Every .po file in `folder`, as one catalog (entries marked fuzzy are not used: not yet reviewed)."""
    import polib

    entries: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.po")):
        try:
            catalog = polib.pofile(str(path), encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise CatalogError(f"{path}: cannot be read as a PO catalog ({exc})") from None
        for entry in catalog:
            if entry.obsolete or "fuzzy" in entry.flags:
                continue
            if entry.msgid_plural:
                plurals[entry.msgid] = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
            elif entry.msgstr:
                entries[entry.msgid] = entry.msgstr
    return _Catalog(entries, plurals)


def placeholders(text: str) -> set[str]:
    """The {named} places of a message (`{{` and `}}` are literal braces)."""
    return set(PLACEHOLDER.findall(text))
