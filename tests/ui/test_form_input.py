"""What hands do to the forms: the wheel passing over a field, and Ctrl+Z after a committed edit.

The wheel over a field that was not clicked into scrolls the panel and changes nothing; clicked into, it
changes the value, and all the ticks on that field are one undo step. Ctrl+Z in a field whose edit is
committed undoes the document's step; while typing, it undoes the typing.
"""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from builder.core.templates import EXAMPLE, load_template


def wheel(widget, ticks: int) -> bool:
    """Wheel ticks over the middle of a widget (120 = one notch up); whether the widget took them. (Qt passes a
    wheel event a widget ignores on to its parents, the scrolling panel, only for events from the system; a
    test's event stops at the widget, so what is checked here is that the field lets it go.)"""
    at = QPointF(widget.width() / 2, widget.height() / 2)
    taken = False
    for _ in range(abs(ticks)):
        event = QWheelEvent(at, widget.mapToGlobal(at), QPoint(), QPoint(0, 120 if ticks > 0 else -120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(widget, event)
        taken = taken or event.isAccepted()
    return taken


def training_panel(make_window):
    window = make_window(load_template(EXAMPLE))
    window.show_page(window.training.panel)
    return window, window.training.panel


def test_the_wheel_passing_over_a_field_is_left_to_the_panel_and_changes_nothing(qtbot, make_window):
    window, panel = training_panel(make_window)
    spin = panel.data_form.editors["batch_size"].spin
    assert not wheel(spin, -3)  # ignored: the panel behind it scrolls
    assert window.document.project.data["batch_size"] == 64 and spin.value() == 64
    assert not window.document.undo_stack.can_undo
    combo = panel.training_form.editors["optimizer"].combo
    assert not wheel(combo, -2)
    assert combo.currentText() == "Adam" and window.document.project.training["optimizer"] == "Adam"
    for menu in (panel.source, panel.device, panel.schedule):
        assert not wheel(menu, -1)
    window.scene.select_nodes(["conv1"])
    assert not wheel(window.inspector.editors["out_channels"].spin, 3)
    assert window.document.model("ShapesNet").node("conv1").params["out_channels"] == 8


def test_the_wheel_on_a_field_clicked_into_changes_it_in_one_undo_step(qtbot, make_window):
    window, panel = training_panel(make_window)
    spin = panel.data_form.editors["batch_size"].spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    wheel(spin, -3)
    assert window.document.project.data["batch_size"] == 61
    window.act_undo.trigger()
    assert window.document.project.data["batch_size"] == 64 and not window.document.undo_stack.can_undo
    wheel(spin, 2)
    wheel(spin, -2)  # back where it began: no step is left
    assert window.document.project.data["batch_size"] == 64 and not window.document.undo_stack.can_undo


def test_inspector_ticks_on_one_field_are_one_step_and_another_field_is_another(qtbot, window):
    window.scene.select_nodes(["conv1"])
    out = window.inspector.editors["out_channels"].spin
    out.setFocus()
    qtbot.waitUntil(out.hasFocus)
    wheel(out, 4)
    node = window.document.model("ShapesNet").node("conv1")
    assert node.params["out_channels"] == 12
    window.inspector.editors["bias"].box.click()
    stack = window.document.undo_stack
    stack.undo()
    assert "bias" not in window.document.model("ShapesNet").node("conv1").params
    stack.undo()
    assert window.document.model("ShapesNet").node("conv1").params["out_channels"] == 8 and not stack.can_undo


def test_ctrl_z_in_a_committed_field_undoes_the_document(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    window.scene.select_nodes(["conv1"])
    field = window.inspector.editors["out_channels"].spin
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.lineEdit().selectAll()
    qtbot.keyClicks(field, "10")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.document.model("ShapesNet").node("conv1").params["out_channels"] == 10
    qtbot.keyClick(field.lineEdit(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.model("ShapesNet").node("conv1").params["out_channels"] == 8
    qtbot.keyClick(field.lineEdit(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert window.document.model("ShapesNet").node("conv1").params["out_channels"] == 10


def test_ctrl_z_while_typing_undoes_the_typing_not_the_document(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    window.editor.set_param("conv1", "out_channels", 12)  # a step the document could undo
    window.scene.select_nodes(["conv1"])
    name = window.inspector.name_field
    name.setFocus()
    qtbot.waitUntil(name.hasFocus)
    qtbot.keyClicks(name, "_x")
    qtbot.keyClick(name, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.model("ShapesNet").node("conv1").params["out_channels"] == 12  # untouched
    assert name.text() != "conv1_x"  # the typing went back instead


def test_an_optional_true_false_is_one_control_with_three_states(qtbot, window):
    from builder.ui.param_editors import TriStateEditor

    window.editor.add_block("Interpolate", (0.0, 300.0))
    window.scene.select_nodes(["interp1"] if "interp1" in window.scene.nodes else [list(window.scene.nodes)[-1]])
    node_id = window.inspector.node_id
    align = window.inspector.editors["align_corners"]
    assert isinstance(align, TriStateEditor)
    assert [align.combo.itemText(i) for i in range(3)] == ["not set: torch's default (false)", "true", "false"]
    align.combo.setCurrentIndex(1)
    assert window.document.model("ShapesNet").node(node_id).params["align_corners"] is True
    align.combo.setCurrentIndex(0)
    assert "align_corners" not in window.document.model("ShapesNet").node(node_id).params


def test_unset_optionals_say_what_unset_means(make_window):
    window, panel = training_panel(make_window)
    assert panel.data_form.editors["in_memory"].combo.itemText(0) == "not set: decided by size"
    assert panel.training_form.editors["early_stopping"].hint.text() == "off"
    assert panel.gan_form.editors["g_lr"].field.placeholderText() == "lr"
