"""Training from the window: a real short run in the worker thread, Stop, failures, closing, export, history."""

import json

import torch

from builder.core.project import load_project
from builder.core.templates import EXAMPLE, load_template
from builder.ui.param_editors import PathEditor


def small(project, **training):
    project.data["source"]["samples"] = 400
    project.data["batch_size"] = 32
    project.training.update({"epochs": 2, "device": "cpu", **training})
    return project


def quick_window(make_window, **training):
    project = small(load_template(EXAMPLE), **training)
    project.path = None
    return make_window(project)


def test_a_short_run_from_the_window(qtbot, make_window):
    window = quick_window(make_window)
    ui = window.training
    assert ui.train_action.isEnabled()
    with qtbot.waitSignal(ui.controller.running_changed, timeout=5000):
        ui.train_action.trigger()
    assert window.banner.isVisible() and window.session.read_only and ui.stop_action.isEnabled()
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000) as finished:
        pass
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    event = finished.args[0]
    assert event.reason == "completed" and event.epochs_done == 2
    assert ui.plots.point_count() == 2 * 10  # 320 training samples in batches of 32, 2 epochs
    ui.plots.redraw()
    assert len(ui.plots.curves[("smooth", "loss")].getData()[0]) == 20
    assert len(ui.plots.curves[("epoch", "val_loss")].getData()[0]) == 2
    assert list(ui.plots.points("epoch", "lr")[1]) == [0.003, 0.003]
    assert ui.results.confusion.matrix and sum(map(sum, ui.results.confusion.matrix)) == 80  # the validation split
    assert ui.results.samples.predictions.epoch == 2
    assert not window.banner.isVisible() and not window.session.read_only
    run = window.document.project.runs[-1]
    assert run["outcome"] == "completed" and len(run["epochs"]) == 2 and len(run["steps"]) == 20
    assert "completed after 2 epochs · validation accuracy" in ui.progress.format()
    assert window.dialogs.errors == []


def test_stop_ends_the_run_within_a_batch(qtbot, make_window):
    window = quick_window(make_window, epochs=50)
    window.document.project.data["source"]["samples"] = 4000
    ui = window.training
    steps = []
    ui.controller.steps.connect(lambda batch: steps.append(batch))
    ui.train_action.trigger()
    qtbot.waitUntil(lambda: len(steps) >= 2, timeout=30_000)
    with qtbot.waitSignal(ui.controller.finished, timeout=10_000) as finished:
        ui.stop_action.trigger()
    assert finished.args[0].reason == "stopped"
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    assert ui.controller.thread is None  # joined


def test_a_nan_run_shows_its_message_and_the_app_goes_on(qtbot, make_window, tmp_path):
    import numpy as np
    from graphs import chain

    from builder.core.project import Project

    values = np.full((64, 4), 1e20, dtype=np.float32)  # squared errors overflow float32: inf at once
    np.savez(tmp_path / "huge.npz", x=values, y=values[:, :1])
    project = Project(models=[chain("Net", [4], [("fc", "Linear", {"out_features": 1})])],
                      data={"source": {"kind": "npz", "path": "huge.npz"}, "task": "regression"},
                      training={"device": "cpu", "epochs": 2})
    project.path = tmp_path / "huge.json"
    window = make_window(project)
    ui = window.training
    with qtbot.waitSignal(ui.controller.failed, timeout=60_000):
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    title, text = window.dialogs.errors[0]
    assert title == "Training stopped" and "the loss became" in text and "learning rate" in text
    assert not window.session.read_only
    window.editor.set_param("fc", "out_features", 2)  # editing works again
    assert window.document.model("Net").node("fc").params["out_features"] == 2


def test_problems_found_before_training_are_shown(qtbot, make_window):
    window = quick_window(make_window)
    window.document.project.data["source"] = {"kind": "npz", "path": "missing.npz"}
    ui = window.training
    ui.update_readiness()
    assert not ui.train_action.isEnabled() and "missing.npz does not exist" in ui.why.text()
    window.editor.set_param("fc", "in_features", 3)
    assert "problem" in ui.why.text()


