"""The canvas driven as a user would: drop blocks from the palette, drag wires, move, insert onto wires."""

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication
from ui_actions import drag, drop_block, view_point

from builder.core.graph import Edge
from builder.core.templates import load_template
from builder.ui import theme
from builder.ui.canvas.node_item import LINE, WIDTH, summary


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


def shown_rect(view) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect()


def test_a_framed_graph_stays_framed_when_the_canvas_is_resized_until_the_user_zooms(qtbot, make_window):
    """The window frames the graph before its docks take their sizes: the graph must not end up cut off."""
    window = make_window(load_template("resnet18"))
    window.resize(1440, 900)
    view = window.view
    qtbot.wait(50)  # the first frame and the docks' sizes, deferred until shown
    height = view.viewport().height()
    window.resizeDocks([window.problems_dock], [500], Qt.Orientation.Vertical)  # a smaller canvas
    qtbot.waitUntil(lambda: view.viewport().height() < height - 100)
    shown = shown_rect(view)
    view.frame()
    assert shown_rect(view) == shown  # already what framing at this size shows: the width whole, from the top
    view.zoom_by(1.5)
    zoom = view.zoom()
    window.resizeDocks([window.problems_dock], [250], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: view.viewport().height() > height - 100)
    assert view.zoom() == pytest.approx(zoom)  # zoomed by the user: a resize leaves the view alone


def test_delete_removes_the_selection_and_the_graph_shows_what_broke(window):
    window.scene.select_nodes(["relu1"])
    window.act_delete.trigger()
    assert "relu1" not in window.document.model("ShapesNet").node_ids()
    assert window.scene.nodes["pool1"].has_error  # its input is gone: it turns red
    assert "its input is not connected" in window.scene.nodes["pool1"].toolTip()


# -- wiring and dropping: where the hand is, not where the geometry happens to be ---------------------


def node_box(item) -> QRectF:
    return QRectF(item.pos(), QSizeF(WIDTH, item.height))


def test_a_block_goes_onto_the_wire_under_the_cursor_not_under_its_centre(qtbot, window):
    drop_block(window, "BatchNorm1d", QPoint(300, 600))
    item = window.scene.nodes["bn1"]
    wire = window.scene.edges[Edge("flatten", "fc", 0)].path().pointAtPercent(0.5)
    grab = item.mapToScene(QPointF(30, 8))  # its header, well left of and above its centre
    edges = list(window.document.model("ShapesNet").edges)
    drag(qtbot, window, grab, wire - QPointF(item.sceneBoundingRect().center() - grab))  # centre on the wire
    assert window.document.model("ShapesNet").edges == edges  # the cursor was not: only a move
    drag(qtbot, window, item.mapToScene(QPointF(30, 8)), wire)  # the cursor on the wire, the centre 35 px below
    edges = window.document.model("ShapesNet").edges
    assert Edge("flatten", "bn1", 0) in edges and Edge("bn1", "fc", 0) in edges


def test_inserting_on_a_wire_moves_what_follows_so_nothing_overlaps_in_one_undo_step(qtbot, window):
    scene = window.scene
    drop_block(window, "BatchNorm1d", QPoint(300, 600))
    before = {n: QPointF(i.pos()) for n, i in scene.nodes.items()}
    target = scene.edges[Edge("flatten", "fc", 0)].path().pointAtPercent(0.5)
    center = scene.nodes["bn1"].sceneBoundingRect().center()
    drag(qtbot, window, QPointF(center.x(), center.y() - 5), target - QPointF(0, 5))  # overlapping both ends
    assert Edge("bn1", "fc", 0) in window.document.model("ShapesNet").edges
    boxes = {n: node_box(i) for n, i in scene.nodes.items()}
    overlapping = [(a, b) for a in boxes for b in boxes if a < b and boxes[a].intersects(boxes[b])]
    assert overlapping == []
    shift = scene.nodes["fc"].pos() - before["fc"]
    assert shift.x() > 0 and shift.y() == 0 and scene.nodes["scores"].pos() - before["scores"] == shift
    assert all(scene.nodes[n].pos() == before[n] for n in ("image", "conv1", "conv2", "relu2", "flatten"))
    window.document.undo_stack.undo()
    assert {n: i.pos() for n, i in scene.nodes.items()} == before
    assert Edge("flatten", "fc", 0) in window.document.model("ShapesNet").edges


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio; 3:1 is its minimum for a control a user has to see (SC 1.4.11)."""
    def luminance(c: QColor) -> float:
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        r, g, b = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def port_pixels(window, scene_pos: QPointF, radius: int, outside: bool = False) -> list[QColor]:
    """The screen pixels within `radius` of an input port, seen at zoom 1; `outside`: only those left of the
    block's edge, clear of its outline (red on a block with a problem, bright enough to pass for a port)."""
    window.view.resetTransform()
    window.view.centerOn(scene_pos)
    image = window.view.viewport().grab().toImage()
    at = view_point(window, scene_pos)
    return [image.pixelColor(at.x() + dx, at.y() + dy) for dx in range(-radius, -2 if outside else radius + 1)
            for dy in range(-radius, radius + 1) if dx * dx + dy * dy <= radius * radius]


