"""A main window built the way the app builds it, with its settings and recovery files in tmp_path, and its
dialogs replaced by a scripted stand-in that records what would have been shown."""

import gc

import pytest
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from builder.core.document import Document
from builder.core.templates import EXAMPLE, load_template
from builder.edit.recovery import Autosaver
from builder.ui import theme
from builder.ui.dialogs import DISCARD
from builder.ui.main_window import MainWindow


class ScriptedDialogs:
    """Answers instead of a person: set `answers` (by method name) or `files` (paths to hand out, in order).
    Errors are recorded in `errors` as (title, text); a test that expects none asserts `errors == []`."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.asked: list[tuple[str, str]] = []  # (method, what it asked)
        self.answers: dict[str, object] = {"save_changes": DISCARD, "yes_no": True, "text": None}
        self.files: list[str] = []

    def error(self, title, text, details=""):
        self.errors.append((title, text))

    def info(self, title, text):
        self.asked.append(("info", text))

    def save_changes(self, name):
        self.asked.append(("save_changes", name))
        return self._answer("save_changes")

    def yes_no(self, text, default=True):
        self.asked.append(("yes_no", text))
        return self._answer("yes_no")

    def text(self, title, label, value):
        self.asked.append(("text", title))
        return self._answer("text")

    def open_file(self, title, folder, pattern):
        return self._file(title)

    def save_file(self, title, suggested, pattern):
        return self._file(title, suggested)

    def folder(self, title, folder):
        return self._file(title)

    def import_choice(self, source, classes):
        self.asked.append(("import_choice", f"{source.name}: {', '.join(classes)}"))
        answer = self.answers.get("import_choice")
        return answer(source, classes) if callable(answer) else answer

    def _answer(self, name):
        answer = self.answers[name]
        return answer() if callable(answer) else answer

    def _file(self, title, suggested=None):
        self.asked.append(("file", title))
        if not self.files:
            return ""
        chosen = self.files.pop(0)
        return chosen(suggested) if callable(chosen) else str(chosen)


@pytest.fixture(autouse=True)
def no_leaked_widgets(qapp, request):
    """Fail a test that leaves top-level widgets alive once pytest-qt has closed and deleted its own (as
    napari does): a leaked window keeps its timers, threads and document running into the next tests.
    This fixture is set up first, so it is torn down last: the test's other fixtures are gone by then,
    and dropping the test's arguments too lets Python free what they alone held (pyqtgraph's menus)."""
    before = set(QApplication.topLevelWidgets())
    yield
    if getattr(request.node, "failed_call", False):
        return  # a failure's traceback holds the test's widgets: that is not a leak worth a second report
    request.node.funcargs.clear()
    _delete_later_now()
    leaked = [w for w in QApplication.topLevelWidgets() if w not in before]
    for widget in leaked:
        widget.close()
        widget.deleteLater()
    _delete_later_now()
    # What outlives a full collection here lives for the session (torch's and Qt's modules, caches): frozen, the
    # next tests' collections skip it. Each collection walked the whole heap, 0.17 s with torch loaded: two per
    # test made about a third of the suite's time.
    gc.freeze()
    assert not leaked, f"the test left top-level widgets alive: {[type(w).__name__ for w in leaked]}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report


def _delete_later_now() -> None:
    """deleteLater() is carried out by an event loop, so run one briefly (processEvents does not do it)."""
    for _ in range(2):
        loop = QEventLoop()
        QTimer.singleShot(0, loop.quit)
        loop.exec()
        gc.collect()


@pytest.fixture
def make_window(qtbot, qapp, tmp_path):
    theme.apply(qapp)

    def make(project=None, autosave_ms=60_000, shown=True, **options):
        if project is None:
            project = load_template(EXAMPLE)  # as the app opens it: untitled, so nothing saves over the example
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(Document(project), settings=settings, autosaver=Autosaver(tmp_path / "recovery"),
                            autosave_ms=autosave_ms, **options)
        window.dialogs = ScriptedDialogs()
        qtbot.addWidget(window)
        if shown:
            window.show()
            qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()
