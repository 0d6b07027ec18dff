"""A block on the canvas: header in its category's colour, id, key parameters, output shape, ports."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from builder.blocks.check import NodeInfo
from builder.blocks.modules import module_inputs, module_outputs, param_of
from builder.blocks.params import BOOL, CHOICE, FLOAT_PAIR, INT_LIST, INT_PAIR, SHAPE, Param, pair
from builder.blocks.registry import BLOCKS
from builder.core.graph import ModelGraph, Node, ref_name
from builder.core.i18n import tr
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


@dataclass(frozen=True)
class ModuleLook:
    """What a use of a module shows: the module's port names and declared parameters."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[Param, ...]

    @classmethod
    def of(cls, model: ModelGraph | None) -> ModuleLook | None:
        if model is None:
            return None
        return cls(model.name, tuple(module_inputs(model)), tuple(module_outputs(model)),
                   tuple(param_of(p) for p in model.params))

    @property
    def labelled(self) -> bool:
        """Ports are named on the node when the module has several of a kind (Up's `x` and `skip`)."""
        return len(self.inputs) > 1 or len(self.outputs) > 1


def summary(type_name: str, params: dict[str, Any]) -> str:
    """The parameters that make this layer what it is, from its declaration: the required ones and those set
    away from their default (`16 · k3 · p1 · g16 · no bias`). Inferred ones (in_channels) only repeat what the
    wire gives, and a shape is on the node's last line already, so both are left out."""
    return SEPARATOR.join(summary_parts(type_name, params))


