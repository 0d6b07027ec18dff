"""Memory in the window: the status bar's estimate of what training takes at the batch size set, and Training →
Find the Largest Batch Size, which measures on the device in a job of its own and offers to set what it found.
(Each node's share is in the Inspector; `builder check --batch-size` prints the same figures.)"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from builder.core.i18n import tr
from builder.edit.editor import EditError
from builder.train.config import DATA_PARAMS, ConfigError, parse_settings
from builder.train.memory import format_bytes, settings_estimate
from builder.ui.job import Jobs

BATCH_SIZE = next(p for p in DATA_PARAMS if p.name == "batch_size")


class MemoryUI(QObject):
    trying = Signal(int)  # a batch size the finder is measuring (from its job's thread: queued to the window's)

    def __init__(self, window: Any, controller: Any) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.label = QLabel()
        self.label.setProperty("role", "hint")
        window.add_status_widget(self.label)
        self.find_action = QAction(tr("Find the Largest &Batch Size…"), window)
        self.find_action.setToolTip(tr("Measure training steps on the device at growing batch sizes, and offer to "
                                       "set the largest that fits"))
        self.find_action.triggered.connect(self.find_largest)
        self.jobs = Jobs(self)
        self.trying.connect(lambda batch: window.status(tr("Finding the largest batch size: trying {batch}…",
                                                           batch=f"{batch:,}"), 0))
        window.session.checked.connect(lambda _report: self.show_estimate())  # after every edit, settings' too
        controller.running_changed.connect(self._on_running)
        window.add_shut_down(self.jobs.wait)
        self.show_estimate()

    def show_estimate(self) -> None:
        """The shown model's training memory at the batch size set, for its optimizer (and mixed precision on a
        GPU); nothing while the model has problems of its own."""
        report = self.window.session.report
        if report is None or not report.ok:
            self.label.setText("")
            self.label.setToolTip("")
            return
        try:
            settings = parse_settings(self.window.document.project)
        except ConfigError:
            settings = None  # its problems are listed in Problems; the defaults meanwhile
        guess = settings_estimate(report, settings, device_type=_device_type(settings))
        self.label.setText(tr("≈ {size} to train at batch {batch}", size=format_bytes(guess.total),
                              batch=f"{guess.batch:,}") + "  ")
        self.label.setToolTip("\n".join([tr("{model}, estimated:", model=report.model.name), *guess.lines(),
                                         tr("Training → Find the Largest Batch Size measures it on the device.")]))

    def _on_running(self, running: bool) -> None:
        self.find_action.setEnabled(not running and self.jobs.job is None)

    # -- finding the largest batch size ---------------------------------------------------------

    def find_largest(self) -> None:
        if self.controller.running or self.jobs.job is not None:
            return
        from builder.train.batch_finder import find_largest_batch

        project = copy.deepcopy(self.window.document.project)  # the window may edit on while it measures
        self.find_action.setEnabled(False)
        self.window.status(tr("Finding the largest batch size…"), 0)
        self.jobs.run(lambda: find_largest_batch(project, self.trying.emit), self._found)

    def _found(self, result: Any) -> None:
        self.find_action.setEnabled(not self.controller.running)
        self.window.status("", 1)
        from builder.train.batch_finder import SetupError

        title = tr("Find the Largest Batch Size")
        if isinstance(result, SetupError):
            self.window.dialogs.error(title, tr("The project cannot train yet:\n\n{problems}",
                                                problems="\n".join(result.problems)))
            return
        if isinstance(result, Exception):
            self.window.dialogs.error(title, tr("Measuring failed: {error}", error=result))
            return
        if result.batch is None:
            self.window.dialogs.error(title, result.summary())
            return
        current = self.window.document.project.data.get("batch_size", BATCH_SIZE.default)
        if result.batch == current:
            self.window.dialogs.info(title, tr("{summary}\n\nThe batch size is {batch} already.",
                                               summary=result.summary(), batch=f"{current:,}"))
            return
        advice = (tr("With every sample in one batch an epoch is a single step: fewer, smoother steps, which "
                     "often learn less per epoch than smaller batches do.") if result.batch == result.limit else
                  tr("A larger batch usually wants a larger learning rate."))
        if self.window.dialogs.yes_no(tr("{summary}\n\nSet the batch size to {batch} (now {current})? {advice}",
                                         summary=result.summary(), batch=f"{result.batch:,}", current=f"{current:,}",
                                         advice=advice)):
            try:
                self.window.editor.set_setting(("data", "batch_size"), result.batch, BATCH_SIZE)
            except EditError as exc:  # read-only: a run started meanwhile
                self.window.status(str(exc))


def _device_type(settings: Any) -> str:
    if settings is None:
        return "cpu"
    from builder.train.devices import DeviceError, resolve_device

    try:
        return resolve_device(settings.training.device).type
    except DeviceError:
        return "cpu"
