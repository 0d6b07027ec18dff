"""The window as a whole: undo to the saved bytes, clipboard, files, autosave recovery, templates, tabs."""

import json

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication
from ui_actions import drop_block

from builder.core.graph import Edge
from builder.core.project import load_project, save_project
from builder.core.templates import EXAMPLE, TEMPLATES, load_template
from builder.ui.dialogs import CANCEL


def saved_window(make_window, tmp_path):
    path = tmp_path / "shapes.json"
    save_project(load_template(EXAMPLE), path)
    window = make_window(load_project(path))
    return window, path, path.read_bytes()


def test_undo_and_redo_a_sequence_of_edits_back_to_the_saved_file(make_window, tmp_path):
    window, path, saved = saved_window(make_window, tmp_path)
    drop_block(window, "Dropout", QPoint(200, 600))
    window.editor.connect("flatten", "drop1", 0)
    window.editor.connect("drop1", "fc", 0)
    window.editor.set_param("conv1", "out_channels", 12)
    window.scene.select_nodes(["relu2"])
    window.act_delete.trigger()
    window.act_layout.trigger()
    assert window.isWindowModified() and window.document.dirty
    after = window.document.to_json()
    while window.act_undo.isEnabled():
        window.act_undo.trigger()
    window.save()
    assert path.read_bytes() == saved
    assert not window.isWindowModified()
    while window.act_redo.isEnabled():
        window.act_redo.trigger()
    assert window.document.to_json() == after


def test_copy_paste_and_duplicate_through_the_clipboard(window):
    window.scene.select_nodes(["conv1", "relu1"])
    window.act_copy.trigger()
    assert json.loads(QApplication.clipboard().text())["format"] == "nn-builder-fragment"
    window.act_paste.trigger()
    graph = window.document.model("ShapesNet")
    assert graph.node_ids()[-2:] == ["conv3", "relu3"]
    assert Edge("conv3", "relu3", 0) in graph.edges
    assert window.scene.selected_node_ids() == ["conv3", "relu3"]
    window.act_duplicate.trigger()
    assert window.document.model("ShapesNet").node_ids()[-2:] == ["conv4", "relu4"]
    QApplication.clipboard().setText("not blocks")
    window.act_paste.trigger()
    assert "no NN Builder blocks" in window.statusBar().currentMessage()


def test_save_as_then_open_round_trips(make_window, tmp_path):
    window = make_window()
    target = tmp_path / "mine.json"
    window.dialogs.files = [target]
    window.editor.set_param("fc", "bias", False)
    assert window.save()  # untitled: asks where
    assert window.windowTitle().startswith("mine.json")
    assert str(target.resolve()) == window.recent_files()[0]
    other = make_window()
    assert other.open_project(target)
    assert other.document.model("ShapesNet").node("fc").params["bias"] is False
    assert other.document.to_json() == target.read_text()


def test_a_file_that_fails_to_load_gets_a_dialog_and_the_work_is_untouched(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "nn-builder-project", "version": 1, "models": [{"name": "N", "nodes": [{"id": 3}]}]}')
    window.editor.set_param("fc", "bias", False)
    before = window.document.to_json()
    assert not window.open_project(bad)  # "save changes?" answered Discard by the fixture
    (title, text), = window.dialogs.errors
    assert title == "Cannot open project" and "models[0].nodes[0].id" in text
    assert window.document.to_json() == before


def test_closing_with_unsaved_changes_asks(window):
    window.editor.set_param("fc", "bias", False)
    window.dialogs.answers["save_changes"] = CANCEL
    assert not window.close()
    assert window.isVisible()


def test_autosave_and_recovery_after_a_crash(make_window, tmp_path):
    window, path, _ = saved_window(make_window, tmp_path)
    window.editor.set_param("conv1", "out_channels", 32)
    window.autosave()
    assert window.autosaver.file.is_file()
    crashed = window.autosaver  # the window "crashes": its recovery file stays behind

    fresh = make_window()
    assert fresh.autosaver.session != crashed.session
    fresh.offer_recovery()
    (kind, question), = fresh.dialogs.asked
    assert kind == "yes_no" and f"{path.name}, autosaved" in question
    assert fresh.document.model("ShapesNet").node("conv1").params["out_channels"] == 32
    assert fresh.document.dirty and fresh.document.path == path
    assert not crashed.file.exists()
    window.autosaver = crashed


def test_autosave_runs_on_its_timer_and_saving_clears_it(qtbot, make_window, tmp_path):
    window, path, _ = saved_window(make_window, tmp_path)
    window._autosave.setInterval(50)
    window.editor.set_param("fc", "bias", False)
    qtbot.waitUntil(window.autosaver.file.is_file, timeout=2000)
    window.save()
    assert not window.autosaver.file.exists()


@pytest.mark.parametrize("template", [t.name for t in TEMPLATES])
def test_every_template_opens_clean(window, template):
    window.new_from_template(template)
    assert window.document.path is None and not window.document.dirty
    for model in window.document.project.models:
        window.session.show_model(model.name)
        assert window.session.report.ok and window.session.report.problems == []
        assert all(item.info is not None for item in window.scene.nodes.values())


def test_models_are_tabs(window):
    window.new_from_template("dcgan")
    assert window.tabs.isVisible() and [window.tabs.tabText(i) for i in range(2)] == ["G", "D"]
    window.tabs.setCurrentIndex(1)
    assert window.session.model == "D" and "verdict" in " ".join(window.scene.nodes)
    window.act_add_model.trigger()
    assert window.tabs.count() == 3 and window.session.model == "Model2"
    window.act_undo.trigger()
    assert window.tabs.count() == 2


def test_new_project_starts_with_an_input_and_an_output(window):
    window.act_new.trigger()
    graph = window.document.project.models[0]
    assert [n.type for n in graph.nodes] == ["Input", "Output"]


def test_read_only_while_training(window):
    window.set_read_only(True)
    assert window.banner.isVisible()
    before = window.document.to_json()
    drop_block(window, "ReLU", QPoint(200, 600), accepted=False)  # the canvas takes no drops
    window.scene.select_nodes(["relu1"])
    window.act_delete.trigger()
    assert window.document.to_json() == before
    assert not window.scene.nodes["conv1"].flags() & window.scene.nodes["conv1"].GraphicsItemFlag.ItemIsMovable
    window.view.zoom_by(1.5)  # looking around still works
    window.set_read_only(False)
    window.act_delete.trigger()
    assert "relu1" not in window.document.model("ShapesNet").node_ids()


def test_window_title_shows_unsaved_changes(make_window, tmp_path):
    window, _path, _ = saved_window(make_window, tmp_path)
    assert window.windowTitle() == "shapes.json[*] — NN Builder" and not window.isWindowModified()
    window.editor.set_param("fc", "bias", False)
    assert window.isWindowModified()
