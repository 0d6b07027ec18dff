"""A wire: a curve from a node's output to another node's input port."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from builder.core.graph import Edge
from builder.ui import theme


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal S-curve, as in shader editors: it leaves to the right and arrives from the left."""
    bend = max(40.0, abs(end.x() - start.x()) * 0.5)
    path = QPainterPath(start)
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
        self.setPath(wire_path(self.source.output_pos(), self.target.input_pos(self.edge.port)))
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
            self._restyle()

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