def test_closing_during_training_asks_then_stops_cleanly(qtbot, make_window):
    window = quick_window(make_window, epochs=50)
    window.document.project.data["source"]["samples"] = 4000
    ui = window.training
    steps = []
    ui.controller.steps.connect(steps.append)
    ui.train_action.trigger()
    qtbot.waitUntil(lambda: len(steps) >= 1, timeout=30_000)
    window.dialogs.answers["yes_no"] = False
    assert not window.close() and ui.controller.running
    assert window.dialogs.asked[-1] == ("yes_no", "Training is running. Stop it and close?")
    window.dialogs.answers["yes_no"] = True
    assert window.close()
    assert ui.controller.thread is None


def test_export_writes_files_that_load_into_the_generated_class(qtbot, make_window, tmp_path):
    window = quick_window(make_window)
    ui = window.training
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000):
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    assert ui.exports.folder_action.isEnabled()
    window.dialogs.files = [tmp_path / "export"]
    (tmp_path / "export").mkdir()
    ui.exports.folder_action.trigger()
    files = sorted(p.name for p in (tmp_path / "export").iterdir())
    assert files == ["README.md", "ShapesNet.pt", "ShapesNet.safetensors", "classes.json", "model.py"]
    shapes = ["circle", "square", "triangle", "cross"]  # which output index is which class, in all three
    assert json.loads((tmp_path / "export" / "classes.json").read_text()) == shapes
    assert '0: "circle"\n1: "square"' in (tmp_path / "export" / "README.md").read_text()
    namespace = {}
    exec((tmp_path / "export" / "model.py").read_text(), namespace)
    assert '    3: "cross"' in namespace["__doc__"]
    model = namespace["ShapesNet"]()
    model.load_state_dict(torch.load(tmp_path / "export" / "ShapesNet.pt", weights_only=True))
    expected = ui.controller.trained.state["fc.weight"]
    assert torch.equal(model.fc.weight, expected)
    # and loading them back into the graph checks them against it
    window.dialogs.files = [tmp_path / "export" / "ShapesNet.safetensors"] * 2
    ui.exports.load_action.trigger()
    assert window.dialogs.errors == [] and torch.equal(ui.controller.trained.state["fc.weight"], expected)
    window.editor.set_param("fc", "out_features", 7)
    ui.exports.load_action.trigger()
    (title, text), = window.dialogs.errors
    assert title == "Cannot load weights" and "do not fit" in text and "fc.weight" in text


def test_run_history_survives_save_and_load(qtbot, make_window, tmp_path):
    window = quick_window(make_window, epochs=1)
    ui = window.training
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000):
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    path = tmp_path / "with_runs.json"
    window.dialogs.files = [path]
    assert window.save()
    again = make_window(load_project(path))
    runs = again.training.runs
    assert runs.list.count() == 1 and "1 epochs" in runs.list.item(0).text()
    overlays = []
    runs.overlays_changed.connect(overlays.append)
    runs.list.item(0).setCheckState(runs.list.item(0).checkState().__class__.Checked)
    assert len(overlays[-1]) == 1 and len(again.training.plots._overlays) >= 2
    runs.list.setCurrentRow(0)
    runs.remove.click()
    assert again.document.project.runs == [] and runs.list.count() == 0
    again.document.undo_stack.undo()
    assert runs.list.count() == 1


def test_settings_edits_are_undoable_and_refused_when_invalid(qtbot, make_window):
    window = quick_window(make_window)
    panel = window.training.panel
    panel.training_form.editors["epochs"].spin.setValue(3)
    assert window.document.project.training["epochs"] == 3
    panel.training_form.editors["lr"].field.setText("-2")
    panel.training_form.editors["lr"].field.editingFinished.emit()
    assert "training.lr: must be greater than 0" in panel.error.text()
    assert window.document.project.training["lr"] == 0.003
    optimizer = panel.training_form.editors["optimizer"].combo
    optimizer.setCurrentText("SGD")
    assert set(panel.options_form.editors) == {"momentum", "weight_decay", "nesterov"}
    panel.options_form.editors["momentum"].field.setText("0.9")
    panel.options_form.editors["momentum"].field.editingFinished.emit()
    assert window.document.project.training["momentum"] == 0.9
    window.document.undo_stack.undo()
    assert "momentum" not in window.document.project.training
    panel.schedule.setCurrentIndex(panel.schedule.findData("StepLR"))
    panel.schedule.activated.emit(panel.schedule.currentIndex())
    assert window.document.project.training["schedule"] == {"kind": "StepLR", "step_size": 5}
    assert set(panel.schedule_form.editors) == {"step_size", "gamma"}


