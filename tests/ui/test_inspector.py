"""The inspector edits parameters through commands; bad values are refused at the editor."""

from PySide6.QtCore import Qt

from builder.ui.param_editors import OptionalEditor, PairEditor


def select(window, node_id):
    window.scene.select_nodes([node_id])
    assert window.inspector.node_id == node_id
    return window.inspector


def test_editing_a_parameter_updates_the_shape_labels(qtbot, window):
    inspector = select(window, "pool1")
    editor = inspector.editors["kernel_size"]
    assert isinstance(editor, PairEditor)
    editor.parts[0].setValue(4)  # what typing 4 and pressing Enter gives
    assert window.document.model("ShapesNet").node("pool1").params["kernel_size"] == 4
    assert window.scene.nodes["pool1"].info.shape == (8, 7, 7)
    assert window.scene.nodes["fc"].info.resolved["in_features"] == 16 * 3 * 3
    assert "output" in inspector.result.text() and "8×7×7" in inspector.result.text()


def test_unlinked_pair_and_inferred_values(window):
    inspector = select(window, "conv2")
    kernel = inspector.editors["kernel_size"]
    kernel.link.setChecked(False)
    kernel.parts[1].setValue(5)
    assert window.document.model("ShapesNet").node("conv2").params["kernel_size"] == [3, 5]
    in_channels = inspector.editors["in_channels"]
    assert isinstance(in_channels, OptionalEditor) and not in_channels.enabled.isChecked()
    assert in_channels.hint.text() == "from the wire: 8"


def test_an_invalid_value_is_refused_with_the_reason(qtbot, window):
    inspector = select(window, "image")
    field = inspector.editors["shape"].field
    field.setText("1, 0, 28")
    field.editingFinished.emit()
    assert window.document.model("ShapesNet").node("image").params["shape"] == [1, 28, 28]
    assert "sizes must be whole numbers of at least 1" in inspector.error.text()
    assert field.text() == "1, 28, 28"  # back to the document's value
    assert not window.document.undo_stack.can_undo


def test_a_bad_combination_turns_the_node_red_and_lists_the_problem(window):
    inspector = select(window, "conv2")
    inspector.editors["in_channels"].enabled.setChecked(True)
    inspector.editors["in_channels"].inner.spin.setValue(3)
    item = window.scene.nodes["conv2"]
    assert item.has_error and "expects 3 input channels but its input has 8" in item.toolTip()
    listed = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any("conv2: expects 3 input channels" in text for text in listed)
    assert "problem" in window.totals.text()
    window.scene.clearSelection()
    window.problems.itemClicked.emit(window.problems.item(0))  # clicking a problem selects its node
    assert window.scene.selected_node_ids() == ["conv2"]


def test_renaming_a_block_renames_it_in_the_code_too(qtbot, window):
    inspector = select(window, "fc")
    inspector.name_field.setText("classifier")
    inspector.name_field.editingFinished.emit()
    graph = window.document.model("ShapesNet")
    assert "classifier" in graph.node_ids() and "fc" not in graph.node_ids()
    window.code.update_code()
    assert "self.classifier = nn.Linear(784, 4)" in window.code.text.toPlainText()
    inspector.name_field.setText("conv1")
    inspector.name_field.editingFinished.emit()
    assert "taken by another block" in inspector.error.text()


def test_choices_and_checkboxes(window):
    inspector = select(window, "conv1")
    inspector.editors["padding_mode"].combo.setCurrentText("reflect")
    inspector.editors["bias"].box.setChecked(False)
    params = window.document.model("ShapesNet").node("conv1").params
    assert params["padding_mode"] == "reflect" and params["bias"] is False
    assert window.document.undo_stack.undo_text == "set conv1.bias"
    window.document.undo_stack.undo()
    assert inspector.editors["bias"].box.isChecked()
    assert inspector.editors["padding_mode"].combo.currentText() == "reflect"
    assert window.inspector.editors["bias"].isEnabled()
    assert Qt.CheckState.Checked == inspector.editors["bias"].box.checkState()


def test_a_list_of_dims_is_typed_and_shown_as_numbers(window):
    node_id = window.editor.add_block("Mean", (0.0, 0.0))
    inspector = select(window, node_id)
    field = inspector.editors["dim"].field
    assert field.text() == "2, 3"  # the starter
    field.setText("[1, -1]")
    field.editingFinished.emit()
    assert window.document.model("ShapesNet").node(node_id).params["dim"] == [1, -1]
    field.setText("2")  # one number is taken as it is
    field.editingFinished.emit()
    assert window.document.model("ShapesNet").node(node_id).params["dim"] == 2
    field.setText("2, two")
    field.editingFinished.emit()
    assert "dim must be one whole number or a list of 1 to 6 whole numbers" in inspector.error.text()
    assert field.text() == "2"
