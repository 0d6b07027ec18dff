"""The editor's session: the document, which model is shown, its latest check, and whether it may be edited.

Views draw from the document and from the report this session publishes after every edit.
"""

from __future__ import annotations

from builder.blocks.check import ModelReport, check_model
from builder.core.document import MODEL_REMOVED, MODEL_RENAMED, Change, Document
from builder.core.events import Signal


class Session:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.report: ModelReport | None = None
        self.read_only = False  # while training: the canvas can be looked at, not edited
        self.model_switched = Signal()  # (str): the model shown changed (another tab, a new project)
        self.checked = Signal()  # (ModelReport | None): the model shown, checked after every edit
        self._model = self._first_model()
        document.edited.connect(self.recheck)
        document.reset.connect(self._on_reset)
        document.changed.connect(self._on_change)

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
        self.report = check_model(self.document.model(self._model), self.document.project) if self._model else None
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