def summary_parts(type_name: str, params: dict[str, Any], module: ModuleLook | None = None) -> list[str]:
    if module is not None:  # a use: every value it gives the module, as the call reads (`planes 128 · stride 2`)
        return [_labelled(p, _normalized(p, params.get(p.name, p.default))) for p in module.params]
    spec = BLOCKS.get(type_name)
    if spec is None:
        return [tr("unknown block")]
    parts = []
    for param in spec.params:
        if ref_name(params.get(param.name)) is not None:  # inside a module: the value is the module's
            label = param.name if param.short is None else param.short
            parts.append(f"{label}={ref_name(params[param.name])}" if label else ref_name(params[param.name]))
            continue
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
        return label if value else tr("no {name}", name=label)  # a flag set off: `no bias`
    if param.kind == CHOICE:
        return f"{param.short}{value}" if param.short else str(value)  # the choice names itself
    if param.kind == INT_LIST and isinstance(value, (list, tuple)):
        text = ",".join(_number(v) for v in value)  # dims or sizes, each its own: [2, 2] is not 2
    elif isinstance(value, (list, tuple)):
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
    def __init__(self, node: Node, module: ModuleLook | None = None) -> None:
        super().__init__()
        self.node = node
        self.module = module  # a use of one of the project's models: its look, else None
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
        self._tooltip_stale = True
        self.summary_lines = self._wrapped_summary()
        pos = (node.ui or {}).get("pos")
        if isinstance(pos, list) and len(pos) == 2 and all(isinstance(v, (int, float)) for v in pos):
            self.setPos(float(pos[0]), float(pos[1]))

    # -- geometry -------------------------------------------------------------------------------

    @property
    def input_count(self) -> int:
        if self.module is not None:
            return len(self.module.inputs)
        if self.spec is None:
            return 1
        if self.spec.max_inputs is None:  # Add/Concat: the wired ports and one free to add another
            return max(self.spec.min_inputs, self.wired_ports + 1)
        return self.spec.max_inputs

    @property
    def output_count(self) -> int:
        if self.module is not None:
            return len(self.module.outputs)
        return 0 if self.spec is not None and self.spec.is_output else 1

    @property
    def has_output(self) -> bool:
        return self.output_count > 0

    @property
    def labelled(self) -> bool:
        return self.module is not None and self.module.labelled

    @property
    def _text_bottom(self) -> float:
        return HEADER + BODY + (len(self.summary_lines) - 1) * LINE

    @property
    def height(self) -> float:
        if self.labelled:  # a row per port under the text, its name beside it
            return self._text_bottom + max(self.input_count, self.output_count) * PORT_GAP + 4
        return max(self._text_bottom, HEADER + 12 + max(self.input_count, self.output_count) * PORT_GAP)

    def boundingRect(self) -> QRectF:
        return QRectF(-PORT_HIT, -2, WIDTH + 2 * PORT_HIT, self.height + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(-PORT_HIT, 0, WIDTH + 2 * PORT_HIT, self.height), 6, 6)
        return path

    def _port_y(self, port: int, count: int) -> float:
        if self.labelled:
            return self._text_bottom + PORT_GAP / 2 + port * PORT_GAP
        return HEADER + (self.height - HEADER) / 2 - (count - 1) * PORT_GAP / 2 + port * PORT_GAP

    def input_pos(self, port: int) -> QPointF:
        """Scene position of input port `port`."""
        return self.mapToScene(QPointF(0, self._port_y(port, self.input_count)))

    def output_pos(self, port: int = 0) -> QPointF:
        """Scene position of output port `port` (a module with several Outputs has one each)."""
        return self.mapToScene(QPointF(WIDTH, self._port_y(port, max(self.output_count, 1))))

    def ports(self, kind: str) -> list[tuple[int, QPointF]]:
        """The ports of a kind ("in" or "out") as (port, scene position)."""
        if kind == "out":
            return [(port, self.output_pos(port)) for port in range(self.output_count)]
        if self.spec is not None and self.spec.is_input:
            return []
        return [(port, self.input_pos(port)) for port in range(self.input_count)]

    def port_at(self, scene_pos: QPointF) -> tuple[str, int] | None:
        """("in", port) or ("out", port) for the nearest port within PORT_HIT of scene_pos (hit areas of an
        Add's ports overlap: the nearer one wins)."""
        near = [(distance(scene_pos, at), kind, port) for kind in ("out", "in") for port, at in self.ports(kind)]
        hits = sorted(hit for hit in near if hit[0] <= PORT_HIT)
        return (hits[0][1], hits[0][2]) if hits else None

    # -- state from the document and the check ------------------------------------------------

    def set_node(self, node: Node, module: ModuleLook | None = None) -> None:
        ports = (self.input_count, self.output_count, self.labelled)
        self.node, self.module = node, module
        self.spec = BLOCKS.get(node.type)
        lines = self._wrapped_summary()
        resized = len(lines) != len(self.summary_lines) or ports != (self.input_count, self.output_count,
                                                                      self.labelled)
        if resized:
            self.prepareGeometryChange()  # a line more or less: the block's height and its ports move
        self.summary_lines = lines
        self._tooltip_stale = True
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
        parts = summary_parts(self.node.type, self.node.params, self.module)
        metrics = QFontMetricsF(_detail_font())
        cut = len(parts)
        while cut > 1 and metrics.horizontalAdvance(SEPARATOR.join(parts[:cut])) > TEXT_WIDTH:
            cut -= 1
        rest = SEPARATOR.join(parts[cut:])
        return [SEPARATOR.join(parts[:cut])] + ([rest] if rest else [])

    def set_report(self, info: NodeInfo | None, problems: list[Problem], wired_ports: int) -> None:
        """Repainted only when what it shows changed: after an edit, most blocks of a large graph keep their
        shapes (a check made again from the last one hands them the very same info)."""
        grew = wired_ports != self.wired_ports
        if grew:
            self.prepareGeometryChange()
        changed = grew or (info is not self.info and info != self.info) or problems != self.problems
        self.info, self.problems, self.wired_ports = info, problems, wired_ports
        if changed:
            self._tooltip_stale = True  # written when the pointer comes to it: thousands per edit are slow
            self.update()
            if grew:
                for edge in self.edges:
                    edge.adjust()

    def toolTip(self) -> str:  # noqa: N802 (Qt's name)
        self.refresh_tooltip()
        return super().toolTip()

    def refresh_tooltip(self) -> None:
        if self._tooltip_stale:
            self._tooltip_stale = False
            self.setToolTip(self._tooltip())

    def _tooltip(self) -> str:
        errors = [p.message for p in self.problems if not p.warning]
        warnings = [p.message for p in self.problems if p.warning]
        lines = [f"<b>{self.node.id}</b> ({self.node.type})"]
        lines += [f"<span style='color:{theme.ERROR.name()}'>✖ {m}</span>" for m in errors]
        lines += [f"<span style='color:{theme.WARNING.name()}'>⚠ {m}</span>" for m in warnings]
        if not self.problems and self.spec is not None:
            lines.append(tr(self.spec.description))
        if self.module is not None:
            lines.append(tr("A use of the module {module}: double-click to open its definition",
                            module=self.module.name))
        return "<br>".join(lines)

    @property
    def has_error(self) -> bool:
        return any(not p.warning for p in self.problems)

    # -- painting -------------------------------------------------------------------------------

    def paint(self, painter: QPainter, _option: QStyleOptionGraphicsItem, _widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, WIDTH, self.height)
        if self.module is not None:
            color = theme.MODULE
        else:
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
        painter.drawText(QRectF(10, 0, WIDTH - 40, HEADER), Qt.AlignmentFlag.AlignVCenter,
                         _elide(painter, self.node.type, WIDTH - 44))
        if self.module is not None:
            _paint_graph_mark(painter, QPointF(WIDTH - (36 if self.problems else 18), HEADER / 2))
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
                                 tr("{count} params", count=compact_count(self.info.params)))
        else:
            painter.setPen(theme.ERROR if self.has_error else theme.DIM)
            painter.drawText(QRectF(10, y, WIDTH - 20, LINE), Qt.AlignmentFlag.AlignVCenter,
                             tr("shape unknown") if not self.has_error else tr("see problem"))

        if self.labelled:
            self._paint_port_names(painter)
        for port, at in self.ports("in"):
            _paint_port(painter, self.mapFromScene(at), color, wired=port < self.wired_ports)
        for _port, at in self.ports("out"):
            _paint_port(painter, self.mapFromScene(at), color, wired=True)  # an output always offers a wire

    def _paint_port_names(self, painter: QPainter) -> None:
        painter.setFont(_detail_font())
        painter.setPen(theme.DIM)
        for port, name in enumerate(self.module.inputs):
            y = self._port_y(port, self.input_count)
            painter.drawText(QRectF(10, y - LINE / 2, WIDTH / 2 - 12, LINE), Qt.AlignmentFlag.AlignVCenter,
                             _elide(painter, name, WIDTH / 2 - 12))
        for port, name in enumerate(self.module.outputs):
            y = self._port_y(port, self.output_count)
            painter.drawText(QRectF(WIDTH / 2, y - LINE / 2, WIDTH / 2 - 10, LINE),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             _elide(painter, name, WIDTH / 2 - 10))

    # -- interaction ----------------------------------------------------------------------------

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: Any) -> None:
        self.refresh_tooltip()  # before the scene asks for it to show
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


def _paint_graph_mark(painter: QPainter, centre: QPointF) -> None:
    """The mark of a node that holds a graph: three small linked boxes, as a tiny network."""
    painter.save()
    painter.setPen(QPen(QColor("#ffffff"), 1.2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    left, right, up = centre + QPointF(-6, 0), centre + QPointF(5, -4), centre + QPointF(5, 4)
    painter.drawLine(left, right)
    painter.drawLine(left, up)
    for point in (left, right, up):
        painter.setBrush(QColor("#ffffff"))
        painter.drawRect(QRectF(point.x() - 2.2, point.y() - 2.2, 4.4, 4.4))
    painter.restore()


def _detail_font() -> QFont:
    """The parameters' and shape's font: the canvas's own, a little smaller than the block's name."""
    font = QFont()
    font.setPointSizeF(8.5)
    return font


def _elide(painter: QPainter, text: str, width: float) -> str:
    return QFontMetricsF(painter.font()).elidedText(text, Qt.TextElideMode.ElideRight, width)
