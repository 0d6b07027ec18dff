"""PyTorch in the background: the window opens without it, and what needs it waits for it, saying so.

`import torch` takes about two seconds, more than the rest of the start together. The editor, the check and
Problems need none of it; training, the code view (the generator knows nn.Module's own names) and the import
of PyTorch code do. In the background, `start()` imports those parts' modules on a plain thread (the app calls
it once the window has painted), and `when_loaded` runs an action at once when nothing is loading, or keeps it
until the import is done. Without the background, nothing waits: the first use imports, as a script would.

While the thread imports a module, the main thread must not import it too: Python's import lock would hold it
until the whole import is done, the freeze this is here to avoid. So a path that needs torch asks
`when_loaded` first.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from builder.core.i18n import tr

# What the window's torch parts import: the code generator, the training part, the import of PyTorch code.
MODULES = ("torch", "builder.compile", "builder.ui.training.ui", "builder.ui.import_ui")

WAITING, LOADING, LOADED, FAILED = "waiting", "loading", "loaded", "failed"


class TorchLoader(QObject):
    loaded = Signal()  # on the main thread, after the actions kept by when_loaded have run
    failed = Signal(str)  # the import's error, in one line
    _done = Signal()  # from the thread; queued to the main thread

    def __init__(self, background: bool = False, modules: tuple[str, ...] = MODULES,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.modules = modules
        imported = all(name in sys.modules for name in modules)  # a window opened before this one loaded them
        self.state = WAITING if background and not imported else LOADED
        self.error = ""  # why the import failed, once it has
        self._waiting: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._done.connect(self._finish, Qt.ConnectionType.QueuedConnection)

    @property
    def ready(self) -> bool:
        return self.state == LOADED

    def why_waiting(self) -> str:
        """What a part that needs torch says meanwhile."""
        if self.state == FAILED:
            return tr("PyTorch could not be loaded ({error}): training and the code need it", error=self.error)
        return tr("Loading PyTorch…")

    def start(self) -> None:
        """Import the modules on a thread; once only."""
        if self.state != WAITING:
            return
        self.state = LOADING
        self._thread = threading.Thread(target=self._import, name="load-torch", daemon=True)
        self._thread.start()

    def when_loaded(self, action: Callable[[], None]) -> bool:
        """Run `action` now (True) or once the import is done (False: the caller says it is waiting).
        An action kept already is kept once; after a failed import nothing runs (False)."""
        if self.state == LOADED:
            action()
            return True
        if self.state != FAILED and action not in self._waiting:
            self._waiting.append(action)
        return False

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread (tests, and a window closing while it imports)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _import(self) -> None:
        try:
            for name in self.modules:
                __import__(name)
        except Exception as exc:  # a broken install: the window stays, editing works, and says why  # noqa: BLE001
            self.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        with contextlib.suppress(RuntimeError):  # the window, and this loader with it, closed meanwhile
            self._done.emit()

    @Slot()
    def _finish(self) -> None:
        if self.state != LOADING:
            return
        if self.error:
            self.state = FAILED
            self._waiting.clear()
            self.failed.emit(self.error)
            return
        self.state = LOADED
        waiting, self._waiting = self._waiting, []
        for action in waiting:
            action()
        self.loaded.emit()
