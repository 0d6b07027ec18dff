"""The edit layer, headless: every user action is one undo step, and every refusal says why and changes nothing."""

import pytest
from graphs import chain, project

from builder.core.document import Document
from builder.core.graph import Edge
from builder.core.project import project_to_json
from builder.edit.editor import READ_ONLY, EditError, Editor
from builder.edit.projects import new_project
from builder.edit.session import Session
from builder.train.config import DATA_PARAMS


def net():
    return chain("Net", [1, 8, 8], [("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
                                    ("act", "ReLU"), ("flat", "Flatten"), ("fc", "Linear", {"out_features": 2})])


@pytest.fixture
def editor():
    return Editor(Session(Document(project(net()))))


def refused(editor, action, message):
    """The action is refused with a message containing `message`, and the document is unchanged."""
    before = project_to_json(editor.document.project)
    steps = editor.document.undo_stack.can_undo
    with pytest.raises(EditError) as caught:
        action()
    assert message in str(caught.value)
    assert project_to_json(editor.document.project) == before and editor.document.undo_stack.can_undo == steps


def test_each_action_is_one_undo_step_and_undo_gives_back_the_project(editor):
    stack = editor.document.undo_stack
    saved = project_to_json(editor.document.project)
    actions = [
        lambda: editor.add_block("BatchNorm2d", (10, 20)),
        lambda: editor.connect("conv", "bn1", 0),
        lambda: editor.set_param("conv", "out_channels", 6),
        lambda: editor.rename("act", "relu"),
        lambda: editor.move({"fc": (300.0, 40.0)}),
        lambda: editor.duplicate(["conv"]),
        lambda: editor.delete(["bn1"]),
        lambda: editor.auto_layout(),
        lambda: editor.add_model(),
        lambda: editor.rename_model("Model2", "Head"),
        lambda: editor.set_setting(("data", "batch_size"), 32, DATA_PARAMS[1]),
        lambda: editor.set_setting(("data", "source", "samples"), 500),
        lambda: editor.remove_model("Head"),
    ]
    for count, action in enumerate(actions, start=1):
        action()
        undone = 0
        while stack.can_undo:
            stack.undo()
            undone += 1
        assert undone == count, f"action {count} took more than one step"
        assert project_to_json(editor.document.project) == saved
        for _ in range(count):
            stack.redo()
    assert editor.document.project.data == {"batch_size": 32, "source": {"samples": 500}}


def test_block_refusals(editor):
    refused(editor, lambda: editor.add_block("Conv3d", (0, 0)), "unknown block type 'Conv3d'")
    refused(editor, lambda: editor.connect("conv", "conv", 0), "cannot feed itself")
    refused(editor, lambda: editor.connect("out", "fc", 0), "'out' is an Output")
    refused(editor, lambda: editor.connect("fc", "x", 0), "'x' is an Input")
    refused(editor, lambda: editor.connect("x", "fc", 1), "Linear 'fc' has no input port 1")
    refused(editor, lambda: editor.connect("fc", "conv", 0), "would make a cycle, since 'conv' already feeds 'fc'")
    refused(editor, lambda: editor.set_param("conv", "kernel_size", 0), "kernel_size must be at least 1")
    refused(editor, lambda: editor.rename("conv", "fc"), "'fc' is taken by another block")
    refused(editor, lambda: editor.rename("conv", "bad\nname"), "1 to 100 printable characters")
    refused(editor, lambda: editor.rename("conv", "x" * 101), "1 to 100 printable characters")
    refused(editor, lambda: editor.paste("just text"), "holds no NN Builder blocks")


def test_insert_on_a_wire_refusals(editor):
    edge = Edge("act", "flat")
    refused(editor, lambda: editor.insert_on_wire("x", edge, (0, 0)), "only a block with an input and an output")
    refused(editor, lambda: editor.insert_on_wire("conv", edge, (0, 0)), "'conv' is already wired")
    free = editor.add_block("Dropout", (0, 0))
    editor.insert_on_wire(free, edge, (50, 50))
    assert Edge("act", free) in editor.graph.edges and Edge(free, "flat") in editor.graph.edges


def test_insert_on_a_wire_moves_the_nodes_it_makes_room_with_in_the_same_undo_step(editor):
    free = editor.add_block("Dropout", (0, 0))
    saved = project_to_json(editor.document.project)
    editor.insert_on_wire(free, Edge("act", "flat"), (50, 50), shifted={"flat": (400.0, 0.0), "fc": (610.0, 0.0)})
    assert [editor.graph.node(n).ui["pos"] for n in (free, "flat", "fc")] == [[50, 50], [400, 0], [610, 0]]
    editor.document.undo_stack.undo()
    assert project_to_json(editor.document.project) == saved


def test_connect_refusal_is_what_connect_would_say_and_changes_nothing(editor):
    saved = project_to_json(editor.document.project)
    assert editor.connect_refusal("fc", "conv", 0) == ("refused: a wire fc → conv would make a cycle, "
                                                       "since 'conv' already feeds 'fc'")
    assert editor.connect_refusal("x", "fc", 1) == "Linear 'fc' has no input port 1"
    assert editor.connect_refusal("conv", "act", 0) is None  # already wired: nothing to refuse
    assert editor.connect_refusal("x", "act", 0) is None
    assert project_to_json(editor.document.project) == saved


def test_model_refusals(editor):
    refused(editor, lambda: editor.remove_model("Net"), "a project keeps at least one model")
    name = editor.add_model()
    assert name == "Model2" and [n.type for n in editor.document.model(name).nodes] == ["Input", "Output"]
    refused(editor, lambda: editor.rename_model(name, "Net"), "a model named 'Net' exists already")
    refused(editor, lambda: editor.rename_model(name, ""), "1 to 100 printable characters")


def test_an_invalid_setting_is_refused_with_its_location(editor):
    batch_size = next(p for p in DATA_PARAMS if p.name == "batch_size")
    refused(editor, lambda: editor.set_setting(("data", "batch_size"), 0, batch_size),
            "data.batch_size: must be at least 1")
    editor.set_setting(("data", "batch_size"), 16, batch_size)
    editor.set_setting(("data", "batch_size"), None)
    assert "batch_size" not in editor.document.project.data


def test_read_only_refuses_every_edit(editor):
    editor.session.read_only = True
    for action in (lambda: editor.add_block("ReLU", (0, 0)), lambda: editor.set_param("conv", "out_channels", 2),
                   lambda: editor.delete(["act"]), lambda: editor.move({"fc": (1.0, 1.0)}),
                   lambda: editor.rename("fc", "head"), lambda: editor.add_model(),
                   lambda: editor.set_setting(("training", "lr"), 0.1)):
        refused(editor, action, READ_ONLY)


def test_new_project_has_an_input_and_an_output():
    fresh = new_project()
    assert [m.name for m in fresh.models] == ["Net"] and fresh.path is None
    assert [n.type for n in fresh.models[0].nodes] == ["Input", "Output"]


def test_a_fix_inserts_its_block_on_the_wire_in_one_step():
    from builder.blocks.check import check_model

    model = chain("Net", [1, 8, 8], [("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
                                     ("fc", "Linear", {"out_features": 2})])
    model.node("conv").ui, model.node("fc").ui = {"pos": [0.0, 0.0]}, {"pos": [200.0, 100.0]}
    editor = Editor(Session(Document(project(model))))
    (problem,) = check_model(editor.graph).problems
    assert problem.warning and problem.fix.label == "Insert Flatten before fc"
    new = editor.apply_fix(problem.fix)
    graph = editor.graph
    assert [(e.src, e.dst) for e in graph.edges if new in (e.src, e.dst)] == [("conv", new), (new, "fc")]
    assert graph.node(new).ui["pos"] == [100.0, 50.0]
    assert check_model(graph).problems == [] and check_model(graph).infos["fc"].shape == (2,)
    editor.document.undo_stack.undo()
    assert new not in editor.graph.node_ids() and not editor.document.undo_stack.can_undo
