"""Generated images: the generator's images from its fixed latent batch, one grid per epoch, to step
through; "Generate now" asks for a grid from the generator as it is at this moment."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from builder.core.i18n import tr
from builder.train.images import grid_array
from builder.train.showcase import GeneratedImages
from builder.ui import theme
from builder.ui.training.results import to_image


class GridImage(QWidget):
    """Images tiled to fill the widget: as many columns as make each image largest (a wide, short panel gets
    two long rows, not a small square)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: np.ndarray | None = None  # (N, C, H, W) in [0, 1]
        self.setMinimumSize(160, 110)

    def show_images(self, images: np.ndarray | None) -> None:
        self.images = images
        self.update()

    def columns(self) -> int:
        n, _c, h, w = self.images.shape
        scale = [(min(self.width() / (c * w), self.height() / (-(-n // c) * h)), c) for c in range(1, n + 1)]
        return max(scale)[1]

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.BACKGROUND)
        if self.images is None:
            painter.setPen(theme.DIM)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, tr("The generator's images appear after an epoch"))
            return
        tiles = grid_array(self.images, self.columns())  # H×W×C bytes
        array = np.transpose(tiles, (2, 0, 1)).astype(np.float32) / 255
        _c, h, w = array.shape
        side = min(self.width() / w, self.height() / h)
        target = QRectF((self.width() - w * side) / 2, (self.height() - h * side) / 2, w * side, h * side)
        painter.drawImage(target, to_image(array))


class GeneratedImagesView(QWidget):
    generate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grids: list[GeneratedImages] = []  # one per epoch (and any asked for), kept for the whole run
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.image = GridImage()
        controls = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._show)
        self.label = QLabel(tr("no samples yet"))
        self.label.setProperty("role", "hint")
        self.generate = QPushButton(tr("Generate now"))
        self.generate.setToolTip(tr("Images from the generator as it is right now, from the same fixed latent vectors"))
        self.generate.clicked.connect(self.generate_requested)
        controls.addWidget(self.label)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.generate)
        layout.addWidget(self.image, 1)
        layout.addLayout(controls)

    def reset(self) -> None:
        self.grids = []
        self.slider.setEnabled(False)
        self.image.show_images(None)
        self.label.setText(tr("no samples yet"))

    def add(self, grid: GeneratedImages) -> None:
        following = not self.grids or self.slider.value() == len(self.grids) - 1
        self.grids.append(grid)
        self.slider.setEnabled(len(self.grids) > 1)
        self.slider.setRange(0, len(self.grids) - 1)
        if following:  # stay on the newest grid unless the user is looking at an older one
            self.slider.setValue(len(self.grids) - 1)
            self._show(len(self.grids) - 1)

    def _show(self, index: int) -> None:
        if not 0 <= index < len(self.grids):
            return
        grid = self.grids[index]
        self.image.show_images(grid.images)
        values = {"epoch": grid.epoch, "number": index + 1, "count": len(self.grids)}
        self.label.setText(tr("now (asked for) epoch {epoch} · {number}/{count}", **values) if grid.on_demand else
                           tr("after epoch {epoch} · {number}/{count}", **values))
