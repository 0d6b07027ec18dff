"""Work off the GUI thread: a function run in a QThread of its own, its result (or the exception it raised)
handed back on the GUI thread. The window never waits for it; closing waits for it to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal


class Job(QThread):
    answered = Signal(object)  # the function's result, or the exception it raised

    def __init__(self, work: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.work = work

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            result = exc
        self.answered.emit(result)


class Jobs(QObject):
    """At most one job at a time per owner, the latest request waiting: asking again while one runs replaces
    what waits (a user stepping through samples wants the last one, not every one)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self._waiting: tuple[Callable[[], Any], Callable[[Any], None]] | None = None

    def run(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        if self.job is not None:
            self._waiting = (work, done)
            return
        job = Job(work, self)
        job.answered.connect(done)
        job.finished.connect(self._next)
        self.job = job
        job.start()

    def _next(self) -> None:
        if self.job is not None:
            self.job.wait()
            self.job.deleteLater()
            self.job = None
        if self._waiting is not None:
            work, done = self._waiting
            self._waiting = None
            self.run(work, done)

    def wait(self) -> None:
        """Closing: what waits is dropped, what runs is finished."""
        self._waiting = None
        if self.job is not None:
            self.job.wait()