def test_a_free_input_is_a_ring_that_stands_out_on_the_dark_canvas_and_a_wired_one_is_filled(window):
    drop_block(window, "ReLU", QPoint(300, 600))
    window.scene.clearSelection()
    free, wired = window.scene.nodes["relu3"].input_pos(0), window.scene.nodes["relu1"].input_pos(0)
    assert max(contrast(c, theme.CANVAS) for c in port_pixels(window, free, 7, outside=True)) >= 3  # its ring
    assert max(contrast(c, theme.CANVAS) for c in port_pixels(window, free, 1)) < 1.5  # hollow
    assert min(contrast(c, theme.CANVAS) for c in port_pixels(window, wired, 1)) >= 3  # filled


def test_a_selected_wire_is_drawn_in_the_accent_colour_without_a_box_around_it(window):
    """Qt marks a selected path item with a dashed box around its whole curve: across the blocks a long wire
    passes. The wire's own colour shows the selection instead."""
    window.scene.nodes["conv2"].setPos(window.scene.nodes["conv2"].pos() + QPointF(0, 300))
    wire = next(item for edge, item in window.scene.edges.items() if edge.src == "pool1")
    window.scene.clearSelection()
    wire.setSelected(True)
    box = wire.sceneBoundingRect()
    corner = QPointF(box.left() + 3, box.bottom() - 3)  # the curve starts top left and ends bottom right
    window.view.resetTransform()
    window.view.centerOn(corner)
    image = window.view.viewport().grab().toImage()
    at = view_point(window, corner)
    along_edges = [image.pixelColor(at.x() + d, at.y() + 3 - k) for d in range(0, 30) for k in range(6)]
    along_edges += [image.pixelColor(at.x() - 3 + k, at.y() - d) for d in range(0, 30) for k in range(6)]
    assert max(contrast(c, theme.CANVAS) for c in along_edges) < 2
    assert wire.pen().color() == theme.ACCENT


def test_a_port_is_grabbed_from_a_fingertip_away(qtbot, window):
    drop_block(window, "ReLU", QPoint(300, 600))
    relu = window.scene.nodes["relu3"]
    drag(qtbot, window, window.scene.nodes["flatten"].output_pos() + QPointF(13, 0), relu.input_pos(0))
    assert Edge("flatten", "relu3", 0) in window.document.model("ShapesNet").edges


def test_a_wire_released_near_an_input_snaps_to_it(qtbot, window):
    drop_block(window, "ReLU", QPoint(300, 600))
    view = window.view
    port = view_point(window, window.scene.nodes["relu3"].input_pos(0))
    near = view.mapToScene(port - QPoint(20, 0))  # 20 px left of it on screen: outside the port, within reach
    drag(qtbot, window, window.scene.nodes["flatten"].output_pos(), near)
    assert Edge("flatten", "relu3", 0) in window.document.model("ShapesNet").edges


