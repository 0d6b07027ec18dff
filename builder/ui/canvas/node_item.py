"""A block on the canvas: header in its category's colour, id, key parameters, output shape, ports."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from builder.blocks.check import NodeInfo
from builder.blocks.registry import BLOCKS
from builder.core.graph import Node
from builder.core.problems import Problem
from builder.core.shapes import format_shape
from builder.ui import theme

WIDTH = 164.0
HEADER = 24.0
LINE = 17.0
BODY = 3 * LINE + 12
PORT_RADIUS = 5.0
PORT_HIT = 11.0
PORT_GAP = 20.0

_SHORT = {"kernel_size": "k", "stride": "s", "padding": "p", "groups": "g", "depth_multiplier": "×",
          "negative_slope": "slope ", "dim": "dim ", "output_size": "→", "size": "→", "scale_factor": "×",
          "p": "p "}


def summary(type_name: str, params: dict[str, Any]) -> str:
    """Key parameters in a few characters: `16 · k3 · s2 · p1`."""
    spec = BLOCKS.get(type_name)
    if spec is None:
        return "unknown block"
    parts = []
    for name in spec.key_params:
        value = params.get(name)
        if value is None:
            continue
        text = "×".join(_number(v) for v in value) if isinstance(value, (list, tuple)) else _number(value)
        parts.append(f"{_SHORT.get(name, '')}{text}")
    return " · ".join(parts)


def compact_count(count: int) -> str:
    if count < 1000:
        return str(count)
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if count >= size:
            value = count / size
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return str(count)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node = node
        self.info: NodeInfo | None = None
        self.problems: list[Problem] = []
        self.wired_ports = 0
        self.edges: list[Any] = []  # EdgeItems attached, kept up to date by the scene
        self.spec = BLOCKS.get(node.type)
        flags = (QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                 | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setFlags(flags)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self._hover = False
        pos = (node.ui or {}).get("pos")
        if isinstance(pos, list) and len(pos) == 2 and all(isinstance(v, (int, float)) for v in pos):
            self.setPos(float(pos[0]), float(pos[1]))

    # -- geometry -------------------------------------------------------------------------------

    @property
    def input_count(self) -> int:
        if self.spec is None:
            return 1
        if self.spec.max_inputs is None:  # Add/Concat: the wired ports and one free to add another
            return max(self.spec.min_inputs, self.wired_ports + 1)
        return self.spec.max_inputs

    @property
    def has_output(self) -> bool:
        return self.spec is None or not self.spec.is_output

    @property
    def height(self) -> float:
        return max(HEADER + BODY, HEADER + 12 + self.input_count * PORT_GAP)

    def boundingRect(self) -> QRectF:
        return QRectF(-PORT_HIT, -2, WIDTH + 2 * PORT_HIT, self.height + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(-PORT_HIT, 0, WIDTH + 2 * PORT_HIT, self.height), 6, 6)
        return path

    def input_pos(self, port: int) -> QPointF:
        """Scene position of input port `port`."""
        count = self.input_count
        top = HEADER + (self.height - HEADER) / 2 - (count - 1) * PORT_GAP / 2
        return self.mapToScene(QPointF(0, top + port * PORT_GAP))

    def output_pos(self) -> QPointF:
        return self.mapToScene(QPointF(WIDTH, HEADER + (self.height - HEADER) / 2))

    def port_at(self, scene_pos: QPointF) -> tuple[str, int] | None:
        """("in", port) or ("out", 0) when scene_pos is on a port."""
        if self.has_output and _near(scene_pos, self.output_pos()):
            return ("out", 0)
        for port in range(self.input_count):
            if _near(scene_pos, self.input_pos(port)):
                return ("in", port)
        return None

    # -- state from the document and the check ------------------------------------------------

    def set_node(self, node: Node) -> None:
        self.node = node
        self.spec = BLOCKS.get(node.type)
        self.update()

    def set_report(self, info: NodeInfo | None, problems: list[Problem], wired_ports: int) -> None:
        grew = wired_ports != self.wired_ports
        if grew:
            self.prepareGeometryChange()
        changed = grew or info != self.info or problems != self.problems
        self.info, self.problems, self.wired_ports = info, problems, wired_ports
        if changed:
            self.setToolTip(self._tooltip())
            self.update()
            if grew:
                for edge in self.edges:
                    edge.adjust()

    def _tooltip(self) -> str:
        errors = [p.message for p in self.problems if not p.warning]
        warnings = [p.message for p in self.problems if p.warning]
        lines = [f"<b>{self.node.id}</b> ({self.node.type})"]
        lines += [f"<span style='color:{theme.ERROR.name()}'>✖ {m}</span>" for m in errors]
        lines += [f"<span style='color:{theme.WARNING.name()}'>⚠ {m}</span>" for m in warnings]
        if not self.problems and self.spec is not None:
            lines.append(self.spec.description)
        return "<br>".join(lines)

    @property
    def has_error(self) -> bool:
        return any(not p.warning for p in self.problems)

    # -- painting -------------------------------------------------------------------------------

    def paint(self, painter: QPainter, _option: QStyleOptionGraphicsItem, _widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, WIDTH, self.height)
        color = theme.category_color(self.spec.category) if self.spec else theme.ERROR.darker(150)
        body = QPainterPath()
        body.addRoundedRect(rect, 6, 6)
        painter.fillPath(body, theme.RAISED)

        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, WIDTH, HEADER + 6), 6, 6)
        painter.save()
        painter.setClipRect(QRectF(0, 0, WIDTH, HEADER))
        painter.fillPath(header, color.darker(125))
        painter.restore()

        if self.has_error:
            outline = QPen(theme.ERROR, 2)
        elif self.isSelected():
            outline = QPen(theme.ACCENT, 2)
        elif self._hover:
            outline = QPen(theme.DIM, 1.2)
        else:
            outline = QPen(theme.BORDER, 1)
        painter.setPen(outline)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(body)

        font = QFont(painter.font())
        font.setPointSizeF(9)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRectF(10, 0, WIDTH - 40, HEADER), Qt.AlignmentFlag.AlignVCenter, self.node.type)
        if self.problems:
            badge = theme.ERROR if self.has_error else theme.WARNING
            painter.setBrush(badge)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(WIDTH - 14, HEADER / 2), 7, 7)
            painter.setPen(QColor("#1e1f22"))
            painter.drawText(QRectF(WIDTH - 21, 0, 14, HEADER), Qt.AlignmentFlag.AlignCenter, "!")

        y = HEADER + 6
        painter.setPen(theme.TEXT)
        painter.drawText(QRectF(10, y, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                         _elide(painter, self.node.id, WIDTH - 20))
        font.setBold(False)
        font.setPointSizeF(8.5)
        painter.setFont(font)
        painter.setPen(theme.DIM)
        params = self.info.resolved if self.info else self.node.params
        shown = {k: v for k, v in params.items() if k in self.node.params}
        painter.drawText(QRectF(10, y + LINE, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                         _elide(painter, summary(self.node.type, shown), WIDTH - 20))
        if self.info is not None:
            painter.setPen(theme.OK if not self.has_error else theme.DIM)
            painter.drawText(QRectF(10, y + 2 * LINE, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                             format_shape(self.info.shape))
            if self.info.params:
                painter.setPen(theme.DIM)
                painter.drawText(QRectF(10, y + 2 * LINE, WIDTH - 20, LINE),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                                 f"{compact_count(self.info.params)} params")
        else:
            painter.setPen(theme.ERROR if self.has_error else theme.DIM)
            painter.drawText(QRectF(10, y + 2 * LINE, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                             "shape unknown" if not self.has_error else "see problem")

        painter.setPen(QPen(theme.BACKGROUND, 1.5))
        for port in range(self.input_count if self.spec is None or not self.spec.is_input else 0):
            wired = port < self.wired_ports
            painter.setBrush(QBrush(color.lighter(130) if wired else theme.PANEL))
            painter.drawEllipse(self.mapFromScene(self.input_pos(port)), PORT_RADIUS, PORT_RADIUS)
        if self.has_output:
            painter.setBrush(QBrush(color.lighter(130)))
            painter.drawEllipse(self.mapFromScene(self.output_pos()), PORT_RADIUS, PORT_RADIUS)

    # -- interaction ----------------------------------------------------------------------------

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: Any) -> None:
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: Any) -> None:
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)


def _near(a: QPointF, b: QPointF) -> bool:
    return (a.x() - b.x()) ** 2 + (a.y() - b.y()) ** 2 <= PORT_HIT**2


def _elide(painter: QPainter, text: str, width: float) -> str:
    return QFontMetricsF(painter.font()).elidedText(text, Qt.TextElideMode.ElideRight, width)
