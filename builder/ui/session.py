"""The editor's session: the document, which model is shown, and its latest check.

Views draw from the document and from the report this session publishes after every edit.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from builder.blocks.check import ModelReport, check_model
from builder.core.document import MODEL_REMOVED, MODEL_RENAMED, Change, Document


class EditorSession(QObject):
    model_switched = Signal(str)  # the model shown changed (another tab, a new project)
    checked = Signal(object)  # ModelReport of the model shown, after every edit

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.report: ModelReport | None = None
        self._model = self._first_model()
        document.edited.connect(self.recheck)
        document.reset.connect(self._on_reset)
        document.changed.connect(self._on_change)
        self.read_only = False  # while training: the canvas can be looked at, not edited

    @property
    def model(self) -> str:
        return self._model

    def _first_model(self) -> str:
        return self.document.project.models[0].name if self.document.project.models else ""

    def show_model(self, name: str) -> None:
        if name != self._model:
            self._model = name
            self.model_switched.emit(name)
            self.recheck()

    def recheck(self) -> None:
        models = [m.name for m in self.document.project.models]
        if self._model not in models:
            self._model = models[0] if models else ""
            self.model_switched.emit(self._model)
        self.report = check_model(self.document.model(self._model)) if self._model else None
        self.checked.emit(self.report)

    def _on_reset(self) -> None:
        self._model = self._first_model()
        self.model_switched.emit(self._model)
        self.recheck()

    def _on_change(self, change: Change) -> None:
        if change.kind == MODEL_RENAMED and change.detail == self._model:
            self._model = change.model
            self.model_switched.emit(self._model)
        elif change.kind == MODEL_REMOVED and change.model == self._model:
            remaining = [m.name for m in self.document.project.models]
            self._model = remaining[0] if remaining else ""
            self.model_switched.emit(self._model)
