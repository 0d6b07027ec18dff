"""The problems list: everything that stands between the project and training, in one place.

The model shown (its errors and warnings, pinned to blocks), then the project's own (the settings, the
data once read in the background, the device, the lints with their fix). A click on a block's problem
selects the block; on a setting's, opens the Training panel. A problem with a one-click repair (insert a
Flatten, say) has a button that makes it. The status bar and the toolbar say the same thing in short.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QWidget

from builder.blocks.check import ModelReport
from builder.core.i18n import tr
from builder.core.problems import Problem
from builder.edit.session import Session
from builder.ui import theme

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
SETTINGS_ROLE = Qt.ItemDataRole.UserRole + 2


class ProblemsPanel(QListWidget):
    node_clicked = Signal(str)
    settings_clicked = Signal()
    fix_requested = Signal(object)  # Fix

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self._report: ModelReport | None = None
        self._project: list[Problem] = []
        self._ready: bool | None = None  # None: not known yet (before the first readiness check)
        self._health: list[Problem] = []  # what the layer health of the latest run warns of
        session.checked.connect(self.show_report)
        self.itemClicked.connect(self._clicked)
        self.show_report(session.report)

    def show_report(self, report: ModelReport | None) -> None:
        self._report = report
        self._fill()

    def show_project(self, problems: list[Problem], ready: bool) -> None:
        """The project's own problems (settings, data, device, lints) and whether it can train."""
        self._project, self._ready = list(problems), ready
        self._fill()

    def show_health(self, problems: list[Problem]) -> None:
        """The latest run's layer-health warnings (dead ReLUs...), each pinned to its node."""
        self._health = list(problems)
        self._fill()

    def problems(self) -> list[Problem]:
        """What is listed, errors first."""
        shown = [*(self._report.problems if self._report else []), *self._project, *self._health]
        return sorted(shown, key=lambda p: p.warning)

    def _fill(self) -> None:
        self.clear()
        listed = self.problems()
        for problem in listed:
            self._add(problem)
        errors = any(not p.warning for p in listed)
        if not errors and self._ready is not False:
            item = QListWidgetItem("✔  " + (tr("No problems: the model is ready to train") if not listed else
                                            tr("Ready to train (the warnings above are worth a look)")))
            item.setForeground(theme.OK)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(item)

    def _add(self, problem: Problem) -> None:
        mark = "⚠" if problem.warning else "✖"
        item = QListWidgetItem(f"{mark}  {problem}")
        item.setForeground(theme.WARNING if problem.warning else theme.ERROR)
        item.setData(NODE_ROLE, problem.node)
        item.setData(SETTINGS_ROLE, str(problem.message).startswith(("data.", "training.")))
        item.setToolTip(str(problem))
        self.addItem(item)
        if problem.fix is not None:
            self.setItemWidget(item, self._row(item.text(), problem))
            item.setSizeHint(self.itemWidget(item).sizeHint())

    def _row(self, text: str, problem: Problem) -> QWidget:
        """The message and the button that repairs it."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(4, 1, 4, 1)
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {(theme.WARNING if problem.warning else theme.ERROR).name()}")
        button = QPushButton(problem.fix.label)
        button.setToolTip(tr("One step, undoable"))
        button.clicked.connect(lambda: self.fix_requested.emit(problem.fix))
        layout.addWidget(label, 1)
        layout.addWidget(button)
        return row

    def _clicked(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.node_clicked.emit(node)
        elif item.data(SETTINGS_ROLE):
            self.settings_clicked.emit()
