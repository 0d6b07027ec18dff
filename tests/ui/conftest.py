"""A main window built the way the app builds it, with its settings and recovery files in tmp_path."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from builder.core.document import Document
from builder.core.templates import EXAMPLE, load_template
from builder.edit.recovery import Autosaver
from builder.ui import theme
from builder.ui.main_window import MainWindow


@pytest.fixture
def make_window(qtbot, qapp, tmp_path):
    theme.apply(qapp)

    def make(project=None, autosave_ms=60_000):
        if project is None:
            project = load_template(EXAMPLE)  # as the app opens it: untitled, so nothing saves over the example
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(Document(project), settings=settings, autosaver=Autosaver(tmp_path / "recovery"),
                            autosave_ms=autosave_ms)
        window.questions = []  # the "save changes?" dialogs it would have shown; answered Discard

        def ask_save_changes():
            window.questions.append(window.document.path)
            return QMessageBox.StandardButton.Discard

        window.ask_save_changes = ask_save_changes
        window.show_error = lambda title, text: pytest.fail(f"unexpected error dialog: {text}")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()
