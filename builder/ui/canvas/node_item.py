"""A block on the canvas: header in its category's colour, id, key parameters, output shape, ports."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from builder.blocks.check import NodeInfo
from builder.blocks.params import BOOL, CHOICE, FLOAT_PAIR, INT_PAIR, SHAPE, Param, pair
from builder.blocks.registry import BLOCKS
from builder.core.graph import Node
from builder.core.problems import Problem
from builder.core.shapes import format_shape
from builder.ui import theme

WIDTH = 164.0
HEADER = 24.0
LINE = 17.0
BODY = 3 * LINE + 12
PORT_RADIUS = 5.5
PORT_HIT = 14.0  # a port is grabbed or hit from this far (scene px): well beyond its ring, an easy target
PORT_GAP = 20.0
TEXT_WIDTH = WIDTH - 20
SEPARATOR = " · "


def summary(type_name: str, params: dict[str, Any]) -> str:
    """The parameters that make this layer what it is, from its declaration: the required ones and those set
    away from their default (`16 · k3 · p1 · g16 · no bias`). Inferred ones (in_channels) only repeat what the
    wire gives, and a shape is on the node's last line already, so both are left out."""
    return SEPARATOR.join(summary_parts(type_name, params))


def summary_parts(type_name: str, params: dict[str, Any]) -> list[str]:
    spec = BLOCKS.get(type_name)
    if spec is None:
        return ["unknown block"]
    parts = []
    for param in spec.params:
        if param.inferred or param.kind == SHAPE:
            continue
        value = _normalized(param, params.get(param.name, None if param.required else param.default))
        if value is not None and (param.required or not _is_default(param, value)):
            parts.append(_labelled(param, value))
    return parts


def _normalized(param: Param, value: Any) -> Any:
    """As validation gives it (a pair as a tuple), or as written when invalid: the node shows what is set."""
    normal, error = param.validate(value)
    return value if error else normal


def _is_default(param: Param, value: Any) -> bool:
    if param.kind in (INT_PAIR, FLOAT_PAIR) and param.default is not None:
        return pair(value) == pair(param.default)
    if param.kind == BOOL and param.default is None:
        return value is False  # an unset flag is off in torch (align_corners): False changes nothing
    return value == param.default


def _labelled(param: Param, value: Any) -> str:
    label = param.name if param.short is None else param.short
    if param.kind == BOOL:
        return label if value else f"no {label}"
    if param.kind == CHOICE:
        return f"{param.short}{value}" if param.short else str(value)  # the choice names itself
    if isinstance(value, (list, tuple)):
        text = _number(value[0]) if len(set(value)) == 1 else "×".join(_number(v) for v in value)
    else:
        text = _number(value)
    return f"{label}{text}" if param.short is not None else f"{label} {text}"


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
        self.summary_lines = self._wrapped_summary()
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
        text = HEADER + BODY + (len(self.summary_lines) - 1) * LINE
        return max(text, HEADER + 12 + self.input_count * PORT_GAP)

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

    def ports(self, kind: str) -> list[tuple[int, QPointF]]:
        """The ports of a kind ("in" or "out") as (port, scene position)."""
        if kind == "out":
            return [(0, self.output_pos())] if self.has_output else []
        if self.spec is not None and self.spec.is_input:
            return []
        return [(port, self.input_pos(port)) for port in range(self.input_count)]

    def port_at(self, scene_pos: QPointF) -> tuple[str, int] | None:
        """("in", port) or ("out", 0) for the nearest port within PORT_HIT of scene_pos (hit areas of an Add's
        ports overlap: the nearer one wins)."""
        near = [(distance(scene_pos, at), kind, port) for kind in ("out", "in") for port, at in self.ports(kind)]
        hits = sorted(hit for hit in near if hit[0] <= PORT_HIT)
        return (hits[0][1], hits[0][2]) if hits else None

    # -- state from the document and the check ------------------------------------------------

    def set_node(self, node: Node) -> None:
        self.node = node
        self.spec = BLOCKS.get(node.type)
        lines = self._wrapped_summary()
        resized = len(lines) != len(self.summary_lines)
        if resized:
            self.prepareGeometryChange()  # a line more or less: the block's height and its ports move
        self.summary_lines = lines
        self.update()
        if resized:
            for edge in self.edges:
                edge.adjust()

    @property
    def summary_text(self) -> str:
        return SEPARATOR.join(line for line in self.summary_lines if line)

    def _wrapped_summary(self) -> list[str]:
        """The summary on one line, or on two when it would be cut short (broken between parameters): a layer
        with several non-default parameters (`32 · k3 · s2 · p1 · no bias`) shows them all."""
        parts = summary_parts(self.node.type, self.node.params)
        metrics = QFontMetricsF(_detail_font())
        cut = len(parts)
        while cut > 1 and metrics.horizontalAdvance(SEPARATOR.join(parts[:cut])) > TEXT_WIDTH:
            cut -= 1
        rest = SEPARATOR.join(parts[cut:])
        return [SEPARATOR.join(parts[:cut])] + ([rest] if rest else [])

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
        painter.setFont(_detail_font())
        painter.setPen(theme.DIM)
        for line in self.summary_lines:
            y += LINE
            painter.drawText(QRectF(10, y, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                             _elide(painter, line, WIDTH - 20))
        y += LINE  # the shape's row, under the summary
        if self.info is not None:
            painter.setPen(theme.OK if not self.has_error else theme.DIM)
            painter.drawText(QRectF(10, y, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                             format_shape(self.info.shape))
            if self.info.params:
                painter.setPen(theme.DIM)
                painter.drawText(QRectF(10, y, WIDTH - 20, LINE),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                                 f"{compact_count(self.info.params)} params")
        else:
            painter.setPen(theme.ERROR if self.has_error else theme.DIM)
            painter.drawText(QRectF(10, y, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                             "shape unknown" if not self.has_error else "see problem")

        for port, at in self.ports("in"):
            _paint_port(painter, self.mapFromScene(at), color, wired=port < self.wired_ports)
        for _port, at in self.ports("out"):
            _paint_port(painter, self.mapFromScene(at), color, wired=True)  # an output always offers a wire

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


def distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


def _paint_port(painter: QPainter, centre: QPointF, color: QColor, wired: bool) -> None:
    """A wired port is a filled dot. A free one is a hollow ring in its category's colour inside a light rim:
    a dark dot on the dark canvas was all but invisible, and an input still waiting for a wire must show."""
    if wired:
        painter.setPen(QPen(theme.BACKGROUND, 1.5))
        painter.setBrush(QBrush(color.lighter(130)))
        painter.drawEllipse(centre, PORT_RADIUS, PORT_RADIUS)
        return
    painter.setPen(QPen(theme.TEXT, 1.2))
    painter.setBrush(QBrush(theme.CANVAS))
    painter.drawEllipse(centre, PORT_RADIUS + 1.5, PORT_RADIUS + 1.5)
    painter.setPen(QPen(color.lighter(150), 2.4))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(centre, PORT_RADIUS - 0.8, PORT_RADIUS - 0.8)


def _detail_font() -> QFont:
    """The parameters' and shape's font: the canvas's own, a little smaller than the block's name."""
    font = QFont()
    font.setPointSizeF(8.5)
    return font


def _elide(painter: QPainter, text: str, width: float) -> str:
    return QFontMetricsF(painter.font()).elidedText(text, Qt.TextElideMode.ElideRight, width)
