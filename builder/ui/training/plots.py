"""Live plots (pyqtgraph): step loss (raw and smoothed), epoch losses, validation accuracy, learning rate.

Points go into growing numpy buffers; the curves are redrawn by a timer at about 20 Hz, never per
point, with peak downsampling and clip-to-view so a million steps stay smooth. Earlier runs can be
overlaid as faint dashed curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from builder.train.events import EpochRecord
from builder.ui import theme

SMOOTHING = 0.95  # exponential moving average of the step loss
OVERLAY_COLORS = ["#c792ea", "#f78c6c", "#82aaff", "#c3e88d", "#ffcb6b"]


class Buffer:
    """x, y arrays that grow by doubling: appending is amortized O(1), reading is a view."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.size = 0

    def extend(self, xs: list[float], ys: list[float]) -> None:
        need = self.size + len(xs)
        if need > len(self._x):
            capacity = max(need, 2 * len(self._x))
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[self.size:need] = xs
        self._y[self.size:need] = ys
        self.size = need

    @property
    def x(self) -> np.ndarray:
        return self._x[:self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self.size]

    def clear(self) -> None:
        self.size = 0


class LivePlots(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background=theme.BACKGROUND, foreground=theme.DIM)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = pg.GraphicsLayoutWidget()
        layout.addWidget(self.canvas)
        self.step_plot = self._plot("training loss per step", 0, 0, "step")
        self.epoch_plot = self._plot("loss per epoch", 0, 1, "epoch")
        self.accuracy_plot = self._plot("validation accuracy", 1, 0, "epoch")
        self.lr_plot = self._plot("learning rate", 1, 1, "epoch")
        self.step_plot.setDownsampling(auto=True, mode="peak")
        self.step_plot.setClipToView(True)
        self.accuracy_plot.setYRange(0, 1)
        self.raw = self.step_plot.plot(pen=pg.mkPen(theme.ACCENT.darker(170), width=1))
        self.smooth = self.step_plot.plot(pen=pg.mkPen(theme.ACCENT, width=2), name="smoothed")
        self.train = self.epoch_plot.plot(pen=pg.mkPen(theme.ACCENT, width=2), symbol="o", symbolSize=5,
                                          symbolBrush=theme.ACCENT, name="train")
        self.val = self.epoch_plot.plot(pen=pg.mkPen(theme.WARNING, width=2), symbol="o", symbolSize=5,
                                        symbolBrush=theme.WARNING, name="validation")
        self.accuracy = self.accuracy_plot.plot(pen=pg.mkPen(theme.OK, width=2), symbol="o", symbolSize=5,
                                                symbolBrush=theme.OK)
        self.lr = self.lr_plot.plot(pen=pg.mkPen(theme.DIM, width=2), stepMode=None, symbol="o", symbolSize=4)
        self.buffers = {name: Buffer() for name in ("raw", "smooth", "train", "val", "accuracy", "lr")}
        self._ema: float | None = None
        self._dirty = False
        self._overlays: list[Any] = []
        self.timer = QTimer(self)
        self.timer.setInterval(50)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    def _plot(self, title: str, row: int, col: int, xlabel: str) -> pg.PlotItem:
        plot = self.canvas.addPlot(row=row, col=col, title=f"<span style='color:{theme.DIM.name()}'>{title}</span>")
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setLabel("bottom", xlabel)
        if (row, col) == (0, 1):
            plot.addLegend(offset=(-10, 10), labelTextColor=theme.DIM)
        return plot

    def reset(self) -> None:
        for buffer in self.buffers.values():
            buffer.clear()
        self._ema = None
        self._dirty = True
        self.redraw()

    def add_steps(self, points: list[tuple[int, float]]) -> None:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        smooth = []
        for value in ys:
            if np.isfinite(value):
                self._ema = value if self._ema is None else SMOOTHING * self._ema + (1 - SMOOTHING) * value
            smooth.append(self._ema if self._ema is not None else value)
        self.buffers["raw"].extend(xs, ys)
        self.buffers["smooth"].extend(xs, smooth)
        self._dirty = True

    def add_epoch(self, record: EpochRecord) -> None:
        self.buffers["train"].extend([record.epoch], [record.train_loss])
        if record.val_loss is not None:
            self.buffers["val"].extend([record.epoch], [record.val_loss])
        if record.val_accuracy is not None:
            self.buffers["accuracy"].extend([record.epoch], [record.val_accuracy])
        self.buffers["lr"].extend([record.epoch], [record.lr])
        self._dirty = True

    def redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        b = self.buffers
        self.raw.setData(b["raw"].x, b["raw"].y)
        self.smooth.setData(b["smooth"].x, b["smooth"].y)
        self.train.setData(b["train"].x, b["train"].y)
        self.val.setData(b["val"].x, b["val"].y)
        self.accuracy.setData(b["accuracy"].x, b["accuracy"].y)
        self.lr.setData(b["lr"].x, b["lr"].y)

    def set_overlays(self, runs: list[dict[str, Any]]) -> None:
        """Earlier runs as faint dashed curves next to the current one."""
        for plot, item in self._overlays:
            plot.removeItem(item)
        self._overlays = []
        for index, run in enumerate(runs):
            color = OVERLAY_COLORS[index % len(OVERLAY_COLORS)]
            pen = pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)
            epochs = run.get("epochs") or []
            series = [
                (self.epoch_plot, "train_loss"), (self.epoch_plot, "val_loss"), (self.accuracy_plot, "val_accuracy"),
            ]
            for plot, key in series:
                points = [(e["epoch"], e[key]) for e in epochs if e.get(key) is not None]
                if points:
                    item = plot.plot([p[0] for p in points], [p[1] for p in points], pen=pen)
                    self._overlays.append((plot, item))
            steps = run.get("steps") or []
            if steps:
                item = self.step_plot.plot([s[0] for s in steps], [s[1] for s in steps], pen=pen)
                self._overlays.append((self.step_plot, item))

    def point_count(self) -> int:
        return self.buffers["raw"].size
