"""The training worker: a run in the window computes on as many threads as a headless run, while the GUI thread
keeps to one, so that its torch work never starts a pool of threads that would slow every later run."""

import subprocess
import sys

import torch

from builder.core.templates import EXAMPLE, load_template
from builder.ui.training.worker import training_threads


def test_a_run_computes_on_the_threads_a_headless_run_has_and_the_gui_thread_on_one(qtbot, make_window):
    project = load_template(EXAMPLE)
    project.data["source"]["samples"] = 2000
    project.training.update({"epochs": 50, "device": "cpu"})  # long enough to be asked; stopped once answered
    window = make_window(project)
    controller = window.training.controller
    answers = []
    controller.started.connect(lambda _e: controller.ask("threads", lambda _trainer: torch.get_num_threads()))
    controller.answered.connect(answers.append)
    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: any(a.key == "threads" for a in answers), timeout=60_000)
    with qtbot.waitSignal(controller.finished, timeout=60_000):
        window.training.stop_action.trigger()
    qtbot.waitUntil(lambda: not controller.running, timeout=10_000)
    headless = int(subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                                  capture_output=True, text=True, check=True).stdout)
    assert [a.value for a in answers if a.key == "threads"] == [headless] and training_threads() == headless
    assert torch.get_num_threads() == 1  # this test's thread is the GUI thread
