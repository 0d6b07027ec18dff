"""Live plots (pyqtgraph) of whatever series a run declares: its losses per step (raw and smoothed) and per
epoch, its scores in [0, 1] (validation accuracy; D(x) and D(G(z))), its learning rate.

The curves are made from `Started.series`, so a supervised run and a GAN fill the same four plots
without the widget knowing which it is. Points go into growing numpy buffers; the curves are redrawn
at most 5 times a second, never per point, with peak downsampling and clip-to-view so a million
steps stay smooth. The redraw timer runs only when points have come: an idle plot never wakes the GUI
thread, which during a run shares the cores (and the GIL) with training. Earlier runs can be overlaid as
faint dashed curves.

A run says how many epochs and steps it will take (Started), so the x axes are set once from those, not
rescaled to each new point: a changed axis is drawn again, which is most of what a redraw of a plot costs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from builder.core.i18n import N_, tr
from builder.train.events import EPOCH_LOSS, LEARNING_RATE, SCORE, STEP_LOSS, EpochRecord, Series
from builder.train.relay import StepBatch
from builder.ui import theme

# Live enough to watch, and each redraw paints on the GUI thread, which shares the cores with training.
REDRAW_MS = 200
SMOOTHING = 0.95  # exponential moving average of the step values
PLOTS = (STEP_LOSS, EPOCH_LOSS, SCORE, LEARNING_RATE)  # left to right
EPOCH_PLOTS = (EPOCH_LOSS, SCORE, LEARNING_RATE)  # x: the epoch
OVERLAY_COLORS = ["#c792ea", "#f78c6c", "#82aaff", "#c3e88d", "#ffcb6b"]
# A plot's title before a run names its series: the plot's key, for people.
PLOT_TITLES = {STEP_LOSS: N_("step loss"), EPOCH_LOSS: N_("epoch loss"), SCORE: N_("score"),
               LEARNING_RATE: N_("learning rate")}


def _colors() -> list[QColor]:
    """The colours of a plot's curves, in the order its series are declared."""
    return [theme.ACCENT, theme.WARNING, theme.OK, theme.ERROR, theme.DIM]


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
        self.plots = {key: self._plot(col) for col, key in enumerate(PLOTS)}
        self.plots[STEP_LOSS].setDownsampling(auto=True, mode="peak")
        self.plots[STEP_LOSS].setClipToView(True)
        self.plots[SCORE].setYRange(0, 1)
        self.plots[LEARNING_RATE].setLogMode(y=True)  # schedules change it by factors; a constant rate stays readable
        self.series: tuple[Series, ...] = ()
        self.curves: dict[tuple[str, str], Any] = {}  # (kind, name) -> curve; kind: "raw", "smooth" or "epoch"
        self.buffers: dict[tuple[str, str], Buffer] = {}
        self._legends: list[Any] = []
        self._ema: dict[str, float] = {}
        self._dirty: set[tuple[str, str]] = set()  # only these curves are set again: unchanged plots are not repainted
        self._step_limit = 0.0
        self._loss_limit = 0.0
        self._overlays: list[tuple[Any, Any]] = []
        self._epochs = 0  # the run's epochs (0: not known, the epoch plots' x follows their points)
        self._overlay_epochs = 0  # the most epochs of an overlaid run
        self.timer = QTimer(self)  # started by points arriving (_schedule), once per redraw
        self.timer.setSingleShot(True)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.configure(())

    def _plot(self, col: int) -> pg.PlotItem:
        plot = self.canvas.addPlot(row=0, col=col)
        # No grid: a grid makes each axis cover the whole plot, so every new point would repaint it.
        plot.getAxis("bottom").setStyle(tickFont=_small_font())
        plot.getAxis("left").setStyle(tickFont=_small_font())
        plot.getAxis("left").setWidth(42)
        return plot

    # -- what the run reports -------------------------------------------------------------------

    def configure(self, series: tuple[Series, ...], epochs: int = 0, steps_per_epoch: int = 0) -> None:
        """A new run: one curve per declared series (two for a step series: raw and smoothed), titles from
        their labels, and empty buffers; x axes over the run's epochs and steps where it says them."""
        for plot in self.plots.values():
            plot.clear()
        for legend in self._legends:
            if legend.scene() is not None:
                legend.scene().removeItem(legend)
        self._legends = []
        self._overlays = []
        self.series, self.curves, self.buffers, self._ema = series, {}, {}, {}
        self._step_limit = self._loss_limit = 0.0
        self._epochs, self._overlay_epochs = epochs, 0
        self._step_limit = float(epochs * steps_per_epoch)  # the step plot's x: the whole run from the start
        self._set_epoch_range()
        for key, plot in self.plots.items():
            members = [s for s in series if s.plot == key]
            legend = plot.addLegend(offset=(-4, 4), labelTextSize="7.5pt") if len(members) > 1 else None
            if legend is not None:
                self._legends.append(legend)
            for color, item in zip(_colors(), members):
                self._add_curves(plot, item, color)
            per = members[0].per if members else "epoch"
            plot.setTitle(_title([s.label for s in members], key, per), color=theme.DIM.name(), size="9pt")
        self._dirty = set(self.buffers)
        self.redraw()

    def _add_curves(self, plot: pg.PlotItem, item: Series, color: QColor) -> None:
        if item.per == "step":
            self.curves[("raw", item.name)] = plot.plot(pen=pg.mkPen(color.darker(170), width=1), antialias=False)
            self.curves[("smooth", item.name)] = plot.plot(pen=pg.mkPen(color, width=2), name=tr(item.label))
        else:
            self.curves[("epoch", item.name)] = plot.plot(pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5,
                                                          symbolBrush=color, name=tr(item.label))
        for key in self.curves:
            if key not in self.buffers:
                self.buffers[key] = Buffer()

    def add_steps(self, batch: StepBatch) -> None:
        for name, ys in batch.values.items():
            if ("raw", name) not in self.buffers:
                continue
            ema = self._ema.get(name)
            smooth = []
            for value in ys:
                if np.isfinite(value):
                    ema = value if ema is None else SMOOTHING * ema + (1 - SMOOTHING) * value
                smooth.append(ema if ema is not None else value)
            if ema is not None:
                self._ema[name] = ema
            self.buffers[("raw", name)].extend(batch.numbers, ys)
            self.buffers[("smooth", name)].extend(batch.numbers, smooth)
            self._dirty |= {("raw", name), ("smooth", name)}
        self._schedule()

    def add_epoch(self, record: EpochRecord) -> None:
        for item in self.series:
            value = record[item.name] if item.per == "epoch" else None
            if value is not None:
                self.buffers[("epoch", item.name)].extend([record.epoch], [value])
                self._dirty.add(("epoch", item.name))
        self._schedule()

    def points(self, kind: str, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A curve's points as received (kind: "raw", "smooth" or "epoch")."""
        buffer = self.buffers[(kind, name)]
        return buffer.x, buffer.y

    def point_count(self) -> int:
        """Steps received so far (of the first step series)."""
        first = next((s.name for s in self.series if s.per == "step"), None)
        return self.buffers[("raw", first)].size if first else 0

    # -- drawing --------------------------------------------------------------------------------

    def _schedule(self) -> None:
        """A redraw within REDRAW_MS, however many points come meanwhile."""
        if self._dirty and not self.timer.isActive():
            self.timer.start()

    def redraw(self) -> None:
        if not self._dirty or not self.isVisible():
            return  # nothing new, or nobody looking: the buffers keep everything for later
        for key in self._dirty:
            buffer = self.buffers[key]
            self.curves[key].setData(buffer.x, buffer.y)
        if any(kind != "epoch" for kind, _name in self._dirty):
            self._grow_step_axis()
        if ("epoch", "lr") in self._dirty:
            self._label_rates()
        self._dirty = set()

    def _set_epoch_range(self) -> None:
        """The epoch plots' x: epoch 1 to the last the run (or an overlaid run) reaches; without a known count,
        their points'."""
        last = max(self._epochs, self._overlay_epochs)
        for key in EPOCH_PLOTS:
            if self._epochs:
                self.plots[key].setXRange(0.5, last + 0.5, padding=0)  # turns x's auto-range off
            else:
                self.plots[key].enableAutoRange(x=True)

    def _label_rates(self) -> None:
        """The learning rates reached, and no other ticks: a log axis over a small range draws a crowd of
        overlapping minor ticks."""
        rates = sorted({float(f"{v:.3g}") for v in self.buffers[("epoch", "lr")].y if v > 0})
        if not rates:
            return
        shown = rates if len(rates) <= 3 else [rates[0], rates[len(rates) // 2], rates[-1]]
        axis = self.plots[LEARNING_RATE].getAxis("left")
        axis.setTicks([[(float(np.log10(v)), f"{v:.2g}") for v in shown], []])
        low, high = np.log10(rates[0]), np.log10(rates[-1])
        self.plots[LEARNING_RATE].setYRange(low - 0.3, high + 0.3, padding=0)

    def _grow_step_axis(self) -> None:
        """The step plot's axes change in jumps (x to 1.5× the steps so far, y from 0 to a bit above the
        highest value), not every frame: an unchanged axis is not drawn again, which is most of what a
        redraw costs. Losses are never negative, so 0 is a fixed floor."""
        raws = [b for (kind, _name), b in self.buffers.items() if kind == "raw" and b.size]
        if not raws:
            return
        last = max(float(b.x[-1]) for b in raws)
        finite = np.concatenate([b.y[np.isfinite(b.y)] for b in raws])
        top = float(finite.max()) if finite.size else 1.0
        if last > self._step_limit or top > self._loss_limit:
            self._step_limit = max(self._step_limit, 50.0, last * 1.5)
            self._loss_limit = max(self._loss_limit, top * 1.15)
            self.plots[STEP_LOSS].setRange(xRange=(0, self._step_limit), yRange=(0, self._loss_limit), padding=0.02)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._dirty = set(self.buffers)  # catch up with what arrived while hidden
        self._schedule()

    def set_overlays(self, runs: list[dict[str, Any]]) -> None:
        """Earlier runs as faint dashed curves next to the current one, each in the plots its own series name
        (a run recorded before runs kept their series is drawn with this run's)."""
        for plot, item in self._overlays:
            plot.removeItem(item)
        self._overlays = []
        self._overlay_epochs = 0
        for index, run in enumerate(runs):
            pen = pg.mkPen(OVERLAY_COLORS[index % len(OVERLAY_COLORS)], width=1.5, style=Qt.PenStyle.DashLine)
            epochs = [e for e in run.get("epochs") or [] if isinstance(e, dict)]
            numbers = [e["epoch"] for e in epochs if isinstance(e.get("epoch"), int)]
            self._overlay_epochs = max([self._overlay_epochs, *numbers])
            for name, plot in _epoch_plots(run, self.series):
                points = [(e["epoch"], e[name]) for e in epochs if isinstance(e.get(name), (int, float))]
                if points:
                    self._overlay(self.plots[plot], points, pen)
            steps = [s for s in run.get("steps") or [] if isinstance(s, list) and len(s) == 2]
            if steps:
                self._overlay(self.plots[STEP_LOSS], steps, pen)
        self._set_epoch_range()

    def _overlay(self, plot: pg.PlotItem, points: list, pen: Any) -> None:
        item = plot.plot([p[0] for p in points], [p[1] for p in points], pen=pen)
        self._overlays.append((plot, item))


def _title(labels: list[str], key: str, per: str) -> str:
    """A plot's title: its series' labels (each once), or the plot's own name, and whether it is per step or per epoch."""
    names = [tr(label) for label in dict.fromkeys(labels)]
    title = names[0] if names else tr(PLOT_TITLES.get(key, key))
    for name in names[1:]:
        title = tr("{first} & {second}", first=title, second=name)
    return tr("{title} · per step", title=title) if per == "step" else tr("{title} · per epoch", title=title)


def _epoch_plots(run: dict[str, Any], current: tuple[Series, ...]) -> list[tuple[str, str]]:
    """(series name, plot) of a recorded run's epoch curves, the learning rate left out."""
    declared = run.get("series")
    items = [(d.get("name"), d.get("plot"), d.get("per")) for d in declared if isinstance(d, dict)] \
        if isinstance(declared, list) else [(s.name, s.plot, s.per) for s in current]
    return [(name, plot) for name, plot, per in items if per == "epoch" and plot in PLOTS and plot != LEARNING_RATE]
