"""Every edit is a command that undoes exactly: after undoing everything, the file is byte for byte the saved one."""

import nets
import pytest
from graphs import project

from builder.core.commands import (
    AddModel,
    AddNode,
    Connect,
    Disconnect,
    Macro,
    RemoveModel,
    RemoveNodes,
    RenameModel,
    RenameNode,
    SetSection,
    move_nodes,
    set_param,
)
from builder.core.document import NODE_MOVED, Document
from builder.core.graph import Edge, ModelGraph, Node
from builder.core.project import ProjectError


def lenet_document(tmp_path):
    doc = Document(project(nets.lenet()))
    doc.save(tmp_path / "net.json")
    return doc, (tmp_path / "net.json").read_text()


def edits(doc):
    yield AddNode("LeNet", Node("drop", "Dropout", {"p": 0.3}))
    yield set_param(doc, "LeNet", "conv1", "out_channels", 12)
    yield set_param(doc, "LeNet", "conv1", "padding", None)  # back to the default
    yield move_nodes(doc, "LeNet", {"conv2": (10.0, 20.0), "fc1": (30.0, 40.0)})
    yield Connect("LeNet", Edge("relu3", "drop"))
    yield Connect("LeNet", Edge("drop", "fc2"))  # replaces the wire relu3 -> fc2
    yield Disconnect("LeNet", [Edge("pool1", "conv2")])
    yield RenameNode("LeNet", "fc3", "classifier")
    yield RemoveNodes("LeNet", ["relu2", "pool2"])
    yield AddModel(ModelGraph("Other", [Node("x", "Input", {"shape": [4]})]))
    yield RenameModel("Other", "Second")
    yield RemoveModel("Second")
    yield SetSection("training", {"lr": 0.1})


def test_undoing_every_edit_restores_the_saved_file_byte_for_byte(tmp_path):
    doc, saved = lenet_document(tmp_path)
    states = [doc.to_json()]
    for command in edits(doc):
        doc.execute(command)
        states.append(doc.to_json())
    assert doc.dirty
    for expected in reversed(states[:-1]):
        doc.undo_stack.undo()
        assert doc.to_json() == expected
    assert not doc.dirty
    assert doc.to_json() == saved
    for expected in states[1:]:  # and redo walks forward through the same states
        doc.undo_stack.redo()
        assert doc.to_json() == expected


def test_the_edits_do_what_they_say(tmp_path):
    doc, _ = lenet_document(tmp_path)
    for command in edits(doc):
        doc.execute(command)
    net = doc.model("LeNet")
    assert net.node("conv1").params == {"out_channels": 12, "kernel_size": 5}
    assert net.node("conv2").ui == {"pos": [10.0, 20.0]}
    assert Edge("drop", "fc2") in net.edges and Edge("relu3", "fc2") not in net.edges
    assert Edge("fc2", "relu4") in net.edges and Edge("relu4", "classifier") in net.edges
    assert Edge("classifier", "out") in net.edges
    assert "relu2" not in net.node_ids() and not any("relu2" in (e.src, e.dst) for e in net.edges)
    assert [m.name for m in doc.project.models] == ["LeNet"]
    assert doc.project.training == {"lr": 0.1}


def test_saving_marks_clean_and_new_edits_after_undo_drop_the_redo_branch(tmp_path):
    doc, _ = lenet_document(tmp_path)
    flags = []
    doc.dirty_changed.connect(flags.append)
    doc.execute(set_param(doc, "LeNet", "conv1", "out_channels", 7))
    doc.save()
    assert not doc.dirty
    doc.undo_stack.undo()
    assert doc.dirty
    doc.execute(set_param(doc, "LeNet", "conv1", "out_channels", 9))
    assert not doc.undo_stack.can_redo and doc.dirty  # the saved state is gone from the history
    assert flags == [True, False, True]


def test_events_tell_views_what_changed_and_when_a_command_is_done(tmp_path):
    doc, _ = lenet_document(tmp_path)
    changes, done = [], []
    doc.changed.connect(changes.append)
    doc.edited.connect(lambda: done.append(True))
    doc.execute(Macro("two moves", [move_nodes(doc, "LeNet", {"conv1": (1, 2)}),
                                    move_nodes(doc, "LeNet", {"conv2": (3, 4)})]))
    assert [(c.kind, c.node) for c in changes] == [(NODE_MOVED, "conv1"), (NODE_MOVED, "conv2")]
    assert done == [True]  # one command: one re-check
    assert doc.undo_stack.undo_text == "two moves"


def test_a_failed_load_leaves_the_document_as_it_was(tmp_path):
    doc, saved = lenet_document(tmp_path)
    doc.execute(set_param(doc, "LeNet", "conv1", "out_channels", 3))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ProjectError):
        doc.load(broken)
    assert doc.model("LeNet").node("conv1").params["out_channels"] == 3 and doc.dirty


def test_run_history_edits_undo(tmp_path):
    from builder.core.commands import SetRuns

    doc, saved = lenet_document(tmp_path)
    doc.execute(SetRuns([{"id": "r1", "epochs": [{"epoch": 1, "train_loss": 0.5}]}], "add run"))
    assert doc.project.runs[0]["id"] == "r1" and '"runs"' in doc.to_json()
    doc.undo_stack.undo()
    assert doc.to_json() == saved
