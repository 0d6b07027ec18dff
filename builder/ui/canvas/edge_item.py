"""A wire: a curve from a node's output to another node's input port."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle, QStyleOptionGraphicsItem

from builder.core.graph import Edge
from builder.ui import theme


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal S-curve, as in shader editors: it leaves to the right and arrives from the left.

    A wire going backwards (to a node left of its source, as when a chain wraps to a new row) loops
    through the gap between the two; a long wire along a row (a skip connection) arcs over the
    nodes it passes instead of running behind them.
    """
    path = QPainterPath(start)
    dx, dy = end.x() - start.x(), end.y() - start.y()
    if dx < 30:
        reach = 70.0
        mid = QPointF((start.x() + end.x()) / 2, (start.y() + end.y()) / 2)
        path.cubicTo(start + QPointF(reach, 0), QPointF(start.x() + reach, mid.y()), mid)
        path.cubicTo(QPointF(end.x() - reach, mid.y()), end - QPointF(reach, 0), end)
        return path
    if dx > 320 and abs(dy) < 60:
        lift = min(110.0, 40.0 + dx * 0.08)
        path.cubicTo(start + QPointF(dx * 0.25, -lift * 1.3), end - QPointF(dx * 0.25, lift * 1.3 - dy), end)
        return path
    bend = max(40.0, dx * 0.5)
    path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, source: Any, target: Any) -> None:
        super().__init__()
        self.edge, self.source, self.target = edge, source, target
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.highlighted = False  # a node dragged over it would be inserted here
        self._hover = False
        source.edges.append(self)
        target.edges.append(self)
        self.adjust()

    def detach(self) -> None:
        for node in (self.source, self.target):
            if self in node.edges:
                node.edges.remove(self)

    def adjust(self) -> None:
        self.prepareGeometryChange()
        self.setPath(wire_path(self.source.output_pos(self.edge.src_port), self.target.input_pos(self.edge.port)))
        self._restyle()

    def _restyle(self) -> None:
        if self.highlighted:
            pen = QPen(theme.OK, 3)
        elif self.isSelected():
            pen = QPen(theme.ACCENT, 3)
        elif self._hover:
            pen = QPen(theme.WIRE.lighter(130), 2.5)
        else:
            pen = QPen(theme.WIRE, 2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.setZValue(2 if on else 0)  # over the blocks: the block dragged onto it would hide it
            self._restyle()

    def paint(self, painter: Any, option: QStyleOptionGraphicsItem, widget: Any = None) -> None:
        # The accent pen shows a selected wire; Qt's own mark, a dashed box around the whole curve, would
        # draw a large rectangle across the blocks a long or looping wire passes.
        plain = QStyleOptionGraphicsItem(option)
        plain.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, plain, widget)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)  # easy to click
        return stroker.createStroke(self.path())

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._restyle()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: Any) -> None:
        self._hover = True
        self._restyle()

    def hoverLeaveEvent(self, event: Any) -> None:
        self._hover = False
        self._restyle()
