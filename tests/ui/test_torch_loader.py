"""The background import: actions that need it wait for it and run once, on the main thread; a failed import
says why and runs nothing."""

import sys
import threading

import pytest

from builder.ui.torch_loader import FAILED, LOADED, LOADING, TorchLoader


@pytest.fixture
def slow_module(tmp_path, monkeypatch):
    """A module of its own (not imported yet in this process) that takes a moment to import."""
    def make(name, body="import time\ntime.sleep(0.3)\n"):
        (tmp_path / f"{name}.py").write_text(body)
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, name, raising=False)
        return name
    return make


def test_without_the_background_an_action_runs_at_once(qapp):
    loader = TorchLoader()
    ran = []
    assert loader.when_loaded(lambda: ran.append(1)) and ran == [1]
    loader.start()  # nothing to start: no thread, still loaded
    assert loader.state == LOADED and loader._thread is None


def test_actions_wait_for_the_import_then_run_once_in_order_on_the_main_thread(qtbot, slow_module):
    name = slow_module("slow_for_loader")
    loader = TorchLoader(background=True, modules=(name,))
    ran = []

    def first():
        ran.append(("first", threading.current_thread() is threading.main_thread(), name in sys.modules))

    assert not loader.when_loaded(first) and not loader.when_loaded(first)  # kept once
    assert not loader.when_loaded(lambda: ran.append(("second",)))
    assert loader.why_waiting() == "Loading PyTorch…"
    with qtbot.waitSignal(loader.loaded, timeout=10_000):
        loader.start()
        assert loader.state == LOADING and ran == []  # the import runs on its thread: the caller goes on
    assert ran == [("first", True, True), ("second",)]
    assert loader.when_loaded(lambda: ran.append(("now",))) and ran[-1] == ("now",)


def test_modules_imported_already_finish_at_once(qapp):
    loader = TorchLoader(background=True, modules=("json",))
    ran = []
    loader.when_loaded(lambda: ran.append(1))
    loader.start()
    assert loader.state == LOADED and ran == [1] and loader._thread is None


def test_a_failed_import_says_why_and_runs_nothing(qtbot, slow_module):
    name = slow_module("broken_for_loader", "raise OSError('libtorch_cpu.so: cannot open shared object file')\n")
    loader = TorchLoader(background=True, modules=(name,))
    ran = []
    loader.when_loaded(lambda: ran.append(1))
    with qtbot.waitSignal(loader.failed, timeout=10_000) as failed:
        loader.start()
    assert failed.args == ["OSError: libtorch_cpu.so: cannot open shared object file"]
    assert loader.state == FAILED and ran == []
    assert not loader.when_loaded(lambda: ran.append(2)) and ran == []
    assert loader.why_waiting() == ("PyTorch could not be loaded (OSError: libtorch_cpu.so: cannot open shared object "
                                    "file): training and the code need it")
