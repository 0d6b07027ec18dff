"""Results of the latest epoch: the confusion matrix as a heatmap with the accuracy per class, and a
grid of validation samples with what the model made of them (wrong ones marked; for reconstruction
and regression, input and output side by side).

Readable at the window's default size: columns are numbered and a legend names the classes in full,
every cell and thumbnail says what it is on hover, and captions take two short lines instead of one
cut-off line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QHelpEvent, QImage, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolTip, QWidget

from builder.core.i18n import tr
from builder.train.showcase import Predictions
from builder.ui import theme

LABEL_WIDTH, TOP, RIGHT = 92.0, 34.0, 64.0  # the confusion matrix's margins: row names, headers, accuracy


class ConfusionMatrix(QWidget):
    """Rows are true classes, columns predicted (numbered; the legend names them); each row coloured by its
    share, counts written in, the accuracy per class on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: list[list[int]] = []
        self.classes: list[str] = []
        self.per_class: list[float | None] = []
        self.setMinimumSize(260, 110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    def show_matrix(self, matrix: Any, classes: list[str] | None, per_class: Any) -> None:
        self.matrix = [list(row) for row in matrix or []]
        self.classes = list(classes or [str(i) for i in range(len(self.matrix))])
        self.per_class = list(per_class or [])
        self.update()

    def legend(self) -> str:
        """What the column numbers stand for: "0 circle · 1 square · ..."."""
        return " · ".join(f"{i} {name}" for i, name in enumerate(self.classes))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(420, 300)

    def _cell(self) -> float:
        k = max(len(self.matrix), 1)
        return max(min((self.width() - LABEL_WIDTH - RIGHT - 10) / k, (self.height() - TOP - 24) / k), 1.0)

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(true class, predicted class) of the cell at a point, or None."""
        cell = self._cell()
        row, col = int((y - TOP) // cell), int((x - LABEL_WIDTH) // cell)
        k = len(self.matrix)
        return (row, col) if 0 <= row < k and 0 <= col < k and x >= LABEL_WIDTH and y >= TOP else None

    def tooltip_at(self, x: float, y: float) -> str:
        found = self.cell_at(x, y)
        if found is None:
            return self.legend()
        row, col = found
        count, total = self.matrix[row][col], sum(self.matrix[row]) or 1
        return tr("true {true}, predicted {predicted}: {count} ({share} of the row)", true=self.classes[row],
                  predicted=self.classes[col], count=count, share=f"{count / total:.0%}")

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.matrix:
            help_event: QHelpEvent = event  # type: ignore[assignment]
            QToolTip.showText(help_event.globalPos(), self.tooltip_at(help_event.pos().x(), help_event.pos().y()), self)
            return True
        return super().event(event)

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), theme.BACKGROUND)
        k = len(self.matrix)
        if k == 0:
            painter.setPen(theme.DIM)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             tr("The confusion matrix appears after an epoch\n(classification only)"))
            return
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        painter.setFont(font)
        cell = self._cell()
        center = Qt.AlignmentFlag.AlignCenter
        painter.setPen(theme.DIM)
        painter.drawText(QRectF(LABEL_WIDTH, 0, cell * k, 16), center, tr("predicted"))
        painter.drawText(QRectF(LABEL_WIDTH + cell * k + 4, 0, RIGHT, 16), center, tr("accuracy"))
        for j in range(k):
            painter.drawText(QRectF(LABEL_WIDTH + j * cell, 16, cell, 16), center, str(j))
        for i, row in enumerate(self.matrix):
            self._paint_row(painter, i, row, cell)
        painter.setPen(theme.DIM)
        painter.drawText(QRectF(0, TOP + k * cell + 4, self.width(), 18), Qt.AlignmentFlag.AlignLeft,
                         _fit(painter, self.legend(), self.width()))

    def _paint_row(self, painter: QPainter, i: int, row: list[int], cell: float) -> None:
        total = sum(row) or 1
        y = TOP + i * cell
        painter.setPen(theme.DIM)
        name = f"{i} {self.classes[i]}"
        painter.drawText(QRectF(0, y, LABEL_WIDTH - 6, cell), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         _fit(painter, name, LABEL_WIDTH - 6))
        for j, count in enumerate(row):
            color = QColor(theme.OK if i == j else theme.ERROR)
            color.setAlphaF(0.12 + 0.85 * count / total if count else 0.04)
            rect = QRectF(LABEL_WIDTH + j * cell + 1, y + 1, cell - 2, cell - 2)
            painter.fillRect(rect, color)
            painter.setPen(theme.TEXT if count else theme.DIM.darker(150))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
        accuracy = self.per_class[i] if i < len(self.per_class) else None
        painter.setPen(theme.TEXT)
        painter.drawText(QRectF(LABEL_WIDTH + len(self.matrix) * cell + 4, y, RIGHT, cell), Qt.AlignmentFlag.AlignCenter,
                         "–" if accuracy is None else f"{accuracy:.0%}")


def _fit(painter: QPainter, text: str, width: float) -> str:
    """The text cut with an ellipsis to what the painter's font can show in `width` pixels."""
    return painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(width))


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
    """Thumbnails of validation samples: the prediction under each (and the true class, in red, when it is
    wrong), or input → output pairs with captions; each says what it is on hover."""

    CAPTION = 28  # two short lines under a thumbnail

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictions: Predictions | None = None
        self.setMinimumSize(300, 110)
        self.setMouseTracking(True)

    def show_predictions(self, predictions: Predictions) -> None:
        self.predictions = predictions
        self.update()

    def wrong_count(self) -> int:
        p = self.predictions
        if p is None or p.classes is None:
            return 0
        return sum(1 for t, o in zip(p.targets, p.outputs) if t != o)

    def _images(self) -> list[Any]:
        p = self.predictions
        return p.inputs if p.classes is not None else [x for pair in zip(p.inputs, p.outputs) for x in pair]

    def layout_(self) -> tuple[int, float]:
        """(columns, thumbnail size): as large as the widget allows for every image."""
        count = len(self._images())
        best = (1, 1.0)
        for columns in range(1, count + 1):
            rows = -(-count // columns)
            size = min((self.width() - 8) / columns, (self.height() - 8) / rows - self.CAPTION)
            if size > best[1]:
                best = (columns, size)
        return best

    def captions(self, index: int) -> tuple[str, str | None]:
        """The caption's two lines: the prediction and, when wrong, the true class; or input/output."""
        p = self.predictions
        if p.classes is None:
            return (tr("input") if index % 2 == 0 else tr("output"), None)
        true, guess = p.targets[index], p.outputs[index]
        name = p.classes[guess] if guess < len(p.classes) else str(guess)
        return (name, None) if true == guess else (f"✗ {name}", tr("true: {name}", name=p.classes[true]))

    def tooltip_at(self, x: float, y: float) -> str:
        if self.predictions is None:
            return ""
        columns, size = self.layout_()
        col, row = int((x - 4) // size), int((y - 4) // (size + self.CAPTION))
        index = row * columns + col
        if not (0 <= col < columns and 0 <= index < len(self._images())):
            return ""
        p = self.predictions
        if p.classes is None:
            return (tr("sample {number}: its input", number=index // 2 + 1) if index % 2 == 0 else
                    tr("sample {number}: what the model made of it", number=index // 2 + 1))
        true, guess = p.targets[index], p.outputs[index]
        predicted = p.classes[guess] if guess < len(p.classes) else guess
        return (tr("predicted {predicted}, true {true} (right)", predicted=predicted, true=p.classes[true]) if true == guess
                else tr("predicted {predicted}, true {true} (wrong)", predicted=predicted, true=p.classes[true]))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            help_event: QHelpEvent = event  # type: ignore[assignment]
            text = self.tooltip_at(help_event.pos().x(), help_event.pos().y())
            if text:
                QToolTip.showText(help_event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.BACKGROUND)
        p = self.predictions
        if p is None or not p.inputs:
            painter.setPen(theme.DIM)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, tr("Validation samples appear after an epoch"))
            return
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        columns, size = self.layout_()
        for index, array in enumerate(self._images()):
            row, col = divmod(index, columns)
            x, y = 4 + col * size, 4 + row * (size + self.CAPTION)
            target = QRectF(x + 2, y + 2, size - 4, size - 4)
            painter.drawImage(target, to_image(array))
            self._caption(painter, index, QRectF(x, y + size, size, self.CAPTION), target)

    def _caption(self, painter: QPainter, index: int, where: QRectF, image: QRectF) -> None:
        first, second = self.captions(index)
        wrong = second is not None
        if self.predictions.classes is not None:
            painter.setPen(QPen(theme.ERROR if wrong else theme.OK, 2))
            painter.drawRect(image)
        elif index % 2 == 1:
            painter.setPen(QPen(theme.ACCENT, 1.5))
            painter.drawRect(image)
        half = QRectF(where.x(), where.y(), where.width(), where.height() / 2)
        painter.setPen(theme.ERROR if wrong else theme.DIM)
        painter.drawText(half, Qt.AlignmentFlag.AlignCenter, _fit(painter, first, where.width()))
        if second:
            painter.drawText(half.translated(0, half.height()), Qt.AlignmentFlag.AlignCenter,
                             _fit(painter, second, where.width()))


class ResultsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.confusion = ConfusionMatrix()
        self.samples = PredictionGrid()
        layout.addWidget(self.confusion, 2)
        layout.addWidget(self.samples, 3)

    def clear(self) -> None:
        self.confusion.show_matrix([], None, [])
        self.samples.predictions = None
        self.samples.update()

    def set_classification(self, classification: bool) -> None:
        """A confusion matrix only means something for classes; otherwise the samples take the room."""
        self.confusion.setVisible(classification)
        if not classification:
            self.confusion.show_matrix([], None, [])
