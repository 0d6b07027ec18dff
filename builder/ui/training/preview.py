"""Loading a few samples in the background, as the network will see them, for the data preview."""

from __future__ import annotations

import copy

from PySide6.QtCore import QThread, Signal

from builder.core.project import Project
from builder.ui.training.worker import PREVIEW_SAMPLES, Predictions


class PreviewLoader(QThread):
    loaded = Signal(object)  # Predictions with the true labels as outputs
    failed = Signal(list)  # problems, one line each

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = copy.deepcopy(project)

    def run(self) -> None:
        from builder.train.setup import SetupError, prepare

        try:
            run = prepare(self.project)
        except SetupError as exc:
            self.failed.emit(list(exc.problems))
            return
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self.failed.emit([f"{type(exc).__name__}: {exc}"])
            return
        indices = run.split.train[:PREVIEW_SAMPLES].tolist()
        pairs = [run.data.dataset[i] for i in indices]
        inputs = [x.numpy() for x, _ in pairs]
        if run.data.classes and run.objective.num_classes:
            labels = [int(y) for _, y in pairs]
            self.loaded.emit(Predictions(0, inputs, labels, labels, list(run.data.classes)))
        else:
            targets = [y.numpy() for _, y in pairs]
            self.loaded.emit(Predictions(0, inputs, targets, targets, None))
