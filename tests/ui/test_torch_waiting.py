"""The window while PyTorch loads in the background: Train, the code view and the export wait for it, say so,
and go on once it has loaded; a failed load disables Train with the reason.

In this process torch is imported already: a module of the test's own, slow to import, stands in for it on
the loader's thread. The app's own start, without torch, is tested in test_startup_report.py."""

import sys

import pytest
import torch  # noqa: F401 - imported here, so that the stand-in is what the loader's thread waits for
from PySide6.QtWidgets import QToolBar

from builder.core.templates import EXAMPLE, load_template
from builder.ui.torch_loader import FAILED, LOADED, MODULES, WAITING, TorchLoader

STAND_IN = "slow_torch_stand_in"


@pytest.fixture
def waiting_window(make_window, tmp_path, monkeypatch):
    """The window as the app opens it, before it has painted: PyTorch not loaded yet."""
    (tmp_path / f"{STAND_IN}.py").write_text("import time\ntime.sleep(0.2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, STAND_IN, raising=False)
    project = load_template(EXAMPLE)
    project.data["source"]["samples"] = 200
    project.training.update({"epochs": 1, "device": "cpu"})
    loader = TorchLoader(background=True, modules=(*MODULES, STAND_IN))
    return make_window(project, shown=False, torch_loader=loader)


def load(qtbot, window):
    with qtbot.waitSignal(window.torch.loaded, timeout=10_000):
        window.torch.start()


def toolbars(window):
    return [bar.objectName() for bar in window.findChildren(QToolBar) if bar.parent() is window]


def menus(window):
    return [action.text() for action in window.menuBar().actions()]


def test_before_loading_the_editor_works_and_training_waits(waiting_window):
    window = waiting_window
    assert window.torch.state == WAITING and window.training is None and window.importer is None
    assert toolbars(window) == ["training_waiting_toolbar"] and "&Training" not in menus(window)
    assert window.code.status.text() == "Loading PyTorch…" and window.code.text.toPlainText() == ""
    assert window.session.report.ok  # the check needs no torch
    window.editor.rename("conv1", "first")  # nor does editing
    assert "first" in window.document.project.models[0].node_ids() and "first" in window.scene.nodes


def test_train_pressed_while_loading_starts_the_run_once_loaded(qtbot, waiting_window):
    window = waiting_window
    window._waiting_bar.train_action.trigger()
    assert window.statusBar().currentMessage() == "Loading PyTorch… the run starts once it has loaded"
    window.show()  # the first paint starts the load
    qtbot.waitUntil(lambda: window.training is not None, timeout=10_000)
    ui = window.training
    assert window.torch.state == LOADED and ui.controller.running
    assert toolbars(window) == ["training_toolbar"]
    assert menus(window)[-2:] == ["&Training", "&Help"]  # the parts that came later stand before Help
    assert window.importer.action in window.menu("file").actions()
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000) as finished:
        pass
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    assert finished.args[0].reason == "completed"
    assert window.code.status.text().startswith("class ShapesNet")


def test_train_pressed_while_loading_says_why_a_project_cannot_train(qtbot, waiting_window):
    window = waiting_window
    window.editor.delete(["fc"], [])
    window._waiting_bar.train_action.trigger()
    load(qtbot, window)
    assert window.training is not None and not window.training.controller.running
    assert window.statusBar().currentMessage().startswith("Can't train yet:")


def test_the_export_waits_for_the_code_generator(qtbot, waiting_window, tmp_path):
    window = waiting_window
    window.dialogs.files = [str(tmp_path / "model.py")]
    window.act_export.trigger()
    assert window.statusBar().currentMessage() == "Loading PyTorch…" and window.dialogs.asked == []
    load(qtbot, window)
    assert window.dialogs.asked == [("file", "Export code")]
    assert "class ShapesNet(nn.Module)" in (tmp_path / "model.py").read_text()


def test_a_failed_load_disables_train_with_the_reason(qtbot, waiting_window):
    window = waiting_window
    window.torch.modules = (*MODULES, "builder_no_such_module_for_the_test")
    with qtbot.waitSignal(window.torch.failed, timeout=10_000):
        window.torch.start()
    reason = "PyTorch could not be loaded (ModuleNotFoundError: No module named 'builder_no_such_module_for_the_test')"
    assert window.torch.state == FAILED and window.training is None
    train = window._waiting_bar.train_action
    assert not train.isEnabled() and train.toolTip().startswith(reason)
    assert window.statusBar().currentMessage().startswith(reason)
    window.code.update_code()
    assert window.code.status.text().startswith(reason)
