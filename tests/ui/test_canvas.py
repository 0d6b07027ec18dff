"""The canvas driven as a user would: drop blocks from the palette, drag wires, move, insert onto wires."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from ui_actions import drag, drop_block, view_point

from builder.core.graph import Edge


def test_the_example_opens_with_shapes_on_every_node(window):
    scene = window.scene
    assert set(scene.nodes) == {"image", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc",
                                "scores"}
    assert scene.nodes["pool2"].info.shape == (16, 7, 7)
    assert len(scene.edges) == 9
    assert "ready to train" in window.totals.text()


def test_dropping_a_block_from_the_palette_adds_it_where_dropped(window):
    at = QPoint(300, 600)
    drop_block(window, "Dropout", at)
    graph = window.document.model("ShapesNet")
    node = graph.nodes[-1]
    assert node.type == "Dropout" and node.id == "drop1"
    item = window.scene.nodes["drop1"]
    assert item.sceneBoundingRect().contains(window.view.mapToScene(at) + QPointF(0, 5))
    assert window.scene.selected_node_ids() == ["drop1"]
    window.document.undo_stack.undo()
    assert "drop1" not in window.scene.nodes


def test_dragging_from_an_output_to_an_input_wires_them_and_updates_shapes(qtbot, window):
    drop_block(window, "ReLU", QPoint(300, 600))
    relu, fc = window.scene.nodes["relu3"], window.scene.nodes["fc"]
    assert relu.info is None  # not wired yet: no shape
    drag(qtbot, window, window.scene.nodes["flatten"].output_pos(), relu.input_pos(0))
    assert Edge("flatten", "relu3", 0) in window.document.model("ShapesNet").edges
    assert relu.info.shape == (784,)
    drag(qtbot, window, relu.output_pos(), fc.input_pos(0))  # replaces flatten -> fc
    edges = window.document.model("ShapesNet").edges
    assert Edge("relu3", "fc", 0) in edges and Edge("flatten", "fc", 0) not in edges
    assert len(window.scene.edges) == 10


def test_a_wire_that_would_make_a_cycle_is_refused_with_a_message(qtbot, window):
    messages = []
    window.view.message.connect(messages.append)
    before = list(window.document.model("ShapesNet").edges)
    drag(qtbot, window, window.scene.nodes["pool2"].output_pos(), window.scene.nodes["conv1"].input_pos(0))
    assert window.document.model("ShapesNet").edges == before
    assert messages and "cycle" in messages[0] and "conv1" in messages[0]
    drag(qtbot, window, window.scene.nodes["conv1"].output_pos(), window.scene.nodes["conv2"].output_pos())
    assert "connect an output" in messages[-1]


def test_moving_nodes_is_one_undoable_command(qtbot, window):
    item = window.scene.nodes["conv1"]
    before = item.pos()
    center = item.sceneBoundingRect().center()
    drag(qtbot, window, QPointF(center.x(), center.y() - 5), QPointF(center.x() + 60, center.y() + 140))
    assert item.pos() != before
    assert window.document.model("ShapesNet").node("conv1").ui["pos"] == [round(item.pos().x(), 1),
                                                                        round(item.pos().y(), 1)]
    window.document.undo_stack.undo()
    assert item.pos() == before


def test_dropping_a_free_block_onto_a_wire_inserts_it(qtbot, window):
    drop_block(window, "BatchNorm1d", QPoint(300, 600))
    item = window.scene.nodes["bn1"]
    wire = window.scene.edges[Edge("flatten", "fc", 0)]
    target = wire.path().pointAtPercent(0.5)
    center = item.sceneBoundingRect().center()
    drag(qtbot, window, QPointF(center.x(), center.y() - 5), target - QPointF(0, 5))
    edges = window.document.model("ShapesNet").edges
    assert Edge("flatten", "bn1", 0) in edges and Edge("bn1", "fc", 0) in edges
    assert Edge("flatten", "fc", 0) not in edges
    assert item.info.shape == (784,)
    window.document.undo_stack.undo()  # one step takes it all back
    assert Edge("flatten", "fc", 0) in window.document.model("ShapesNet").edges


def test_quick_search_adds_the_chosen_block_under_the_cursor(qtbot, window):
    window.view.open_quick_search(QPointF(100, 400))
    search = window.view._search
    qtbot.keyClicks(search.field, "leaky")
    assert search.list.currentItem().text() == "LeakyReLU"
    qtbot.keyClick(search.field, Qt.Key.Key_Return)
    node = window.document.model("ShapesNet").nodes[-1]
    assert node.type == "LeakyReLU" and abs(node.ui["pos"][0] - 10) < 1


def wheel(window, steps: int, at: QPoint) -> None:
    event = QWheelEvent(QPointF(at), QPointF(window.view.viewport().mapToGlobal(at)), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(window.view.viewport(), event)


def test_wheel_zooms_toward_the_cursor_and_f_frames(qtbot, window):
    view = window.view
    at = view_point(window, window.scene.nodes["pool1"].sceneBoundingRect().center())
    under = view.mapToScene(at)
    before = view.zoom()
    wheel(window, 2, at)
    assert view.zoom() > before
    assert (view.mapToScene(at) - under).manhattanLength() < 3  # the point under the cursor stays put
    for _ in range(40):
        wheel(window, -3, at)
    assert view.zoom() >= 0.15
    window.scene.select_nodes(["relu1"])
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(
        window.scene.nodes["relu1"].sceneBoundingRect())


def test_delete_removes_the_selection_and_the_graph_shows_what_broke(window):
    window.scene.select_nodes(["relu1"])
    window.act_delete.trigger()
    assert "relu1" not in window.document.model("ShapesNet").node_ids()
    assert window.scene.nodes["pool1"].has_error  # its input is gone: it turns red
    assert "its input is not connected" in window.scene.nodes["pool1"].toolTip()
