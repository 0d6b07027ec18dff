"""The canvas view: zoom to the cursor, pan, rubber-band, drag wires and blocks, drop from the palette.

Every change goes through the Editor as a command; refusals come back as messages.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsView

from builder.edit.editor import EditError, Editor
from builder.ui import theme
from builder.ui.canvas.edge_item import EdgeItem, wire_path
from builder.ui.canvas.node_item import NodeItem
from builder.ui.canvas.quick_search import QuickSearch
from builder.ui.canvas.scene import GraphScene

BLOCK_MIME = "application/x-nn-builder-block"
MIN_ZOOM, MAX_ZOOM = 0.15, 3.0


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
        self.fitInView(rect.adjusted(-60, -60, 60, 60), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.25:
            self.scale(1.25 / self.zoom(), 1.25 / self.zoom())
        self.centerOn(rect.center())

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
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            return
        pos = self.mapToScene(event.position().toPoint())
        if self._wire is not None:
            self._drag_wire(pos)
            return
        super().mouseMoveEvent(event)
        if self._press_positions and event.buttons() & Qt.MouseButton.LeftButton:
            self._highlight_wire_under_drag()

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
        self._finish_move()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
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
        item, kind, port = self._wire_from
        if kind == "out":
            self._wire.setPath(wire_path(item.output_pos(), pos))
        else:
            self._wire.setPath(wire_path(pos, item.input_pos(port)))

    def _finish_wire(self, pos: QPointF) -> None:
        item, kind, port = self._wire_from
        self.graph_scene.removeItem(self._wire)
        self._wire = None
        self._wire_from = None
        hit = self.graph_scene.port_at(pos)
        if hit is None:
            return
        other, other_kind, other_port = hit
        if other_kind == kind:
            self.message.emit("connect an output (right side) to an input (left side)")
            return
        src, dst, dst_port = (item, other, other_port) if kind == "out" else (other, item, port)
        try:
            self.editor.connect(src.node.id, dst.node.id, dst_port)
        except EditError as exc:
            self.message.emit(str(exc))

    # -- moving and dropping onto a wire --------------------------------------------------------

    def _dragged_single(self) -> NodeItem | None:
        moved = [i for i in self.graph_scene.selectedItems() if isinstance(i, NodeItem)]
        return moved[0] if len(moved) == 1 and not moved[0].edges else None

    def _wire_under(self, item: NodeItem) -> EdgeItem | None:
        center = item.sceneBoundingRect().center()
        for other in self.graph_scene.items(QRectF(center.x() - 6, center.y() - 6, 12, 12)):
            if isinstance(other, EdgeItem) and other.source is not item and other.target is not item:
                return other
        return None

    def _highlight_wire_under_drag(self) -> None:
        item = self._dragged_single()
        target = self._wire_under(item) if item is not None else None
        if target is not self._wire_target:
            if self._wire_target is not None:
                self._wire_target.set_highlighted(False)
            if target is not None:
                target.set_highlighted(True)
            self._wire_target = target

    def _finish_move(self) -> None:
        moved = {}
        for node_id, before in self._press_positions.items():
            item = self.graph_scene.nodes.get(node_id)
            if item is not None and item.pos() != before:
                moved[node_id] = (item.pos().x(), item.pos().y())
        self._press_positions = {}
        target, self._wire_target = self._wire_target, None
        if target is not None:
            target.set_highlighted(False)
        if not moved:
            return
        try:
            if target is not None and len(moved) == 1:
                node_id, pos = next(iter(moved.items()))
                self.editor.insert_on_wire(node_id, target.edge, pos)
            else:
                self.editor.move(moved)
        except EditError as exc:
            self.editor.move(moved)
            self.message.emit(str(exc))

    # -- keys -----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if event.key() == Qt.Key.Key_Tab and not self.read_only:
            self.open_quick_search(self.mapToScene(self.mapFromGlobal(QCursor.pos())))
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
