"""The Inside page: what the selected node outputs for one sample: its channels as a grid of pictures (click one
to see it large, with its minimum, maximum and mean), or its values as bars for a vector.

The sample is one of the validation samples (◀ ▶ step through them) or an image of the user's. The output is
computed off the GUI thread: during a run, by the training thread between two steps, on the model as it is
learning; otherwise on the current weights (a run's, loaded ones) or, before any, on fresh ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from builder.core.i18n import N_, tr
from builder.train.inside import MAX_CHANNELS, NodeOutput, channel_grid, colour_map, normalized
from builder.ui import theme

TILE = 72  # px a channel's tile is drawn at, whatever its size, at least
MAX_TILE = 160  # and at most, when there is room for all of them
PADDING = 2
BIG = 220  # px of the enlarged channel
IMAGE_FILES = N_("Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)")
NO_NODE = N_("Select a block to see what it outputs for a sample.")


def pixmap(array: np.ndarray) -> QPixmap:
    """An H×W×3 uint8 array as a pixmap (copied: the array may go)."""
    array = np.ascontiguousarray(array)
    h, w = array.shape[:2]
    return QPixmap.fromImage(QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class ChannelGrid(QLabel):
    """The grid of a node's channels; a click on one picks it."""

    picked = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.output: NodeOutput | None = None
        self.scale = 1
        self.columns = 1

    def show_output(self, output: NodeOutput, width: int, height: int) -> None:
        """The channels as large as `width`×`height` px hold them all (from TILE up to MAX_TILE px each), in rows
        as wide as the width allows; past that, TILE px and a scroll bar."""
        self.output = output
        count, h, w = output.values[:MAX_CHANNELS].shape
        self.scale = max(1, TILE // max(h, w))
        for scale in range(max(1, MAX_TILE // max(h, w)), self.scale, -1):
            columns = max(1, (width - PADDING) // (w * scale + PADDING))
            if -(-count // columns) * (h * scale + PADDING) + PADDING <= height:
                self.scale = scale
                break
        self.columns = max(1, min(count, (width - PADDING) // (w * self.scale + PADDING)))
        self.setPixmap(pixmap(channel_grid(output, self.scale, PADDING, self.columns)))

    def channel_at(self, at: QPoint) -> int | None:
        if self.output is None:
            return None
        count, h, w = self.output.values[:MAX_CHANNELS].shape
        th, tw = h * self.scale + PADDING, w * self.scale + PADDING
        column, row = (at.x() - PADDING) // tw, (at.y() - PADDING) // th
        index = row * self.columns + column
        return index if 0 <= column < self.columns and 0 <= index < count else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.channel_at(event.position().toPoint())
        if index is not None:
            self.picked.emit(index)


class InsidePanel(QWidget):
    sample_requested = Signal()  # the user asks for their own image
    shown = Signal()  # the page came into view: what it shows is computed now

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(tr(NO_NODE))
        self.title.setProperty("role", "hint")
        self.previous, self.next = QPushButton("◀"), QPushButton("▶")
        for button in (self.previous, self.next):
            button.setFixedWidth(32)
        self.sample_label = QLabel()
        self.own = QPushButton(tr("Your Image…"))
        self.own.setToolTip(tr("See what the network makes of an image of yours"))
        self.own.clicked.connect(self.sample_requested)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.previous)
        top.addWidget(self.sample_label)
        top.addWidget(self.next)
        top.addWidget(self.own)
        self.grid = ChannelGrid()
        self.grid.picked.connect(self.show_channel)
        scroll = QScrollArea()
        scroll.setWidget(self.grid)
        scroll.setWidgetResizable(True)
        self.bars = pg.PlotWidget(background=theme.CANVAS.name())
        self.bars.hide()
        self.big = QLabel()
        self.big.setFixedWidth(BIG + 8)
        self.big.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.stats = QLabel()
        self.stats.setWordWrap(True)
        self.stats.setFixedWidth(BIG + 8)
        side = QVBoxLayout()
        side.addWidget(self.big)
        side.addWidget(self.stats)
        side.addStretch()
        body = QHBoxLayout()
        body.addWidget(scroll, 1)
        body.addWidget(self.bars, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        self.scroll = scroll
        self.set_samples(0, 0, "")

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.shown.emit()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.grid.output is not None:  # the rows re-flowed to the new width
            self.show_grid(self.grid.output)

    def set_samples(self, index: int, count: int, text: str) -> None:
        self.sample_label.setText(text)
        self.previous.setEnabled(count > 1)
        self.next.setEnabled(count > 1)

    def show_waiting(self, node: str) -> None:
        self.title.setText(tr("{node}: computing…", node=node))

    def show_message(self, text: str) -> None:
        self.title.setText(text)
        self.grid.clear()
        self.grid.output = None
        self.big.clear()
        self.stats.setText("")
        self.bars.hide()
        self.scroll.show()

    def show_output(self, output: NodeOutput, where: str) -> None:
        shape = "×".join(map(str, output.values.shape))
        self.title.setText(tr("{node} ({shape}) for {sample}", node=output.node, shape=shape, sample=where))
        if output.is_image:
            self.bars.hide()
            self.scroll.show()
            self.show_grid(output)
            self.show_channel(0)
            shown = min(len(output.values), MAX_CHANNELS)
            channels = (tr("{shown} channels (the first {shown} of {count}), each scaled to its own range, dark to "
                           "bright; click one to see it here", shown=shown, count=len(output.values))
                        if shown < len(output.values) else
                        tr("{shown} channels, each scaled to its own range, dark to bright; click one to see it here",
                           shown=shown))
            self.stats.setText(f"{self.stats.text()}<br><br>{channels}")
        else:
            self.scroll.hide()
            self.bars.show()
            self.grid.output = None
            values = output.values.reshape(-1)
            self.bars.clear()
            self.bars.addItem(pg.BarGraphItem(x=np.arange(len(values)), height=values, width=0.8,
                                              brush=theme.ACCENT.name()))
            self.big.clear()
            self.stats.setText(tr("{count} values: min {min}, max {max}, mean {mean}", count=len(values),
                                  min=f"{values.min():.4g}", max=f"{values.max():.4g}", mean=f"{values.mean():.4g}"))

    def show_grid(self, output: NodeOutput) -> None:
        viewport = self.scroll.viewport()
        self.grid.show_output(output, viewport.width(), viewport.height())

    def show_channel(self, index: int) -> None:
        output = self.grid.output
        if output is None:
            return
        channel = output.values[index]
        big = colour_map(normalized(channel))
        room = max(48, min(BIG, self.scroll.viewport().height() - 70))  # the figures below it stay in view
        scale = max(1, room // max(channel.shape))
        self.big.setPixmap(pixmap(big.repeat(scale, axis=0).repeat(scale, axis=1)))
        low, high, mean = output.channel_stats()[index]
        self.stats.setText(tr("channel {index}: min {min}, max {max}, mean {mean}", index=index, min=f"{low:.4g}",
                              max=f"{high:.4g}", mean=f"{mean:.4g}"))


def own_image_name(path: str) -> str:
    return tr("your image {file}", file=Path(path).name)


def describe_sample(index: int, count: int, own: str | None) -> str:
    if own:
        return own
    return tr("validation sample {number} of {count}", number=index + 1, count=count) if count else tr("no sample yet")


def sample_tensor(values: Any):
    import torch

    return torch.as_tensor(np.asarray(values), dtype=torch.float32)
