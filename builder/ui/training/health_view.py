"""The Layer Health page: per node, the latest sample of a run's layer health (its outputs' mean, std and share
of zeros, its gradient's norm, how much a step changes its weights), the run's warnings under it. A past run's
samples are kept with it, so its health can be looked at again (Runs → Show Health)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from builder.core.i18n import N_, tr
from builder.ui import theme

COLUMNS = (N_("node"), N_("output mean"), N_("output std"), N_("zeros"), N_("gradient norm"), N_("update |Δw|/|w|"),
           N_("trend"))
KEPT = 60  # samples a live run's trends reach back
SPARK = (110, 20)  # px of a trend line


class HealthView(QWidget):
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(tr("Layer health appears here while a model trains: every 20 steps, per layer."))
        self.title.setProperty("role", "hint")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(len(COLUMNS) - 1, SPARK[0] + 16)
        self.table.setIconSize(QPixmap(*SPARK).size())
        self.history: list[Any] = []  # the samples the trends are drawn from
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
        self.history = []

    def show_sample(self, sample: Any, problems: list[Any], run_started: str | None = None,
                    history: list[Any] | None = None) -> None:
        """The latest sample in the table; the trend of each node's key figure over `history` (a past run's
        samples, `run_started` saying when it began), or over the samples shown so far (a live run)."""
        if history is not None:
            self.history = list(history)
        elif not self.history or self.history[-1] is not sample:
            self.history = [*self.history[-(KEPT - 1):], sample]
        self.title.setText(tr("Layer health at step {step} (epoch {epoch}), from the run of {started}", step=sample.step,
                              epoch=sample.epoch, started=run_started) if run_started is not None else
                           tr("Layer health at step {step} (epoch {epoch})", step=sample.step, epoch=sample.epoch))
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
            self._show_trend(row, node, health)
        self.warnings.setText("<br>".join(f"<span style='color:{theme.WARNING.name()}'>⚠ {p}</span>"
                                          for p in problems))


    def _show_trend(self, row: int, node: str, health: Any) -> None:
        """A ReLU's share of zeros, a weighted layer's gradient norm, else its outputs' std: over the samples kept."""
        key, label = (("zeros", tr("share of zeros")) if health.zeros is not None else
                      ("grad_norm", tr("gradient norm")) if health.grad_norm is not None else ("std", tr("output std")))
        values = [getattr(s.nodes[node], key) for s in self.history if node in s.nodes]
        values = [v for v in values if v is not None]
        item = QTableWidgetItem()
        if len(values) >= 2:
            item.setIcon(sparkline(values))
            item.setToolTip(tr("{node}: {figure} over the last {count} samples, {first} → {last}", node=node, figure=label,
                               count=len(values), first=_figure(values[0]), last=_figure(values[-1])))
        self.table.setItem(row, len(COLUMNS) - 1, item)


def sparkline(values: list[float]) -> QPixmap:
    """The values as a line, lowest at the bottom, highest at the top (a flat line in the middle)."""
    width, height = SPARK
    picture = QPixmap(width, height)
    picture.fill(Qt.GlobalColor.transparent)
    low, high = min(values), max(values)
    span = high - low
    step = (width - 2) / (len(values) - 1)
    points = [QPointF(1 + i * step, height / 2 if span == 0 else 2 + (height - 4) * (high - v) / span)
              for i, v in enumerate(values)]
    painter = QPainter(picture)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(theme.ACCENT, 1.5))
    painter.drawPolyline(QPolygonF(points))
    painter.end()
    return picture


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"
