"""The run history: every finished run of the project, to overlay on the plots or remove."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from builder.core.document import RUNS_CHANGED, Change, Document
from builder.core.i18n import tr
from builder.edit.editor import EditError, Editor
from builder.train.history import describe_run

RUN_ROLE = Qt.ItemDataRole.UserRole + 1


class RunsPanel(QWidget):
    overlays_changed = Signal(list)  # the runs ticked for overlay
    use_requested = Signal(str)  # a run's id: make its weights the current ones
    health_requested = Signal(object)  # a run's record: show its layer health

    def __init__(self, document: Document, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.hint = hint = QLabel(tr("Tick runs to draw them next to the current one."))
        hint.setProperty("role", "hint")
        self.list = QListWidget()
        buttons = QHBoxLayout()
        self.remove = QPushButton(tr("Remove"))
        self.remove.setToolTip(tr("Remove the selected run from the history (undoable)"))
        self.use = QPushButton(tr("Use these weights"))
        self.use.setToolTip(tr("Make the selected run's weights the current ones (exported, kept as current)"))
        self.use.clicked.connect(self._use_selected)
        self.health = QPushButton(tr("Show Health"))
        self.health.setToolTip(tr("The selected run's layer health, as it was while it trained"))
        self.health.clicked.connect(self._health_of_selected)
        buttons.addStretch()
        buttons.addWidget(self.health)
        buttons.addWidget(self.use)
        buttons.addWidget(self.remove)
        layout.addWidget(hint)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._ticked: set[str] = set()
        self.list.itemChanged.connect(self._on_item_changed)
        self.remove.clicked.connect(self.remove_selected)
        document.changed.connect(self._on_change)
        document.reset.connect(self.refill)
        self.refill()

    def _on_change(self, change: Change) -> None:
        if change.kind == RUNS_CHANGED:
            self.refill()

    def refill(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for run in reversed(self.document.project.runs):
            if not isinstance(run, dict):
                continue
            item = QListWidgetItem(describe_run(run))
            item.setData(RUN_ROLE, run.get("id"))
            item.setToolTip(str(run.get("message", "")))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if run.get("id") in self._ticked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._emit()

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        run_id = item.data(RUN_ROLE)
        if item.checkState() == Qt.CheckState.Checked:
            self._ticked.add(run_id)
        else:
            self._ticked.discard(run_id)
        self._emit()

    def _emit(self) -> None:
        runs = [r for r in self.document.project.runs if isinstance(r, dict) and r.get("id") in self._ticked]
        self.overlays_changed.emit(runs)

    def _use_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.use_requested.emit(item.data(RUN_ROLE))

    def _health_of_selected(self) -> None:
        item = self.list.currentItem()
        run = next((r for r in self.runs() if item is not None and r.get("id") == item.data(RUN_ROLE)), None)
        if run is not None:
            self.health_requested.emit(run)

    def remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        run_id = item.data(RUN_ROLE)
        self._ticked.discard(run_id)
        try:
            self.editor.remove_run(run_id)
        except EditError as exc:
            self.hint.setText(str(exc))

    def runs(self) -> list[dict[str, Any]]:
        return [r for r in self.document.project.runs if isinstance(r, dict)]
