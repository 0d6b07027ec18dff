"""Results of the latest epoch: the confusion matrix as a heatmap with the accuracy per class, and a
grid of validation samples with what the model made of them (wrong ones marked; for reconstruction
and regression, input and output side by side)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from builder.train.showcase import Predictions
from builder.ui import theme


class ConfusionMatrix(QWidget):
    """Rows are true classes, columns predicted; each row coloured by its share, counts written in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: list[list[int]] = []
        self.classes: list[str] = []
        self.per_class: list[float | None] = []
        self.setMinimumSize(240, 110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_matrix(self, matrix: Any, classes: list[str] | None, per_class: Any) -> None:
        self.matrix = [list(row) for row in matrix or []]
        self.classes = list(classes or [str(i) for i in range(len(self.matrix))])
        self.per_class = list(per_class or [])
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(420, 300)

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), theme.BACKGROUND)
        k = len(self.matrix)
        if k == 0:
            painter.setPen(theme.DIM)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The confusion matrix appears after an epoch\n"
                             "(classification only)")
            return
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        painter.setFont(font)
        label_w, top, right_w = 78.0, 34.0, 60.0
        cell = min((self.width() - label_w - right_w - 10) / k, (self.height() - top - 10) / k)
        painter.setPen(theme.DIM)
        painter.drawText(QRectF(label_w, 0, cell * k, 16), Qt.AlignmentFlag.AlignCenter, "predicted")
        painter.drawText(QRectF(label_w + cell * k + 4, 0, right_w, 16), Qt.AlignmentFlag.AlignCenter, "accuracy")
        for j, name in enumerate(self.classes):
            painter.drawText(QRectF(label_w + j * cell, 16, cell, 16), Qt.AlignmentFlag.AlignCenter,
                             _short(name, cell))
        for i, row in enumerate(self.matrix):
            total = sum(row) or 1
            y = top + i * cell
            painter.setPen(theme.DIM)
            painter.drawText(QRectF(0, y, label_w - 6, cell), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             _short(self.classes[i], label_w - 6))
            for j, count in enumerate(row):
                share = count / total
                base = theme.OK if i == j else theme.ERROR
                color = QColor(base)
                color.setAlphaF(0.12 + 0.85 * share if count else 0.04)
                rect = QRectF(label_w + j * cell + 1, y + 1, cell - 2, cell - 2)
                painter.fillRect(rect, color)
                painter.setPen(theme.TEXT if count else theme.DIM.darker(150))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
            accuracy = self.per_class[i] if i < len(self.per_class) else None
            painter.setPen(theme.TEXT)
            painter.drawText(QRectF(label_w + k * cell + 4, y, right_w, cell), Qt.AlignmentFlag.AlignCenter,
                             "–" if accuracy is None else f"{accuracy:.0%}")


def _short(text: str, width: float) -> str:
    limit = max(2, int(width / 7))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_image(array: np.ndarray) -> QImage:
    """A C×H×W (or H×W) array in [0, 1] as a QImage: grey for 1 channel, RGB for 3; vectors as a bar."""
    a = np.asarray(array, dtype=np.float32)
    if a.ndim == 1:
        a = a.reshape(1, 1, -1)
    if a.ndim == 3 and a.shape[0] not in (1, 3):
        a = a[:1]
    a = np.clip(a, 0.0, 1.0) if a.min() >= -0.01 else (a - a.min()) / max(float(a.max() - a.min()), 1e-8)
    pixels = (a * 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[0] == 3:
        rgb = np.ascontiguousarray(pixels.transpose(1, 2, 0))
        h, w, _ = rgb.shape
        return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    grey = np.ascontiguousarray(pixels.reshape(pixels.shape[-2], pixels.shape[-1]))
    h, w = grey.shape
    return QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class PredictionGrid(QWidget):
    """Thumbnails of validation samples: predicted vs true label (wrong in red), or input → output."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictions: Predictions | None = None
        self.setMinimumSize(300, 110)

    def show_predictions(self, predictions: Predictions) -> None:
        self.predictions = predictions
        self.update()

    def wrong_count(self) -> int:
        p = self.predictions
        if p is None or p.classes is None:
            return 0
        return sum(1 for t, o in zip(p.targets, p.outputs) if t != o)

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.BACKGROUND)
        p = self.predictions
        if p is None or not p.inputs:
            painter.setPen(theme.DIM)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Validation samples appear after an epoch")
            return
        classify = p.classes is not None
        images = p.inputs if classify else [x for pair in zip(p.inputs, p.outputs) for x in pair]
        columns = 8
        rows = (len(images) + columns - 1) // columns
        label_h = 16 if classify else 4
        size = min((self.width() - 8) / columns, (self.height() - 8) / rows - label_h)
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        for index, array in enumerate(images):
            row, col = divmod(index, columns)
            x, y = 4 + col * size, 4 + row * (size + label_h)
            target = QRectF(x + 2, y + 2, size - 4, size - 4)
            painter.drawImage(target, to_image(array))
            if classify:
                true, guess = p.targets[index], p.outputs[index]
                wrong = true != guess
                painter.setPen(QPen(theme.ERROR if wrong else theme.OK, 2))
                painter.drawRect(target)
                painter.setPen(theme.ERROR if wrong else theme.DIM)
                label = p.classes[guess] if guess < len(p.classes) else str(guess)
                text = f"{label} ✗ {p.classes[true]}" if wrong else label
                painter.drawText(QRectF(x, y + size, size, label_h), Qt.AlignmentFlag.AlignCenter, _short(text, size))
            elif index % 2 == 1:
                painter.setPen(QPen(theme.ACCENT, 1.5))
                painter.drawRect(target)


class ResultsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.confusion = ConfusionMatrix()
        self.samples = PredictionGrid()
        layout.addWidget(self.confusion, 2)
        layout.addWidget(self.samples, 3)

    def set_classification(self, classification: bool) -> None:
        """A confusion matrix only means something for classes; otherwise the samples take the room."""
        self.confusion.setVisible(classification)
        if not classification:
            self.confusion.show_matrix([], None, [])
