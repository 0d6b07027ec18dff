"""The problems list: every error and warning of the model shown; a click selects the block."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from builder.blocks.check import ModelReport
from builder.edit.session import Session
from builder.ui import theme

NODE_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QListWidget):
    node_clicked = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        session.checked.connect(self.show_report)
        self.itemClicked.connect(self._clicked)
        self.show_report(session.report)

    def show_report(self, report: ModelReport | None) -> None:
        self.clear()
        if report is None:
            return
        ordered = sorted(report.problems, key=lambda p: p.warning)  # errors first
        for problem in ordered:
            mark = "⚠" if problem.warning else "✖"
            item = QListWidgetItem(f"{mark}  {problem}")
            item.setForeground(theme.WARNING if problem.warning else theme.ERROR)
            item.setData(NODE_ROLE, problem.node)
            item.setToolTip(str(problem))
            self.addItem(item)
        if not report.problems:
            item = QListWidgetItem("✔  No problems: the model is ready to train")
            item.setForeground(theme.OK)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.node_clicked.emit(node)
