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
from PySide6.QtGui import QFont
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


def _small_font() -> QFont:
    font = QFont()
    font.setPointSizeF(7.5)
    return font


class LivePlots(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background=theme.BACKGROUND, foreground=theme.DIM)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = pg.GraphicsLayoutWidget()
        layout.addWidget(self.canvas)
        self.step_plot = self._plot("training loss", 0, "step")
        self.epoch_plot = self._plot("train & validation loss", 1, "epoch")
        self.accuracy_plot = self._plot("validation accuracy", 2, "epoch")
        self.lr_plot = self._plot("learning rate", 3, "epoch")
        self.lr_plot.setLogMode(y=True)  # schedules change it by factors; a constant rate stays readable
        self.step_plot.setDownsampling(auto=True, mode="peak")
        self.step_plot.setClipToView(True)
        self.accuracy_plot.setYRange(0, 1)
        self.raw = self.step_plot.plot(pen=pg.mkPen(theme.ACCENT.darker(170), width=1), antialias=False)
        self.smooth = self.step_plot.plot(pen=pg.mkPen(theme.ACCENT, width=2), name="smoothed")
        self.train = self.epoch_plot.plot(pen=pg.mkPen(theme.ACCENT, width=2), symbol="o", symbolSize=5,
                                          symbolBrush=theme.ACCENT)
        self.val = self.epoch_plot.plot(pen=pg.mkPen(theme.WARNING, width=2), symbol="o", symbolSize=5,
                                        symbolBrush=theme.WARNING)
        self.accuracy = self.accuracy_plot.plot(pen=pg.mkPen(theme.OK, width=2), symbol="o", symbolSize=5,
                                                symbolBrush=theme.OK)
        self.lr = self.lr_plot.plot(pen=pg.mkPen(theme.DIM, width=2), stepMode=None, symbol="o", symbolSize=4)
        # GAN curves: the two losses, and D's belief in real and in generated images.
        d_pen, g_pen = pg.mkPen(theme.WARNING, width=2), pg.mkPen(theme.ACCENT, width=2)
        self.d_smooth = self.step_plot.plot(pen=d_pen)
        self.g_smooth = self.step_plot.plot(pen=g_pen)
        self.d_epoch = self.epoch_plot.plot(pen=d_pen, symbol="o", symbolSize=5, symbolBrush=theme.WARNING)
        self.g_epoch = self.epoch_plot.plot(pen=g_pen, symbol="o", symbolSize=5, symbolBrush=theme.ACCENT)
        self.d_real = self.accuracy_plot.plot(pen=pg.mkPen(theme.OK, width=2), symbol="o", symbolSize=5,
                                              symbolBrush=theme.OK)
        self.d_fake = self.accuracy_plot.plot(pen=pg.mkPen(theme.ERROR, width=2), symbol="o", symbolSize=5,
                                              symbolBrush=theme.ERROR)
        self.curves = {"raw": self.raw, "smooth": self.smooth, "train": self.train, "val": self.val,
                       "accuracy": self.accuracy, "lr": self.lr, "d_smooth": self.d_smooth,
                       "g_smooth": self.g_smooth, "d_epoch": self.d_epoch, "g_epoch": self.g_epoch,
                       "d_real": self.d_real, "d_fake": self.d_fake}
        self.buffers = {name: Buffer() for name in self.curves}
        self.gan = False
        self._gan_ema: list[float | None] = [None, None]
        self._ema: float | None = None
        self._dirty: set[str] = set()  # only these curves are set again: unchanged plots are not repainted
        self._step_limit = 0.0
        self._loss_limit = 0.0
        self._overlays: list[Any] = []
        self.timer = QTimer(self)
        self.timer.setInterval(50)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    def _plot(self, title: str, col: int, xlabel: str) -> pg.PlotItem:
        """One plot in the row; the x axis says what it counts (steps or epochs) in its title."""
        plot = self.canvas.addPlot(row=0, col=col)
        plot.setTitle(f"{title} · per {xlabel}", color=theme.DIM.name(), size="9pt")
        # No grid: a grid makes each axis cover the whole plot, so every new point would repaint it.
        plot.getAxis("bottom").setStyle(tickFont=_small_font())
        plot.getAxis("left").setStyle(tickFont=_small_font())
        plot.getAxis("left").setWidth(42)
        return plot

    def set_gan(self, gan: bool) -> None:
        """GAN runs plot D and G losses, and D(x) with D(G(z)), in the same four places."""
        self.gan = gan
        supervised = ("raw", "smooth", "train", "val", "accuracy")
        for name in supervised:
            self.curves[name].setVisible(not gan)
        for name in ("d_smooth", "g_smooth", "d_epoch", "g_epoch", "d_real", "d_fake"):
            self.curves[name].setVisible(gan)
        titles = (("D loss (orange), G loss (blue)", "step"), ("D and G loss", "epoch"),
                  ("D(x) green, D(G(z)) red", "epoch")) if gan else (
                  ("training loss", "step"), ("train & validation loss", "epoch"), ("validation accuracy", "epoch"))
        for plot, (title, unit) in zip((self.step_plot, self.epoch_plot, self.accuracy_plot), titles):
            plot.setTitle(f"{title} · per {unit}", color=theme.DIM.name(), size="9pt")

    def add_gan_steps(self, points: list[tuple[int, float, float]]) -> None:
        xs = [p[0] for p in points]
        for side, (name, column) in enumerate((("d_smooth", 1), ("g_smooth", 2))):
            smooth = []
            for p in points:
                value = p[column]
                if np.isfinite(value):
                    ema = self._gan_ema[side]
                    self._gan_ema[side] = value if ema is None else SMOOTHING * ema + (1 - SMOOTHING) * value
                smooth.append(self._gan_ema[side] if self._gan_ema[side] is not None else value)
            self.buffers[name].extend(xs, smooth)
        self.buffers["raw"].extend(xs, [max(p[1], p[2]) for p in points])  # sets the step axis' reach
        self._dirty |= {"d_smooth", "g_smooth", "raw"}

    def add_gan_epoch(self, record) -> None:
        for name, value in (("d_epoch", record.d_loss), ("g_epoch", record.g_loss), ("d_real", record.d_real),
                            ("d_fake", record.d_fake), ("lr", record.lr)):
            self.buffers[name].extend([record.epoch], [value])
            self._dirty.add(name)

    def reset(self) -> None:
        for buffer in self.buffers.values():
            buffer.clear()
        self._ema = None
        self._gan_ema = [None, None]
        self._step_limit = 0.0
        self._loss_limit = 0.0
        self._dirty = set(self.buffers)
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
        self._dirty |= {"raw", "smooth"}

    def add_epoch(self, record: EpochRecord) -> None:
        self.buffers["train"].extend([record.epoch], [record.train_loss])
        self._dirty |= {"train", "lr"}
        if record.val_loss is not None:
            self.buffers["val"].extend([record.epoch], [record.val_loss])
            self._dirty.add("val")
        if record.val_accuracy is not None:
            self.buffers["accuracy"].extend([record.epoch], [record.val_accuracy])
            self._dirty.add("accuracy")
        self.buffers["lr"].extend([record.epoch], [record.lr])

    def redraw(self) -> None:
        if not self._dirty or not self.isVisible():
            return  # nothing new, or nobody looking: the buffers keep everything for later
        for name in self._dirty:
            buffer = self.buffers[name]
            self.curves[name].setData(buffer.x, buffer.y)
        if {"raw", "smooth"} & self._dirty:
            self._grow_step_axis()
        self._dirty = set()

    def _grow_step_axis(self) -> None:
        """The step plot's axes change in jumps (x to 1.5× the steps so far, y from 0 to a bit above the
        highest loss), not every frame: an unchanged axis is not drawn again, which is most of what a
        redraw costs. Losses are never negative, so 0 is a fixed floor."""
        steps = self.buffers["raw"]
        if steps.size == 0:
            return
        last = float(steps.x[-1])
        finite = steps.y[np.isfinite(steps.y)]
        top = float(finite.max()) if finite.size else 1.0
        if last > self._step_limit or top > self._loss_limit:
            self._step_limit = max(self._step_limit, 50.0, last * 1.5)
            self._loss_limit = max(self._loss_limit, top * 1.15)
            self.step_plot.setRange(xRange=(0, self._step_limit), yRange=(0, self._loss_limit), padding=0.02)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._dirty = set(self.buffers)  # catch up with what arrived while hidden

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
