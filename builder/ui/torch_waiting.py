"""What the window shows in the training toolbar's place while PyTorch loads in the background.

The same Train button (and Ctrl+Enter): pressed now, it says it waits and the run starts once PyTorch has
loaded (when the project is ready to train; otherwise the status bar says why not). A failed import
disables it, with the reason. The training part's own toolbar takes its place once loaded.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel

from builder.core.i18n import tr
from builder.ui.torch_loader import TorchLoader


class WaitingTrainBar:
    def __init__(self, window: Any, loader: TorchLoader) -> None:
        self.window = window
        self.loader = loader
        self.bar = window.add_toolbar("Training")
        self.bar.setObjectName("training_waiting_toolbar")  # the training part's own keeps "training_toolbar"
        self.train_action = QAction(tr("▶  Train"), window)
        self.train_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.train_action.setToolTip(tr("Training needs PyTorch, which is loading: press Train and the run "
                                        "starts once it has loaded"))
        self.train_action.triggered.connect(self.train)
        self.note = QLabel(loader.why_waiting())
        self.note.setProperty("role", "hint")
        self.bar.addAction(self.train_action)
        self.bar.addSeparator()
        self.bar.addWidget(self.note)
        loader.failed.connect(self._on_failed)

    def train(self) -> None:
        if not self.loader.when_loaded(self._start_training):
            self.window.status(tr("Loading PyTorch… the run starts once it has loaded"), 0)

    def _start_training(self) -> None:
        training = self.window.training
        if training.train_action.isEnabled():
            self.window.statusBar().clearMessage()  # the waiting note is done
            training.start()
        else:  # the project is not ready: say why, as the toolbar's tooltip does
            self.window.status(training.train_action.toolTip().replace("\n", " "), 10_000)

    def remove(self) -> None:
        self.window.removeToolBar(self.bar)
        self.bar.deleteLater()

    def _on_failed(self, _error: str) -> None:
        self.note.setText(self.loader.why_waiting())
        self.train_action.setEnabled(False)
        self.train_action.setToolTip(self.loader.why_waiting())
        self.window.status(self.loader.why_waiting(), 0)
