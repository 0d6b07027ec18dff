"""The app, started as `python -m builder PROJECT` starts it, acting from inside for test_crash_recovery.py:

    python crash_driver.py edit PROJECT      edit, let the autosave timer save, edit once more, then wait to be killed
    python crash_driver.py recover PROJECT   start again after the crash, answer yes to the recovery question,
                                             report what came back, close the window discarding it

A test cannot click in another process, so this script stands in for the person: it answers the window's
dialogs (the seam builder/ui/dialogs.py keeps for tests) and, once the event loop runs, edits through
window.editor. Everything else is the app's own start-up, builder.launcher.main. Each step is reported as one
JSON line on stdout.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from builder.launcher import main
from builder.ui.dialogs import DISCARD, Dialogs
from builder.ui.main_window import MainWindow

MODEL = "ShapesNet"  # the example template's model, which the test saves as the project
SHORT_MS = 100  # the autosave interval while waiting for the timer's save

asked: list[str] = []


def report(step: str, **facts) -> None:
    print(json.dumps({"step": step, **facts}), flush=True)


# -- the person at the window ------------------------------------------------------------------------------


def answer_yes(_dialogs, text: str, default: bool = True) -> bool:
    asked.append(text)
    return True


def discard_changes(_dialogs, name: str) -> str:
    asked.append(f"save changes to {name}?")
    return DISCARD


def show_error(_dialogs, title: str, text: str, details: str = "") -> None:
    report("error", title=title, text=text)  # a modal box would wait for ever for a click


# -- what the driver does once the window runs -------------------------------------------------------------


def the_window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))


def params(window: MainWindow) -> dict:
    model = window.document.model(MODEL)
    return {"out_channels": model.node("conv1").params.get("out_channels"),
            "bias": model.node("fc").params.get("bias", True)}


def edit() -> None:
    window = the_window()
    timer = window._autosave
    report("started", interval=timer.interval(), active=timer.isActive(), folder=str(window.autosaver.folder),
           pid=os.getpid())
    timer.setInterval(SHORT_MS)  # the minute, shortened: the app's own timer makes the save
    window.editor.set_param("conv1", "out_channels", 32)
    wait_for_autosave(window)


def wait_for_autosave(window: MainWindow) -> None:
    if not window.autosaver.file.is_file():
        QTimer.singleShot(20, lambda: wait_for_autosave(window))
        return
    window._autosave.setInterval(60_000)  # a minute again: the next edit is not autosaved before the kill
    window.editor.set_param("fc", "bias", False)
    report("autosaved", file=str(window.autosaver.file), **params(window))


def recover() -> None:
    """run_app has offered the recovery (answered yes) before the event loop started."""
    window = the_window()
    folder = window.autosaver.folder
    report("recovered", asked=asked, path=str(window.document.path), dirty=window.document.dirty,
           modified=window.isWindowModified(), session=window.autosaver.session, files=sorted(os.listdir(folder)),
           **params(window))
    window.close()  # the recovered work is unsaved: the window asks, and is told to discard it
    report("closed", closed=not window.isVisible(), asked=asked, files=sorted(os.listdir(folder)))
    QApplication.quit()


if __name__ == "__main__":
    mode, project = sys.argv[1], sys.argv[2]
    Dialogs.yes_no, Dialogs.save_changes, Dialogs.error = answer_yes, discard_changes, show_error
    app = QApplication(sys.argv[:1])  # run_app takes the running instance; the timer below needs it first
    QTimer.singleShot(0, {"edit": edit, "recover": recover}[mode])  # runs once app.exec() has started
    sys.exit(main([project]))
