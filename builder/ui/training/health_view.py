"""The Layer Health page: per node, the latest sample of a run's layer health (its outputs' mean, std and share
of zeros, its gradient's norm, how much a step changes its weights), the run's warnings under it. A past run's
samples are kept with it, so its health can be looked at again (Runs → Show Health)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from builder.ui import theme

COLUMNS = ("node", "output mean", "output std", "zeros", "gradient norm", "update |Δw|/|w|")


class HealthView(QWidget):
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Layer health appears here while a model trains: every 20 steps, per layer.")
        self.title.setProperty("role", "hint")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(lambda row, _col: self.node_clicked.emit(self.table.item(row, 0).text()))
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warnings)

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.warnings.setText("")

    def show_sample(self, sample: Any, problems: list[Any], where: str = "") -> None:
        self.title.setText(f"Layer health at step {sample.step} (epoch {sample.epoch}){where}")
        self.table.setRowCount(len(sample.nodes))
        for row, (node, health) in enumerate(sample.nodes.items()):
            cells = [node, _figure(health.mean), _figure(health.std),
                     "" if health.zeros is None else f"{health.zeros:.0%}", _figure(health.grad_norm),
                     _figure(health.update_ratio)]
            flagged = any(p.node == node for p in problems)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if flagged:
                    item.setForeground(theme.WARNING)
                self.table.setItem(row, column, item)
        self.warnings.setText("<br>".join(f"<span style='color:{theme.WARNING.name()}'>⚠ {p}</span>"
                                          for p in problems))


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"
