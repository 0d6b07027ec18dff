"""The scene: one NodeItem per node and one EdgeItem per wire of the model shown.

It follows the document's events (add, remove, change, move, wire) and the session's checks
(shapes, parameter counts, problems); it never changes the document itself.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneHelpEvent

from builder.blocks.check import ModelReport
from builder.blocks.registry import BLOCKS
from builder.core.document import (
    EDGE_ADDED,
    EDGE_REMOVED,
    NODE_ADDED,
    NODE_CHANGED,
    NODE_MOVED,
    NODE_REMOVED,
    Change,
)
from builder.core.graph import Edge
from builder.edit.session import Session
from builder.ui import theme
from builder.ui.canvas.edge_item import EdgeItem
from builder.ui.canvas.node_item import PORT_HIT, ModuleLook, NodeItem, distance

GRID = 20
SCENE_ROOM = 5_000  # scene px kept free around the farthest block, to drop or move blocks into


class GraphScene(QGraphicsScene):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self.health: list = []  # layer-health warnings of the latest run (Problems with their model), as badges
        self._shown: dict[str, tuple] = {}  # node -> (item, info, problems, wired ports) it was last given
        self.setSceneRect(QRectF(-50_000, -50_000, 100_000, 100_000))
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)  # items move a lot
        session.document.changed.connect(self._on_change)
        session.model_switched.connect(lambda _name: self.rebuild())
        session.checked.connect(self._on_checked)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._shown = {}
        if not self.session.model:
            return
        graph = self.session.document.model(self.session.model)
        for node in graph.nodes:
            self._add_node(node)
        for edge in graph.edges:
            self._add_edge(edge)
        if self.session.report is not None and self.session.report.model is graph:
            self._on_checked(self.session.report)

    def _look(self, type_name: str) -> ModuleLook | None:
        """A use's look, from the module it uses (None for a block)."""
        used = next((m for m in self.session.document.project.models if m.name == type_name), None)
        return ModuleLook.of(used)

    def _add_node(self, node) -> None:
        item = NodeItem(node, self._look(node.type))
        self.nodes[node.id] = item
        self.addItem(item)
        self._reach(item)

    def _reach(self, item: NodeItem) -> None:
        """Grow the scene to hold the block with room around it: a laid-out graph of 2,000 blocks is
        80,000 px long, and the view cannot scroll past the scene's edge."""
        room = item.sceneBoundingRect().adjusted(-SCENE_ROOM, -SCENE_ROOM, SCENE_ROOM, SCENE_ROOM)
        if not self.sceneRect().contains(room):
            self.setSceneRect(self.sceneRect().united(room))

    def _add_edge(self, edge: Edge) -> None:
        source, target = self.nodes.get(edge.src), self.nodes.get(edge.dst)
        if source is None or target is None:
            return  # a dangling wire in a hand-edited file: the check reports it
        item = EdgeItem(edge, source, target)
        self.edges[edge] = item
        self.addItem(item)

    def _on_change(self, change: Change) -> None:
        if change.model != self.session.model:
            return
        graph = self.session.document.model(change.model)
        if change.kind == NODE_ADDED:
            self._add_node(graph.node(change.node))
        elif change.kind == NODE_REMOVED:
            item = self.nodes.pop(change.node, None)
            if item is not None:
                self.removeItem(item)
        elif change.kind in (NODE_CHANGED, NODE_MOVED):
            item = self.nodes[change.node]
            node = graph.node(change.node)
            item.set_node(node, self._look(node.type))
            pos = (node.ui or {}).get("pos")
            if isinstance(pos, list) and len(pos) == 2 and item.pos() != QPointF(*pos):
                item.setPos(QPointF(*pos))
                self._reach(item)
        elif change.kind == EDGE_ADDED:
            self._add_edge(change.edge)
        elif change.kind == EDGE_REMOVED:
            item = self.edges.pop(change.edge, None)
            if item is not None:
                item.detach()
                self.removeItem(item)

    def _on_checked(self, report: ModelReport | None) -> None:
        if report is None:
            return
        for node in report.model.nodes:  # a module's ports or parameters may have changed inside it
            item = self.nodes.get(node.id)
            if item is not None and BLOCKS.get(node.type) is None:
                look = self._look(item.node.type)
                if look != item.module:
                    item.set_node(item.node, look)
        wired = dict.fromkeys(self.nodes, 0)
        for edge in report.model.edges:
            if edge.dst in wired:
                wired[edge.dst] = max(wired[edge.dst], edge.port + 1)
        by_node: dict[str | None, list] = {}
        health = [p for p in self.health if p.model == report.model.name]
        for problem in [*report.problems, *health]:
            for node in (problem.node, *problem.related):
                by_node.setdefault(node, []).append(problem)
        shown = {}
        for node_id, item in self.nodes.items():
            now = (item, report.infos.get(node_id), by_node.get(node_id, []), wired[node_id])
            before = self._shown.get(node_id)
            # Only the blocks whose labels change are told (a check made again from the last one hands the
            # others the same info objects): thousands of blocks, most of them unchanged after an edit.
            if before is None or before[0] is not item or before[1] is not now[1] or before[2:] != now[2:]:
                item.set_report(*now[1:])
            shown[node_id] = now
        self._shown = shown

    def show_health(self, problems: list) -> None:
        """Layer-health warnings as badges on their nodes (with the check's own problems)."""
        self.health = list(problems)
        self._on_checked(self.session.report)

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:  # noqa: N802 (Qt's name)
        """A block's tooltip is written when it is about to show (see NodeItem.set_report)."""
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                item.refresh_tooltip()
        super().helpEvent(event)

    # -- helpers for the view -------------------------------------------------------------------

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(QRectF(pos.x() - 12, pos.y() - 12, 24, 24)):
            if isinstance(item, NodeItem):
                return item
        return None

    def port_at(self, pos: QPointF) -> tuple[NodeItem, str, int] | None:
        for item in self.items(QRectF(pos.x() - PORT_HIT, pos.y() - PORT_HIT, 2 * PORT_HIT, 2 * PORT_HIT)):
            if isinstance(item, NodeItem):
                hit = item.port_at(pos)
                if hit is not None:
                    return item, hit[0], hit[1]
        return None

    def ports_near(self, pos: QPointF, radius: float, kind: str) -> list[tuple[NodeItem, int]]:
        """The ports of a kind ("in" or "out") within `radius` of pos, nearest first, as (node, port)."""
        near = []
        for item in self.items(QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius)):
            if isinstance(item, NodeItem):
                near += [(distance(pos, at), item, port) for port, at in item.ports(kind)]
        near.sort(key=lambda found: found[0])
        return [(item, port) for gap, item, port in near if gap <= radius]

    def selected_node_ids(self) -> list[str]:
        """In document order (Qt's selection has none), so copies and deletes are reproducible."""
        chosen = {i.node.id for i in self.selectedItems() if isinstance(i, NodeItem)}
        graph = self.session.document.model(self.session.model)
        return [node.id for node in graph.nodes if node.id in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, theme.CANVAS)
        scale = painter.worldTransform().m11()
        if scale < 0.35:
            return  # zoomed far out: a grid would be noise
        step = GRID if scale > 0.7 else GRID * 5
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        minor = QPen(theme.GRID, 1 / scale)
        major = QPen(theme.GRID.lighter(118), 1 / scale)
        lines_x = [x for x in _range(left, rect.right(), step)]
        lines_y = [y for y in _range(top, rect.bottom(), step)]
        for x in lines_x:
            painter.setPen(major if round(x) % (GRID * 5) == 0 else minor)
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        for y in lines_y:
            painter.setPen(major if round(y) % (GRID * 5) == 0 else minor)
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))


def _range(start: float, stop: float, step: float):
    value = start
    while value <= stop:
        yield value
        value += step
