"""The data checked in the background, as soon as a change could change what it says.

What only the data can tell (a folder of unreadable images, 10 classes for a 4-way Output) used to show
only in a dialog after Train. After an edit of the data settings, or of what the trained models take
and give, the data is read in a thread (the same preparation a run makes), and its problems join the
others in Problems, the status bar and the toolbar. Edits in a burst start one check, not one each.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from builder.core.project import Project

DELAY_MS = 600  # after the last edit of a burst (typing a path, the wheel on a number)


class _Reader(QThread):
    done = Signal(object)  # the problems found (one line each), [] when the data fits

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def run(self) -> None:
        from builder.train.setup import SetupError
        from builder.train.start import prepare_run

        try:
            prepare_run(self.project)
        except SetupError as exc:
            self.done.emit(list(exc.problems))
            return
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self.done.emit([f"data.source: {type(exc).__name__}: {exc}"])
            return
        self.done.emit([])


class DataCheck(QObject):
    checked = Signal(object)  # the problems found (one line each), [] when the data fits

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.problems: list[str] = []
        self._key: str | None = None
        self._project: Project | None = None
        self._reader: _Reader | None = None
        self._again = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self._start)

    def request(self, project: Project, key: Any) -> None:
        """Check this project's data unless the last check was made for the same key (what the data check
        depends on: the data settings, the loss, the trained models' Input and Output shapes)."""
        text = json.dumps(key, sort_keys=True, default=str)
        if text == self._key:
            return
        self._key, self.problems = text, []
        self._project = project  # copied when the check starts, not on every edit (a big model takes a while)
        self._timer.start()

    def forget(self) -> None:
        """Nothing to check (the model itself has problems): drop the last result."""
        self._key, self.problems, self._project = None, [], None
        self._timer.stop()

    def _start(self) -> None:
        if self._project is None:
            return
        if self._reader is not None:
            self._again = True  # one more check once this one is done, for the newest project
            return
        self._reader = _Reader(copy.deepcopy(self._project))  # later edits don't reach the running check
        self._reader.done.connect(self._on_done)
        self._reader.finished.connect(self._on_finished)
        self._reader.start()

    def _on_done(self, problems: list[str]) -> None:
        if not self._again:
            self.problems = problems
            self.checked.emit(problems)

    def _on_finished(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.wait()
            reader.deleteLater()
        if self._again:
            self._again = False
            self._start()

    def wait(self) -> None:
        """Join the reading thread (closing the window): it is never terminated."""
        self._timer.stop()
        if self._reader is not None:
            self._reader.wait()
