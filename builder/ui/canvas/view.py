"""The canvas view: zoom to the cursor, pan, rubber-band, drag wires and blocks, drop from the palette.

Every change goes through the Editor as a command; refusals come back as messages.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QMouseEvent, QPainter, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsView

from builder.core.graph import Edge
from builder.core.i18n import N_, tr
from builder.core.insert_room import room_for_insert
from builder.core.layout import FRAME_MARGIN, READABLE_ZOOM
from builder.edit.editor import EditError, Editor
from builder.ui import theme
from builder.ui.canvas.edge_item import EdgeItem, wire_path
from builder.ui.canvas.node_item import WIDTH, NodeItem
from builder.ui.canvas.quick_search import QuickSearch
from builder.ui.canvas.scene import GraphScene

BLOCK_MIME = "application/x-nn-builder-block"
MIN_ZOOM, MAX_ZOOM = 0.15, 3.0
# A wire released this close to a port, in screen px, snaps to it: a near miss by a hand, whatever the zoom
# (in scene px it would shrink to nothing zoomed out). About the gap between an Add's ports, so the nearest
# wins, and well under a block's height, so it never reaches a block the user was not aiming at.
SNAP_PX = 24
NOTHING_IN_REACH = {"in": N_("no input port within reach: drop the wire on a block's input"),
                    "out": N_("no output port within reach: drop the wire on a block's output")}  # tr() shown


def block_mime(type_name: str) -> QMimeData:
    """What the palette puts in a drag: the block's type name."""
    data = QMimeData()
    data.setData(BLOCK_MIME, type_name.encode("utf-8"))
    return data


