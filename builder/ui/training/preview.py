"""Loading a few samples in the background, as the network will see them, for the data preview."""

from __future__ import annotations

import copy

from PySide6.QtCore import QThread, Signal

from builder.core.project import Project


class PreviewLoader(QThread):
    loaded = Signal(object)  # Predictions with the true labels as outputs
    failed = Signal(list)  # problems, one line each

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = copy.deepcopy(project)

    def run(self) -> None:
        from builder.train.setup import SetupError, preview_data

        try:
            self.loaded.emit(preview_data(self.project))
        except SetupError as exc:
            self.failed.emit(list(exc.problems))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self.failed.emit([f"{type(exc).__name__}: {exc}"])
