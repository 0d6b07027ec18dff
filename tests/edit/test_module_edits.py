"""Modules in the edit layer, headless: use, Group into Module, Ungroup, enter a use, module parameters; each
one undo step back to the same bytes, each refusal with its reason and nothing changed."""

import pytest
from graphs import model, project
from modules_nets import small_resnet, two_port_project

from builder.blocks.check import check_model
from builder.core.document import Document
from builder.core.graph import Edge
from builder.core.project import project_to_json
from builder.edit.editor import EditError, Editor
from builder.edit.session import Session


def residual_net():
    """x → stem → [conv1 → relu → conv2, + stem] → head → out: the bracket is a residual block to group."""
    return model("Net", [
        ("x", "Input", {"shape": [3, 8, 8]}),
        ("stem", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("conv1", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("relu", "ReLU"),
        ("conv2", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("add", "Add"),
        ("head", "Conv2d", {"out_channels": 2, "kernel_size": 1}),
        ("out", "Output"),
    ], [("x", "stem"), ("stem", "conv1"), ("conv1", "relu"), ("relu", "conv2"), ("conv2", "add"),
        ("stem", "add", 1), ("add", "head"), ("head", "out")])


def editor_of(proj):
    return Editor(Session(Document(proj)))


def refused(editor, action, message):
    before = project_to_json(editor.document.project)
    with pytest.raises(EditError) as caught:
        action()
    assert message in str(caught.value), str(caught.value)
    assert project_to_json(editor.document.project) == before


def test_group_makes_a_module_used_where_the_blocks_were_and_one_undo_gives_back_the_bytes():
    editor = editor_of(project(residual_net()))
    saved = project_to_json(editor.document.project)
    use = editor.group(["conv1", "relu", "conv2", "add"], "Residual")
    doc = editor.document
    block = doc.model("Residual")
    assert [n.type for n in block.nodes] == ["Input", "Conv2d", "ReLU", "Conv2d", "Add", "Output"]
    assert block.node("x").params["shape"] == [8, 8, 8]  # the shape that entered the selection
    assert use == "residual1" and doc.model("Net").node(use).type == "Residual"
    top = doc.model("Net")
    assert Edge("stem", use, 0) in top.edges and Edge(use, "head", 0) in top.edges
    report = check_model(top, doc.project)
    assert report.ok and tuple(report.infos["head"].shape) == (2, 8, 8)
    assert report.infos[use].params == 2 * (8 * 8 * 9 + 8)
    doc.undo_stack.undo()
    assert project_to_json(doc.project) == saved
    doc.undo_stack.redo()
    assert check_model(doc.model("Net"), doc.project).ok


def test_ungroup_puts_the_blocks_back_wired_through_with_the_use_values():
    editor = editor_of(small_resnet())
    doc = editor.document
    before = check_model(doc.model("ResNet"), doc.project)
    ids = editor.ungroup("layer2.0")
    top = doc.model("ResNet")
    assert "layer2.0" not in top.node_ids() and len(ids) == 9  # its blocks, Input and Output gone
    after = check_model(top, doc.project)
    assert after.ok and after.total_params == before.total_params
    assert after.infos["out"].shape == before.infos["out"].shape
    convs = [top.node(i) for i in ids if top.node(i).type == "Conv2d"]
    assert {c.params["out_channels"] for c in convs} == {32}  # the use's planes, no refs left
    assert {c.params.get("stride", 1) for c in convs} == {1, 2}
    doc.undo_stack.undo()
    assert "layer2.0" in doc.model("ResNet").node_ids()


def test_group_refuses_what_cannot_be_a_module_and_changes_nothing():
    editor = editor_of(project(residual_net()))
    refused(editor, lambda: editor.group([], "Block"), "select the blocks")
    refused(editor, lambda: editor.group(["x", "stem"], "Block"), "'x' is an Input")
    refused(editor, lambda: editor.group(["conv1", "add"], "Block"), "'relu' is outside the selection")
    refused(editor, lambda: editor.group(["conv1"], "Net"), "'Net' is taken")
    refused(editor, lambda: editor.group(["conv1"], "Conv2d"), "'Conv2d' is taken")


def test_a_module_that_would_use_itself_is_refused_with_the_chain():
    editor = editor_of(small_resnet())
    editor.session.enter("layer1.0")
    assert editor.model_name == "BasicBlock"
    refused(editor, lambda: editor.add_block("BasicBlock", (0, 0)), "BasicBlock would use itself")
    refused(editor, lambda: editor.add_block("ResNet", (0, 0)), "(BasicBlock › ResNet › BasicBlock)")
    editor.session.leave()
    node_id = editor.add_block("DownBlock", (0, 0))
    assert node_id == "down_block1" and editor.graph.node(node_id).type == "DownBlock"


def test_entering_a_use_checks_the_module_as_that_use_sees_it_and_edits_inside_update_the_network():
    editor = editor_of(small_resnet())
    session = editor.session
    assert tuple(session.report.infos["layer2.0"].shape) == (32, 8, 8)
    session.enter("layer2.0")
    assert session.model == "DownBlock" and session.breadcrumb() == ["ResNet", "DownBlock (layer2.0)"]
    assert tuple(session.report.infos["x"].shape) == (16, 16, 16)  # what reaches this use, not the Input's own shape
    editor.set_param("conv2", "kernel_size", 5)  # padding 1: the main path shrinks, the skip does not
    problems = [p.message for p in session.report.problems]
    assert any("add" in m or "shape" in m for m in problems), problems
    editor.document.undo_stack.undo()
    assert session.report.ok
    session.leave()
    assert session.model == "ResNet" and session.trail == [] and session.report.ok


def test_undo_that_removes_the_entered_use_goes_back_to_the_top():
    editor = editor_of(small_resnet())
    editor.ungroup("layer1.1")
    editor.session.show_model("ResNet")
    editor.document.undo_stack.undo()  # layer1.1 back
    editor.session.enter("layer1.1")
    editor.document.undo_stack.redo()  # ungrouped again: the use entered is gone
    assert editor.session.model == "ResNet" and editor.session.trail == []


def test_a_block_param_becomes_a_module_parameter_that_each_use_sets():
    editor = editor_of(small_resnet())
    doc = editor.document
    saved = project_to_json(doc.project)
    editor.session.show_model("BasicBlock")
    editor.modules.declare("conv1", "bias", "with_bias")
    block = doc.model("BasicBlock")
    assert block.node("conv1").params["bias"] == {"ref": "with_bias"}
    assert [p.name for p in block.params] == ["planes", "with_bias"] and block.params[1].default is False
    editor.modules.link("conv2", "bias", "with_bias")
    refused(editor, lambda: editor.modules.link("conv2", "kernel_size", "with_bias"), "cannot be linked")
    editor.session.show_model("ResNet")
    refused(editor, lambda: editor.set_param("layer1.0", "planes", 0), "at least 1")
    refused(editor, lambda: editor.set_param("layer1.0", "width", 3), "has no parameter 'width'")
    editor.set_param("layer1.0", "with_bias", False)
    editor.set_param("layer1.0", "with_bias", True)  # merged with the edit before: one undo step
    report = editor.session.report
    assert report.ok and report.infos["layer1.0"].params == 4672 + 2 * 16
    assert report.infos["layer1.1"].params == 4672
    editor.session.show_model("BasicBlock")
    editor.modules.rename("with_bias", "bias")
    assert doc.model("ResNet").node("layer1.0").params == {"planes": 16, "bias": True}
    assert doc.model("BasicBlock").node("conv2").params["bias"] == {"ref": "bias"}
    editor.modules.remove("bias")
    assert doc.model("BasicBlock").node("conv1").params["bias"] is False
    assert doc.model("ResNet").node("layer1.0").params == {"planes": 16}
    for _step in range(6):
        doc.undo_stack.undo()
    assert project_to_json(doc.project) == saved


def test_a_module_in_use_is_not_deleted_and_renaming_it_renames_its_uses():
    editor = editor_of(small_resnet())
    refused(editor, lambda: editor.remove_model("BasicBlock"), "BasicBlock is used by ResNet.layer1.0")
    editor.rename_model("BasicBlock", "Basic")
    assert {n.type for n in editor.document.model("ResNet").nodes if n.id.startswith("layer1")} == {"Basic"}
    assert editor.session.report.ok
    refused(editor, lambda: editor.rename_model("Basic", "ReLU"), "is a block type")


def test_wires_name_the_output_port_of_a_module_with_several():
    editor = editor_of(two_port_project())
    refused(editor, lambda: editor.connect("up", "head", 0, src_port=2), "has no output port 2")
    refused(editor, lambda: editor.connect("x", "up", 2), "Up 'up' has no input port 2")
    refused(editor, lambda: editor.connect("down", "head", 0, src_port=1), "has no output port 1")
    editor.connect("up", "head", 0, src_port=1)
    assert Edge("up", "head", 0, 1) in editor.graph.edges
