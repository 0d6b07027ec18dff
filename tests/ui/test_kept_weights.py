"""Trained weights are kept with the project: saved beside it, back when it opens, the current run chosen by
the user, a warning before they would be lost, and closing mid-run keeps the run."""

import torch

from builder.core.project import load_project
from builder.core.templates import EXAMPLE, load_template
from builder.train.kept import runs_folder
from builder.ui.dialogs import DISCARD, SAVE


def small_example(epochs=1):
    project = load_template(EXAMPLE)
    project.data["source"]["samples"] = 320
    project.data["batch_size"] = 32
    project.training.update({"epochs": epochs, "device": "cpu"})
    return project


def train(qtbot, window):
    ui = window.training
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000):
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    return ui.controller.trained


def test_weights_trained_in_the_window_come_back_when_the_project_opens(qtbot, make_window, tmp_path):
    window = make_window(small_example())
    trained = train(qtbot, window)
    path = tmp_path / "shapes.json"
    window.dialogs.files = [path]
    assert window.save()
    run = window.document.project.runs[-1]
    assert run["current"] is True and (runs_folder(path) / run["weights"]["model"]).is_file()
    again = make_window(load_project(path))
    ui = again.training
    assert ui.controller.trained is not None and ui.exports.folder_action.isEnabled()
    assert torch.equal(ui.controller.trained.state["fc.weight"], trained.state["fc.weight"])
    assert "weights kept" in ui.progress.format() and "current weights" in ui.runs.list.item(0).text()


def test_the_user_picks_which_runs_weights_are_current(qtbot, make_window, tmp_path):
    window = make_window(small_example())
    first = train(qtbot, window)
    window.editor.set_setting(("training", "seed"), 7)
    second = train(qtbot, window)
    assert not torch.equal(first.state["fc.weight"], second.state["fc.weight"])
    runs = window.training.runs
    runs.list.setCurrentRow(1)  # newest first: row 1 is the first run
    runs.use.click()
    assert torch.equal(window.training.controller.trained.state["fc.weight"], first.state["fc.weight"])
    path = tmp_path / "two.json"
    window.dialogs.files = [path]
    assert window.save()
    again = make_window(load_project(path))
    assert torch.equal(again.training.controller.trained.state["fc.weight"], first.state["fc.weight"])
    window.document.undo_stack.undo()  # the choice is an edit like any other
    assert window.document.project.runs[-1]["current"] is True


def test_closing_warns_that_unsaved_weights_would_be_lost(qtbot, make_window, tmp_path):
    window = make_window(small_example())
    train(qtbot, window)
    window.dialogs.answers["save_changes"] = DISCARD
    assert window.close()
    (kind, question), = [q for q in window.dialogs.asked if q[0] == "save_changes"]
    assert "the trained weights of 1 run, kept only when the project is saved" in question


def test_closing_during_training_keeps_the_run_and_its_weights(qtbot, make_window, tmp_path):
    window = make_window(small_example(epochs=50))
    window.document.project.data["source"]["samples"] = 4000
    ui = window.training
    epochs = []
    ui.controller.epoch_ended.connect(epochs.append)
    ui.train_action.trigger()
    qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=60_000)
    path = tmp_path / "closing.json"
    window.dialogs.answers["save_changes"] = SAVE
    window.dialogs.files = [path]
    assert window.close()  # stop it and close? yes (the scripted answer)
    assert ui.controller.thread is None
    saved = load_project(path)
    (run,) = saved.runs
    assert run["outcome"] == "stopped" and len(run["epochs"]) >= 1
    assert (runs_folder(path) / run["weights"]["model"]).is_file()


def test_save_as_elsewhere_takes_the_kept_weights_along(qtbot, make_window, tmp_path):
    window = make_window(small_example())
    train(qtbot, window)
    first, second = tmp_path / "a" / "p.json", tmp_path / "b" / "q.json"
    first.parent.mkdir()
    second.parent.mkdir()
    window.dialogs.files = [first]
    assert window.save()
    window.dialogs.files = [second]
    assert window.save_as()
    name = window.document.project.runs[-1]["weights"]["model"]
    assert (runs_folder(second) / name).is_file()
    assert make_window(load_project(second)).training.controller.trained is not None