def test_the_data_source_form_is_made_from_the_sources_declarations(qtbot, make_window, tmp_path):
    window = quick_window(make_window)
    panel = window.training.panel
    labels = [panel.source.itemText(i) for i in range(panel.source.count())]
    assert labels[:2] == ["Built-in: shapes", "Built-in: blobs"] and "Image folder" in labels
    assert set(panel.source_form.editors) == {"samples", "noise", "classes", "seed"}
    panel.source_form.editors["samples"].spin.setValue(123)
    assert window.document.project.data["source"]["samples"] == 123
    panel.source.setCurrentIndex(panel.source.findData({"kind": "image_folder"}))
    panel.source.activated.emit(panel.source.currentIndex())
    assert window.document.project.data["source"] == {"kind": "image_folder"}
    assert set(panel.source_form.editors) == {"path", "targets"}
    assert "needs 'path'" in window.training.why.text()
    path = panel.source_form.editors["path"]
    assert isinstance(path, PathEditor) and path.folder == window.document.project.folder
    (tmp_path / "digits").mkdir()
    path.field.setText("digits")
    path.field.editingFinished.emit()
    assert window.document.project.data["source"] == {"kind": "image_folder", "path": "digits"}
    panel.source.setCurrentIndex(panel.source.findData({"kind": "csv"}))
    panel.source.activated.emit(panel.source.currentIndex())
    columns = panel.source_form.editors["columns"]
    columns.field.setText("a, b ,c")
    columns.field.editingFinished.emit()
    assert window.document.project.data["source"]["columns"] == ["a", "b", "c"]
    window.document.undo_stack.undo()
    assert "columns" not in window.document.project.data["source"]


def test_preview_shows_samples_with_labels(qtbot, make_window):
    window = quick_window(make_window)
    ui = window.training
    ui.start_preview()
    qtbot.waitUntil(lambda: ui.preview.predictions is not None, timeout=30_000)
    assert len(ui.preview.predictions.inputs) == 16
    assert ui.preview.predictions.classes == ["circle", "square", "triangle", "cross"]
    qtbot.waitUntil(lambda: ui._preview is None, timeout=10_000)


def test_a_run_on_two_processes_shows_as_a_run_on_one(qtbot, make_window, monkeypatch):
    """What "all N GPUs" starts (distributed.py), here two processes on the CPU: the worker relays rank 0's
    events, so the plots, the results and the run's record fill as for one process."""
    import builder.train.start as start

    monkeypatch.setattr(start, "processes_for", lambda device: 2)  # as cuda:all on a machine with two GPUs
    window = quick_window(make_window)
    ui = window.training
    with qtbot.waitSignal(ui.controller.running_changed, timeout=5000):
        ui.train_action.trigger()
    with qtbot.waitSignal(ui.controller.finished, timeout=240_000) as finished:
        pass
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=30_000)
    assert finished.args[0].reason == "completed" and finished.args[0].epochs_done == 2
    assert ui.plots.point_count() == 2 * 5  # each process: 160 of the 320 training samples, in batches of 32
    assert sum(map(sum, ui.results.confusion.matrix)) == 80  # the whole validation split, added up over both
    assert ui.results.samples.predictions.epoch == 2
    run = window.document.project.runs[-1]
    assert run["outcome"] == "completed" and len(run["epochs"]) == 2 and run.get("weights")
    assert window.dialogs.errors == []


def test_devices_listed_are_the_ones_present(make_window):
    window = quick_window(make_window)
    labels = [window.training.panel.device.itemText(i) for i in range(window.training.panel.device.count())]
    assert labels[:2] == ["auto", "CPU"]
    if not torch.cuda.is_available():
        assert not any(label.startswith("cuda") for label in labels[:2])