class GraphView(QGraphicsView):
    message = Signal(str)  # a refusal or a hint, for the status bar

    def __init__(self, scene: GraphScene, editor: Editor) -> None:
        super().__init__(scene)
        self.graph_scene = scene
        self.editor = editor
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)  # wheelEvent anchors itself
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None
        self._space = False
        self._wire: QGraphicsPathItem | None = None
        self._wire_from: tuple[NodeItem, str, int] | None = None
        self._press_positions: dict[str, QPointF] = {}
        self._wire_target: EdgeItem | None = None
        self._search = QuickSearch(self)
        self._search_at = QPointF()
        self._search.chosen.connect(self._add_from_search)
        # Framed and not zoomed or panned since: a resize frames again. The window's first frame runs before
        # its docks have their final sizes, which left the graph off-centre with its last band cut off.
        self._fitted = False

    @property
    def read_only(self) -> bool:
        return self.graph_scene.session.read_only

    # -- zoom and pan ---------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Zoom about the point under the cursor: it stays where it is on screen."""
        self.zoom_by(1.15 ** (event.angleDelta().y() / 120), event.position().toPoint())

    def zoom_by(self, factor: float, at: QPoint | None = None) -> None:
        self._fitted = False
        target = min(max(self.zoom() * factor, MIN_ZOOM), MAX_ZOOM)
        at = at if at is not None else self.viewport().rect().center()
        anchor = self.mapToScene(at)
        self.scale(target / self.zoom(), target / self.zoom())
        drift = self.mapFromScene(anchor) - at
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + drift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + drift.y())

    def frame(self, only_selected: bool = False) -> None:
        items = self.graph_scene.selectedItems() if only_selected else []
        items = items or [i for i in self.graph_scene.items() if isinstance(i, NodeItem)]
        if not items:
            self.resetTransform()
            self.centerOn(0, 0)
            return
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        rect = rect.adjusted(-FRAME_MARGIN, -FRAME_MARGIN, FRAME_MARGIN, FRAME_MARGIN)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        # A graph too tall to show whole at a readable zoom (a long chain, wrapped into bands) is shown like a
        # page: its whole width, from the top, at a zoom where its text reads; within the wheel's limits.
        readable = min(self.viewport().width() / rect.width(), READABLE_ZOOM)
        zoom = min(max(self.zoom(), readable, MIN_ZOOM), 1.25)
        self.scale(zoom / self.zoom(), zoom / self.zoom())
        shown = self.viewport().height() / zoom
        self.centerOn(rect.center().x(), min(rect.center().y(), rect.top() + shown / 2))
        self._fitted = not only_selected

    def show_item(self, item: NodeItem) -> None:
        """Scroll a block into the middle of the view, at the zoom shown."""
        self.centerOn(item)
        self._fitted = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted and self.scene() is not None:  # none while the window is torn down
            self.frame()

    # -- mouse ----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        if event.button() == Qt.MouseButton.MiddleButton or (event.button() == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() == Qt.MouseButton.LeftButton and not self.read_only:
            hit = self.graph_scene.port_at(pos)
            if hit is not None:
                self._start_wire(*hit, pos)
                return
        super().mousePressEvent(event)
        self._press_positions = {i.node.id: i.pos() for i in self.graph_scene.selectedItems()
                                 if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self._fitted = False
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            return
        pos = self.mapToScene(event.position().toPoint())
        if self._wire is not None:
            self._drag_wire(pos)
            return
        super().mouseMoveEvent(event)
        if self._press_positions and event.buttons() & Qt.MouseButton.LeftButton:
            self._highlight_wire_under_drag(pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        pos = self.mapToScene(event.position().toPoint())
        if self._wire is not None:
            self._finish_wire(pos)
            return
        super().mouseReleaseEvent(event)
        self._finish_move(pos)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        item = self.graph_scene.node_at(pos)
        if item is not None and item.module is not None and event.button() == Qt.MouseButton.LeftButton:
            self.enter(item.node.id)
            return
        if self.graph_scene.itemAt(pos, self.transform()) is None and not self.read_only:
            self.open_quick_search(pos)
            return
        super().mouseDoubleClickEvent(event)

    # -- wires ----------------------------------------------------------------------------------

    def _start_wire(self, item: NodeItem, kind: str, port: int, pos: QPointF) -> None:
        self._wire_from = (item, kind, port)
        self._wire = QGraphicsPathItem()
        pen = QPen(theme.ACCENT, 2, Qt.PenStyle.DashLine)
        self._wire.setPen(pen)
        self._wire.setZValue(3)
        self.graph_scene.addItem(self._wire)
        self._drag_wire(pos)

    def _drag_wire(self, pos: QPointF) -> None:
        """The dashed wire follows the cursor, or jumps to the port it would snap to if let go here."""
        item, kind, port = self._wire_from
        snapped = self._accepted(self._ports_in_reach(pos))
        end = pos if snapped is None else _port_pos(*snapped, "in" if kind == "out" else "out")
        if kind == "out":
            self._wire.setPath(wire_path(item.output_pos(port), end))
        else:
            self._wire.setPath(wire_path(end, item.input_pos(port)))

    def _finish_wire(self, pos: QPointF) -> None:
        """Connect to the port under the cursor, else to the nearest one in reach that `connect` accepts."""
        start = self._wire_from
        self.graph_scene.removeItem(self._wire)
        hit = self.graph_scene.port_at(pos)
        reach = self._ports_in_reach(pos)
        chosen = self._accepted(reach) or (reach[0] if reach else None)  # none accepted: the nearest says why
        self._wire = None
        self._wire_from = None
        if hit is not None and hit[1] == start[1]:
            self.message.emit(tr("connect an output (right side) to an input (left side)"))
        elif chosen is None:
            wanted = "in" if start[1] == "out" else "out"
            self.message.emit(tr(NOTHING_IN_REACH[wanted]))
        else:
            try:
                self.editor.connect(*_wire_between(start, *chosen))
            except EditError as exc:
                self.message.emit(str(exc))

    def _ports_in_reach(self, pos: QPointF) -> list[tuple[NodeItem, int]]:
        """The port under the cursor if it is of the other kind, else those of the other kind within SNAP_PX
        on screen, nearest first."""
        kind = self._wire_from[1]
        wanted = "in" if kind == "out" else "out"
        hit = self.graph_scene.port_at(pos)
        if hit is not None:
            return [(hit[0], hit[2])] if hit[1] == wanted else []
        return self.graph_scene.ports_near(pos, SNAP_PX / self.zoom(), wanted)

    def _accepted(self, reach: list[tuple[NodeItem, int]]) -> tuple[NodeItem, int] | None:
        """The first port in reach that `connect` would take the dragged wire to (its rules, not a copy)."""
        for end in reach:
            if self.editor.connect_refusal(*_wire_between(self._wire_from, *end)) is None:
                return end
        return None

    # -- moving and dropping onto a wire --------------------------------------------------------

    def _dragged_single(self) -> NodeItem | None:
        moved = [i for i in self.graph_scene.selectedItems() if isinstance(i, NodeItem)]
        return moved[0] if len(moved) == 1 and not moved[0].edges else None

    def _wire_under(self, item: NodeItem, pos: QPointF) -> EdgeItem | None:
        """The wire under the cursor, where the hand holds the block: its centre can be far from there."""
        for other in self.graph_scene.items(QRectF(pos.x() - 6, pos.y() - 6, 12, 12)):
            if isinstance(other, EdgeItem) and other.source is not item and other.target is not item:
                return other
        return None

    def _highlight_wire_under_drag(self, pos: QPointF) -> None:
        item = self._dragged_single()
        self._set_wire_target(self._wire_under(item, pos) if item is not None else None)

    def _set_wire_target(self, target: EdgeItem | None) -> None:
        if target is not self._wire_target:
            if self._wire_target is not None:
                self._wire_target.set_highlighted(False)
            if target is not None:
                target.set_highlighted(True)
            self._wire_target = target

    def _finish_move(self, pos: QPointF) -> None:
        moved = {}
        for node_id, before in self._press_positions.items():
            item = self.graph_scene.nodes.get(node_id)
            if item is not None and item.pos() != before:
                moved[node_id] = (item.pos().x(), item.pos().y())
        self._press_positions = {}
        item = self._dragged_single()
        target = self._wire_under(item, pos) if item is not None and moved else None  # where it is let go
        self._set_wire_target(None)
        if not moved:
            return
        try:
            if target is not None and len(moved) == 1:
                node_id, dropped_at = next(iter(moved.items()))
                self._insert_on_wire(node_id, target.edge, dropped_at)
            else:
                self.editor.move(moved)
        except EditError as exc:
            self.editor.move(moved)
            self.message.emit(str(exc))

    def _insert_on_wire(self, node_id: str, edge: Edge, pos: tuple[float, float]) -> None:
        """Insert, moving the block and what follows it along the wire so nothing overlaps: one undo step."""
        boxes = {n: (i.pos().x(), i.pos().y(), WIDTH, i.height) for n, i in self.graph_scene.nodes.items()}
        shifted = room_for_insert(self.editor.graph, edge, node_id, boxes)
        self.editor.insert_on_wire(node_id, edge, shifted.pop(node_id, pos), shifted)

    # -- keys -----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if event.key() == Qt.Key.Key_Tab and not self.read_only:
            self.open_quick_search(self.mapToScene(self.mapFromGlobal(QCursor.pos())))
            return
        if event.key() == Qt.Key.Key_Escape and self.graph_scene.session.trail:
            self.leave()
            return
        if event.key() == Qt.Key.Key_F and not event.modifiers():
            self.frame(only_selected=bool(self.graph_scene.selectedItems()))
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, _next: bool) -> bool:
        return False  # Tab belongs to the quick search, not to focus changes

    # -- modules --------------------------------------------------------------------------------

    def enter(self, use_id: str) -> None:
        """Open the definition of the module a use uses (double-click), framed; Esc comes back."""
        name = self.graph_scene.session.enter(use_id)
        self.frame()
        self.message.emit(tr("Editing {module} as '{use}' sees it: every use of {module} changes with it. "
                             "Esc goes back.", module=name, use=use_id))

    def leave(self, levels: int = 1) -> None:
        came_from = self.graph_scene.session.trail[-levels][1] if self.graph_scene.session.trail else None
        self.graph_scene.session.leave(levels)
        self.frame()
        if came_from is not None and came_from in self.graph_scene.nodes:
            self.graph_scene.select_nodes([came_from])

    # -- adding blocks --------------------------------------------------------------------------

    def open_quick_search(self, scene_pos: QPointF) -> None:
        self._search_at = scene_pos
        self._search.open_at(self.mapToGlobal(self.mapFromScene(scene_pos)))

    def _add_from_search(self, type_name: str) -> None:
        self.add_block(type_name, self._search_at)

    def add_block(self, type_name: str, scene_pos: QPointF) -> str | None:
        try:
            node_id = self.editor.add_block(type_name, (scene_pos.x() - 90, scene_pos.y() - 20))
        except EditError as exc:
            self.message.emit(str(exc))
            return None
        self.graph_scene.select_nodes([node_id])
        return node_id

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME) and not self.read_only:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(BLOCK_MIME) or self.read_only:
            event.ignore()
            return
        type_name = bytes(event.mimeData().data(BLOCK_MIME)).decode("utf-8")
        self.add_block(type_name, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()


def _wire_between(start: tuple[NodeItem, str, int], other: NodeItem, other_port: int) -> tuple[str, str, int, int]:
    """(source, target, target port, source port) of a wire dragged from `start` to `other`'s port, whichever end
    it began at."""
    item, kind, port = start
    if kind == "out":
        return (item.node.id, other.node.id, other_port, port)
    return (other.node.id, item.node.id, port, other_port)


def _port_pos(item: NodeItem, port: int, kind: str) -> QPointF:
    return item.input_pos(port) if kind == "in" else item.output_pos(port)
