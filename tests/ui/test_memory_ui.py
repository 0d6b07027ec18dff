"""Memory in the window: the status bar's estimate follows the batch size, the Inspector gives a node's share,
and Find the Largest Batch Size measures in the background and sets what it found once the user says yes."""

from builder.core.templates import EXAMPLE, load_template
from builder.train import batch_finder


def test_the_estimate_follows_the_batch_size_in_the_status_bar_and_the_inspector(window):
    memory = window.training.memory
    assert memory.label.text().startswith("≈ ") and "at batch 64" in memory.label.text()
    small = memory.label.text()
    window.editor.set_setting(("data", "batch_size"), 256)
    assert "at batch 256" in memory.label.text() and memory.label.text() != small
    assert "Adam state" in memory.label.toolTip()
    window.select_node("relu1")  # a ReLU keeps its output: its backward reads it
    assert "kept for backward at batch 256" in window.inspector.result.text()
    window.select_node("conv1")  # the conv's output is read only by that ReLU, which does not need it
    assert "keeps no memory for backward" in window.inspector.result.text()
    window.select_node("flatten")
    assert "keeps no memory for backward" in window.inspector.result.text()  # a view of conv2's output


def test_the_largest_batch_is_measured_then_set_when_the_user_agrees(qtbot, make_window, monkeypatch):
    project = load_template(EXAMPLE)
    project.data["source"]["samples"] = 400  # 320 to train on: the largest batch there can be
    project.training["device"] = "cpu"
    monkeypatch.setattr(batch_finder, "available_bytes", lambda device: 10**12)
    window = make_window(project)
    memory = window.training.memory
    training_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Training")
    assert memory.find_action in training_menu.actions()
    memory.find_action.trigger()
    assert not memory.find_action.isEnabled()  # one search at a time
    qtbot.waitUntil(lambda: bool(window.dialogs.asked), timeout=60_000)
    (kind, text), = window.dialogs.asked
    assert kind == "yes_no" and "is 320" in text and "every sample of the training split" in text
    assert window.document.project.data["batch_size"] == 320 and "at batch 320" in memory.label.text()
    assert memory.find_action.isEnabled() and window.dialogs.errors == []
    window.document.undo_stack.undo()  # one undoable edit, as any other setting
    assert window.document.project.data.get("batch_size", 64) == 64


def test_a_project_that_cannot_train_is_told_why_instead(qtbot, make_window):
    project = load_template(EXAMPLE)
    project.data["source"] = {"kind": "image_folder", "path": "no/such/folder"}
    window = make_window(project)
    window.training.memory.find_action.trigger()
    qtbot.waitUntil(lambda: bool(window.dialogs.errors), timeout=30_000)
    (title, text), = window.dialogs.errors
    assert title == "Find the Largest Batch Size" and "no/such/folder" in text