def test_dataloader_workers_start_safely_and_are_gone_after_stop(qtbot, make_window, tmp_path):
    import multiprocessing

    from PIL import Image

    for label in ("dark", "light"):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(64):
            Image.new("L", (28, 28), color=30 if label == "dark" else 220).save(tmp_path / "imgs" / label / f"{i}.png")
    project = load_template(EXAMPLE)
    project.models[0].node("fc").params["out_features"] = 2
    project.data = {"source": {"kind": "image_folder", "path": "imgs"}, "in_memory": False, "num_workers": 2,
                    "batch_size": 8}
    project.training.update({"epochs": 30, "device": "cpu"})
    project.path = tmp_path / "p.json"
    window = make_window(project)
    ui = window.training
    assert ui.controller.multiprocessing_context == "spawn"  # never a plain fork of a process with Qt threads
    epochs, children = [], []
    ui.controller.epoch_ended.connect(epochs.append)
    ui.controller.steps.connect(lambda _batch: children.append(len(multiprocessing.active_children())))
    ui.train_action.trigger()
    qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=90_000)
    assert epochs[0].record["val_accuracy"] is not None
    assert max(children) >= 2  # the workers really were separate processes
    with qtbot.waitSignal(ui.controller.finished, timeout=30_000) as finished:
        ui.stop_action.trigger()
    assert finished.args[0].reason == "stopped"
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=30_000)
    qtbot.waitUntil(lambda: not multiprocessing.active_children(), timeout=30_000)


def test_a_gan_run_fills_the_sample_grids_and_exports_both_models(qtbot, make_window, tmp_path):
    from nets import small_gan_project

    project = small_gan_project(samples=200, epochs=3)
    project.path = None
    window = make_window(project)
    ui = window.training
    assert ui.train_action.isEnabled(), ui.why.text()
    assert window.training.panel.gan_box.isVisibleTo(window.training.panel)
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000) as finished:
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    assert finished.args[0].reason == "completed" and window.dialogs.errors == []
    samples = ui.generated
    assert [g.epoch for g in samples.grids] == [1, 2, 3]
    assert samples.grids[0].images.shape == (64, 1, 16, 16)
    assert samples.slider.value() == 2 and "epoch 3" in samples.label.text()
    samples.slider.setValue(0)  # step back through the epochs
    assert "epoch 1 · 1/3" in samples.label.text()
    samples.generate.click()  # after the run: from the kept generator
    assert len(samples.grids) == 4 and samples.grids[-1].on_demand
    try_generating(qtbot, window)
    assert len(ui.plots.points("smooth", "d_loss")[0]) == len(ui.plots.points("smooth", "g_loss")[0]) > 0
    assert len(ui.plots.points("epoch", "d_real")[0]) == 3
    assert window.page_visible(ui.generated) and not window.page_visible(ui.results)
    run = window.document.project.runs[-1]
    assert run["model"] == "G vs D" and set(run["epochs"][0]) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    window.dialogs.files = [tmp_path / "gan-export"]
    (tmp_path / "gan-export").mkdir()
    ui.exports.folder_action.trigger()
    assert sorted(p.name for p in (tmp_path / "gan-export").iterdir()) == [
        "D.pt", "D.safetensors", "G.pt", "G.safetensors", "README.md", "model.py", "sample.py"]
    window.dialogs.files = [tmp_path / "gan-script"]
    ui.exports.script_action.trigger()  # a GAN's own train.py (tests/train/test_script_gan.py runs it)
    assert sorted(p.name for p in (tmp_path / "gan-script").iterdir()) == ["model.py", "train.py"]
    assert window.dialogs.errors == [] and window.statusBar().currentMessage().endswith(": python train.py")


def try_generating(qtbot, window):
    """Try It with a trained GAN: one image per seed, the same again for the same seed, and a slider moves it."""
    trying = window.training.trying
    panel = trying.panel
    window.show_page(panel)
    assert panel.generator.isVisibleTo(panel) and not panel.bars_box.isVisibleTo(panel)
    assert len(panel.slider_list) == 8  # a 16-value latent vector: 8 pairs

    def generated(action):
        action()
        qtbot.waitUntil(lambda: trying.jobs.job is None, timeout=10_000)
        assert window.dialogs.errors == []
        return panel.output.pixmap().toImage()

    first = generated(panel.generate.click)
    assert not first.isNull() and generated(panel.generate.click) == first
    moved = generated(lambda: panel.slider_list[0].setValue(30))
    assert moved != first
    panel.slider_list[0].setValue(0)
    qtbot.waitUntil(lambda: trying.jobs.job is None, timeout=10_000)
    panel.seed.setValue(7)
    assert generated(panel.generate.click) != first


