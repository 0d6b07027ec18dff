"""The Try It page: an image of the user's through the trained model (dropped, opened or pasted). A classifier
shows its five most likely classes as bars and, with Grad-CAM, where in the image it looked; a network that
makes images (reconstruction, regression to a map) shows its output beside the input; a GAN's generator makes
an image from a seed, each slider moving a pair of its latent values."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from builder.core.i18n import N_, tr
from builder.ui.inside_panel import pixmap

SHOWN = 5  # classes shown as bars
PICTURE = 180  # px of the input and output pictures
TRY_HINT = N_("Drop an image here, or open or paste one, to see what the trained model makes of it.")


def picture(values: np.ndarray) -> np.ndarray:
    """A C×H×W image in [0, 1] (1, 3 or more channels) as H×W×3 uint8, scaled up to about PICTURE px."""
    base = values[:3] if values.shape[0] >= 3 else np.repeat(values[:1], 3, axis=0)
    rgb = (np.clip(base.transpose(1, 2, 0), 0, 1) * 255).round().astype(np.uint8)
    scale = max(1, PICTURE // max(rgb.shape[:2]))
    return rgb.repeat(scale, axis=0).repeat(scale, axis=1)


class TryPanel(QWidget):
    image_dropped = Signal(str)  # a file's path
    open_requested = Signal()
    paste_requested = Signal()
    cam_changed = Signal()  # Grad-CAM switched on or off, or another layer or class chosen
    generate_requested = Signal()
    shown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.hint = QLabel(tr(TRY_HINT))
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        self.open = QPushButton(tr("Open Image…"))
        self.open.clicked.connect(self.open_requested)
        self.paste = QPushButton(tr("Paste"))
        self.paste.setToolTip(tr("Try the image on the clipboard"))
        self.paste.clicked.connect(self.paste_requested)
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(self.open)
        top.addWidget(self.paste)
        self.input = QLabel()
        self.input.setFixedSize(PICTURE + 8, PICTURE + 8)
        self.input.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.output = QLabel()
        self.output.setFixedSize(PICTURE + 8, PICTURE + 8)
        self.output.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bars = [(QLabel(), QProgressBar()) for _ in range(SHOWN)]
        bars = QGridLayout()
        for row, (name, bar) in enumerate(self.bars):
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bars.addWidget(name, row, 0)
            bars.addWidget(bar, row, 1)
        self.bars_box = QWidget()
        self.bars_box.setLayout(bars)
        self.cam = QCheckBox(tr("Where it looks (Grad-CAM)"))
        self.cam.toggled.connect(self.cam_changed)
        self.cam_layer = QComboBox()
        self.cam_layer.setToolTip(tr("The conv layer Grad-CAM reads (the last one by default)"))
        self.cam_layer.currentIndexChanged.connect(lambda _i: self.cam_changed.emit())
        self.cam_class = QComboBox()
        self.cam_class.setToolTip(tr("The class whose evidence is shown (the predicted one by default)"))
        for combo in (self.cam_layer, self.cam_class):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.cam_class.currentIndexChanged.connect(lambda _i: self.cam_changed.emit())
        cam = QHBoxLayout()
        cam.addWidget(self.cam)
        cam.addWidget(self.cam_layer)
        cam.addWidget(self.cam_class)
        cam.addStretch()
        self.generator = self._generator_controls()
        middle = QVBoxLayout()  # the Grad-CAM row first: it stays put as the bars come and go
        middle.addLayout(cam)
        middle.addWidget(self.bars_box)
        middle.addStretch()
        body = QHBoxLayout()
        self.output_caption = QLabel()
        self.output_caption.setProperty("role", "hint")
        self.output_caption.setFixedWidth(PICTURE + 8)
        self.output_caption.setWordWrap(True)
        self.output_caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        beside = QVBoxLayout()  # beside the input: the heat map over it, or the output image to compare
        beside.addWidget(self.output)
        beside.addWidget(self.output_caption)
        beside.addStretch()
        inputs = QVBoxLayout()
        inputs.addWidget(self.input)
        inputs.addStretch()
        body.addLayout(inputs)
        body.addLayout(beside)
        body.addSpacing(12)
        body.addLayout(middle, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addWidget(self.generator)
        self.mode = "classifier"
        self.show_classes([])  # nothing tried yet: no bars
        self.show_mode("classifier")

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.shown.emit()

    def _generator_controls(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(tr("seed")))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        row.addWidget(self.seed)
        self.generate = QPushButton(tr("Generate"))
        self.generate.clicked.connect(self.generate_requested)
        row.addWidget(self.generate)
        self.sliders_box = QWidget()
        self.sliders = QGridLayout(self.sliders_box)
        scroll = QScrollArea()
        scroll.setWidget(self.sliders_box)
        scroll.setWidgetResizable(True)
        scroll.setFixedHeight(90)
        row.addWidget(scroll, 1)
        self.slider_list: list[QSlider] = []
        return box

    def set_latent_pairs(self, pairs: int) -> None:
        """One slider per pair of latent values, moving both: -3 to 3 in tenths, 0 in the middle."""
        for slider in self.slider_list:
            slider.deleteLater()
        self.slider_list = []
        for pair in range(pairs):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-30, 30)
            slider.setToolTip(tr("latent values {first} and {second}", first=2 * pair, second=2 * pair + 1))
            slider.valueChanged.connect(lambda _v: self.generate_requested.emit())
            self.sliders.addWidget(slider, pair // 4, pair % 4)
            self.slider_list.append(slider)

    def offsets(self) -> list[float]:
        return [s.value() / 10 for s in self.slider_list]

    def show_mode(self, mode: str) -> None:
        """"classifier", "image" (its output beside the input) or "generator"."""
        self.mode = mode
        self.bars_box.setVisible(mode == "classifier" and self.bars[0][1].isVisibleTo(self.bars_box))
        self.cam.setVisible(mode == "classifier")
        for combo in (self.cam_layer, self.cam_class):  # listed once an answer names the conv layers
            combo.setVisible(mode == "classifier" and combo.count() > 0)
        self.generator.setVisible(mode == "generator")
        for widget in (self.open, self.paste):
            widget.setVisible(mode != "generator")
        self.input.setVisible(mode != "generator")

    def show_input(self, values: np.ndarray) -> None:
        self.input.setPixmap(pixmap(picture(values)))

    def show_output_image(self, values: np.ndarray | None, caption: str = "") -> None:
        self.output_caption.setText(caption if values is not None else "")
        if values is None:
            self.output.clear()
        else:
            self.output.setPixmap(pixmap(picture(values)))

    def show_heat(self, rgb: np.ndarray | None, caption: str = "") -> None:
        self.output_caption.setText(caption if rgb is not None else "")
        if rgb is None:
            self.output.clear()
            return
        scale = max(1, PICTURE // max(rgb.shape[:2]))
        self.output.setPixmap(pixmap(rgb.repeat(scale, axis=0).repeat(scale, axis=1)))

    def show_classes(self, ranked: list[Any]) -> None:
        for (name, bar), entry in zip(self.bars, [*ranked, *[None] * SHOWN]):
            name.setText(entry.name if entry else "")
            bar.setValue(round(entry.probability * 1000) if entry else 0)
            bar.setFormat(f"{entry.probability:.1%}" if entry else "")
            bar.setVisible(entry is not None)
        self.bars_box.setVisible(self.mode == "classifier" and bool(ranked))

    def set_cam_choices(self, layers: list[str], classes: list[str]) -> None:
        """The conv layers, and the classes after "predicted class"; each item's data is its layer or class name (None:
        the predicted class), which keeps the choice across refills in any language."""
        for combo, items, first in ((self.cam_layer, layers, None), (self.cam_class, classes, tr("predicted class"))):
            combo.blockSignals(True)
            current = combo.currentData() if combo.count() else False
            combo.clear()
            if first:
                combo.addItem(first, None)
            for item in items:
                combo.addItem(item, item)
            if current not in (False, None) and combo.findData(current) >= 0:  # None: the predicted class, first
                combo.setCurrentIndex(combo.findData(current))
            elif first is None and items:
                combo.setCurrentIndex(len(items) - 1)  # the last conv layer
            combo.blockSignals(False)
            combo.setVisible(self.mode == "classifier" and bool(layers))
        self.cam.setEnabled(bool(layers))

    # -- drops ----------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.image_dropped.emit(files[0])
            event.acceptProposedAction()