def test_a_wire_snaps_to_the_nearest_port_connect_accepts_and_says_when_none_is_in_reach(qtbot, window):
    messages = []
    window.view.message.connect(messages.append)
    window.view.resetTransform()  # 1 scene px = 1 screen px: the distances below hold in both
    drop_block(window, "ReLU", QPoint(300, 600))
    conv1 = window.scene.nodes["conv1"].input_pos(0)
    relu = window.scene.nodes["relu3"]
    window.editor.move({"relu3": (relu.pos().x() + conv1.x() - relu.input_pos(0).x(),
                                  relu.pos().y() + conv1.y() + 36 - relu.input_pos(0).y())})
    assert relu.input_pos(0) == conv1 + QPointF(0, 36)
    pool2 = window.scene.nodes["pool2"].output_pos()
    drag(qtbot, window, pool2, conv1 + QPointF(0, 16))  # conv1's input is nearer, but that wire makes a cycle
    assert Edge("pool2", "relu3", 0) in window.document.model("ShapesNet").edges and messages == []
    edges = list(window.document.model("ShapesNet").edges)
    drag(qtbot, window, pool2, conv1 + QPointF(-60, -40))  # empty canvas
    assert messages == ["no input port within reach: drop the wire on a block's input"]
    drag(qtbot, window, pool2, conv1 + QPointF(-18, 0))  # only conv1 in reach: its refusal says why
    assert "cycle" in messages[-1] and window.document.model("ShapesNet").edges == edges


# -- the node's summary -----------------------------------------------------------------------------


def test_the_node_summary_shows_what_makes_the_layer_differ_from_the_default(window):
    item = window.scene.nodes["conv2"]
    assert item.summary_text == "16 · k3 · p1"
    height = item.height
    for name, value in (("groups", 4), ("dilation", 2), ("in_channels", 8), ("stride", [1, 1]), ("bias", False)):
        window.editor.set_param("conv2", name, value)
    # in_channels only repeats the wire, and stride [1, 1] is the default
    assert item.summary_text == "16 · k3 · p1 · d2 · g4 · no bias"
    assert len(item.summary_lines) == 2 and item.height == height + LINE  # too long for one line: all of it on two
    window.document.undo_stack.undo()  # bias back on: one line again
    assert item.summary_lines == ["16 · k3 · p1 · d2 · g4"] and item.height == height


@pytest.mark.parametrize(("type_name", "params", "shown"), [
    ("Linear", {"out_features": 4, "in_features": 784}, "4"),
    ("Conv2d", {"out_channels": 8, "kernel_size": [3, 5], "stride": 2, "padding_mode": "reflect"},
     "8 · k3×5 · s2 · reflect"),
    ("MaxPool2d", {"kernel_size": 2}, "k2"),
    ("Interpolate", {"scale_factor": 2, "mode": "bilinear", "align_corners": False}, "×2 · bilinear"),
    ("LeakyReLU", {"negative_slope": 0.2}, "slope 0.2"),
    ("BatchNorm2d", {"eps": 0.001, "affine": False}, "eps 0.001 · no affine"),
    ("Dropout", {"p": 0.5}, ""),
    ("Input", {"shape": [1, 28, 28]}, ""),  # the node's shape line says it
    ("Reshape", {"shape": [4, 4]}, "→4,4"),  # a list of dims or sizes is never collapsed as a pair is
    ("Mean", {"dim": [2, 3], "keepdim": True}, "2,3 · keep"),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, "k3 · s2 · ceil"),
    ("ZeroPad2d", {"padding": [1, 0, 1, 0]}, "p1,0,1,0"),
])
def test_the_summary_is_read_from_the_declarations(type_name, params, shown):
    assert summary(type_name, params) == shown


def test_an_edit_repaints_only_the_blocks_whose_labels_changed_and_their_tooltips_follow(window):
    repainted = []
    for node_id, item in window.scene.nodes.items():
        item.update = lambda *_args, n=node_id: repainted.append(n)  # what set_report asks Qt to repaint
    window.editor.set_param("fc", "out_features", 3)
    assert sorted(set(repainted)) == ["fc", "scores"]  # upstream shapes are as they were
    assert window.scene.nodes["scores"].info.shape == (3,)
    window.editor.set_param("pool2", "kernel_size", 30)  # a window larger than its input
    pool2 = window.scene.nodes["pool2"]
    message = window.session.report.problems_of("pool2")[0].message
    assert pool2.has_error and message in pool2.toolTip()
    window.editor.set_param("pool2", "kernel_size", 2)
    assert not pool2.has_error and message not in pool2.toolTip()


def test_a_block_moved_far_away_can_still_be_scrolled_to(window):
    from builder.core.commands import move_nodes

    window.document.execute(move_nodes(window.document, "ShapesNet", {"scores": (600.0, 80_000.0)}))
    item = window.scene.nodes["scores"]
    window.view.centerOn(item)  # a laid-out graph of 2,000 blocks is this long
    shown = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert shown.contains(item.sceneBoundingRect().center())