def test_generate_now_during_a_gan_run(qtbot, make_window):
    from nets import small_gan_project

    project = small_gan_project(samples=2000, epochs=40)
    project.path = None
    window = make_window(project)
    ui = window.training
    steps = []
    ui.controller.steps.connect(steps.append)
    ui.train_action.trigger()
    qtbot.waitUntil(lambda: len(steps) >= 1, timeout=60_000)
    ui.generated.generate.click()  # asks the worker, which draws at its next step
    qtbot.waitUntil(lambda: any(g.on_demand for g in ui.generated.grids), timeout=30_000)
    with qtbot.waitSignal(ui.controller.finished, timeout=30_000):
        ui.stop_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)


def test_export_menu_writes_a_training_script_pt2_onnx_and_torchscript(qtbot, make_window, tmp_path):
    import pytest

    window = quick_window(make_window)
    ui = window.training
    window.dialogs.files = [tmp_path / "script", lambda suggested: tmp_path / suggested.name,
                            lambda suggested: tmp_path / suggested.name, lambda suggested: tmp_path / suggested.name]
    ui.exports.script_action.trigger()
    assert sorted(p.name for p in (tmp_path / "script").iterdir()) == ["model.py", "train.py"]
    ui.exports.pt2_action.trigger()
    assert "torch.export.load" in window.statusBar().currentMessage() and window.dialogs.errors == []
    program = torch.export.load(str(tmp_path / "ShapesNet.pt2")).module()
    assert program(torch.rand(5, 1, 28, 28)).shape == (5, 4)
    assert "deprecated" in ui.exports.torchscript_action.text()
    ui.exports.torchscript_action.trigger()
    assert "untrained" in window.statusBar().currentMessage() and (tmp_path / "ShapesNet.pt").is_file()
    scripted = torch.jit.load(str(tmp_path / "ShapesNet.pt"))
    assert scripted(torch.rand(5, 1, 28, 28)).shape == (5, 4)
    pytest.importorskip("onnxscript")
    ui.exports.onnx_action.trigger()
    assert (tmp_path / "ShapesNet.onnx").is_file() and window.dialogs.errors == []


def test_the_tensorboard_folder_set_in_the_panel_gets_a_log_of_each_run(qtbot, make_window, tmp_path):
    project = small(load_template(EXAMPLE), epochs=1)
    project.path = tmp_path / "net.json"
    window = make_window(project)
    folder = window.training.panel.training_form.editors["tensorboard"]
    assert isinstance(folder, PathEditor) and folder.folder == tmp_path  # Browse starts beside the project
    folder.field.setText("logs")
    folder.field.editingFinished.emit()
    assert window.document.project.training["tensorboard"] == "logs"
    ui = window.training
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000):
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    (run,) = (tmp_path / "logs").iterdir()  # relative to the project's folder
    assert run.name.endswith("_ShapesNet") and any(p.name.startswith("events.out.tfevents") for p in run.iterdir())


def test_the_status_bar_says_what_data_the_run_read(qtbot, make_window):
    window = quick_window(make_window, epochs=1)
    ui = window.training
    with qtbot.waitSignal(ui.controller.data_read, timeout=60_000) as read:
        ui.train_action.trigger()
    assert read.args[0] == "synthetic shapes: 400 images 1×28×28, 4 classes"
    assert window.statusBar().currentMessage().endswith(read.args[0])  # alone, or already after "training ..."
    qtbot.waitUntil(lambda: ui.controller.run_started is not None, timeout=60_000)  # Started may have come already
    message = window.statusBar().currentMessage()
    assert message.startswith("training ") and message.endswith(f" — {read.args[0]}")
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000):
        pass
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
