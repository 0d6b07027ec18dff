"""Block icons drawn from their category colour and a short tag, so a new block gets one for free."""

from __future__ import annotations

import re
from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from builder.blocks.registry import BLOCKS
from builder.ui.theme import MODULE, category_color


def tag(type_name: str) -> str:
    """Capitals and digits of the type: Conv2d -> C2, BatchNorm2d -> BN2, ReLU -> RLU."""
    letters = "".join(re.findall(r"[A-Z0-9]", type_name))
    return (letters or type_name[:2])[:3]


@cache
def block_icon(type_name: str, size: int = 32) -> QIcon:
    spec = BLOCKS.get(type_name)
    color = category_color(spec.category) if spec else MODULE  # a model of the project, used as a block
    icon = QIcon()
    for scale in (1, 2):  # crisp at 100% and 200%
        pixmap = QPixmap(size * scale, size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color.darker(115))
        painter.drawRoundedRect(QRectF(1, 1, size - 2, size - 2), 6, 6)
        painter.setPen(QColor("#ffffff"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(size * (0.42 if len(tag(type_name)) < 3 else 0.32)))
        painter.setFont(font)
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, tag(type_name))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
