"""The window's language: chosen at start (--lang, else View → Language as remembered, else the system's locale),
applied to our catalogs (builder.core.i18n) and to Qt's own dialogs and buttons (Qt's shipped qtbase
translations); View → Language remembers a new choice and offers to start again in it, since every text of the
window is made in its language when the window is built."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtGui import QAction, QActionGroup, QFontDatabase
from PySide6.QtWidgets import QApplication

from builder.core.i18n import CHINESE, LANGUAGES, language, language_from_environment, normalized, set_language, tr

SETTING = "language"
CJK_PACKAGE = "fonts-noto-cjk"
_qt_translators: list[QTranslator] = []  # kept alive while installed


def chosen_language(settings: QSettings, requested: str | None = None) -> str:
    """--lang, else the language chosen in the window before, else the system's."""
    if requested:
        return normalized(requested)
    remembered = settings.value(SETTING, "")
    return normalized(str(remembered)) if remembered else language_from_environment()


def apply_language(app: QApplication, code: str) -> str | None:
    """Use `code` for our messages and Qt's; returns a warning when Chinese is chosen but no font can show it."""
    code = set_language(code)
    for translator in _qt_translators:
        app.removeTranslator(translator)
    _qt_translators.clear()
    if code == CHINESE:
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in ("qtbase", "qt"):
            translator = QTranslator(app)
            if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), name, "_", folder):
                app.installTranslator(translator)
                _qt_translators.append(translator)
                break
        if not has_cjk_font():
            return tr("Chinese text needs a CJK font and none is installed, so characters may show as boxes. "
                      "On Debian or Ubuntu: sudo apt-get install {package}", package=CJK_PACKAGE)
    return None


def has_cjk_font() -> bool:
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def install_language_menu(window: Any) -> None:
    """View → Language: one checkable entry per language, each in its own words."""
    menu = window.menu("view").addMenu(tr("&Language"))
    group = QActionGroup(window)
    window.language_actions = {}
    for code, name in LANGUAGES.items():
        action = QAction(name, window, checkable=True)
        action.setChecked(code == language())
        action.triggered.connect(lambda _checked=False, code=code: choose(window, code))
        group.addAction(action)
        menu.addAction(action)
        window.language_actions[code] = action


def choose(window: Any, code: str) -> None:
    """Remember `code` for the next start, and offer to start again in it now (asked in the language chosen, so
    that whoever chose it can read the question)."""
    window.settings.setValue(SETTING, code)
    if code == language():
        return
    question = with_language(code, lambda: tr(
        "NN Builder will use this language when it next starts. Start again now? (You are asked to save first.)"))
    if window.dialogs.yes_no(question, default=True):
        window.restart()


def with_language(code: str, make: Any) -> Any:
    """What `make()` returns with `code` in use for a moment (a message in the language just chosen)."""
    before = language()
    set_language(code)
    try:
        return make()
    finally:
        set_language(before)
