"""Training in the main window: the toolbar (Train, Stop, progress), the Training panel and the Monitor
pages, and what happens around a run (read-only canvas, failures, closing mid-run). Exporting and
loading weights is exports.py's; the window is reached only through its small API (add_page,
add_menu, add_toolbar, status, set_read_only, set_close_guard, dialogs).

A run is shown from what it declares (its series, its showcase), so supervised and GAN runs take the
same path here.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar

from builder.core.i18n import N_, tr, trn
from builder.core.problems import Problem
from builder.train.events import EpochEnd, Failed, Finished, Health, Started
from builder.train.progress import RunProgress
from builder.train.showcase import GeneratedImages, Predictions
from builder.ui.inside_ui import InsideUI
from builder.ui.training.controller import TrainingController
from builder.ui.training.data_check import DataCheck
from builder.ui.training.exports import TrainingExports
from builder.ui.training.generated_view import GeneratedImagesView
from builder.ui.training.health_view import HealthView
from builder.ui.training.memory_ui import MemoryUI
from builder.ui.training.panel import TrainingPanel
from builder.ui.training.plots import LivePlots
from builder.ui.training.preview import PreviewLoader
from builder.ui.training.results import PredictionGrid, ResultsView
from builder.ui.training.runs import RunsPanel
from builder.ui.try_ui import TryUI

# Steps come five times a second (train/relay.py); the progress bar shows them at most this often. Each show
# repaints the bar at once (QProgressBar.setValue does not wait for the next frame), on the GUI thread that
# shares the cores with training.
PROGRESS_MS = 500

READ_ONLY_BANNER = N_("Training in progress: the graph is read-only. You can pan, zoom, and read the code and plots.")


class TrainingUI(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.document = window.document
        self.controller = TrainingController(self.document, self)
        self.data_check = DataCheck(self)
        self.progress_state = RunProgress()
        self._build_toolbar()
        self._build_pages()
        self.exports = TrainingExports(window, self.controller)
        self.inside = InsideUI(window, self.controller)
        self.trying = TryUI(window, self.controller)
        self.memory = MemoryUI(window, self.controller)
        self._build_menu()
        self._connect()
        self._preview: PreviewLoader | None = None
        self._data_read = ""  # the latest run's LoadedData.description, shown with its start
        self._warm: threading.Thread | None = None
        self._on_reset()  # the project the window opened with: its kept weights, its readiness

    @property
    def dialogs(self):
        """The window's, looked up each time: a test may put a scripted stand-in there."""
        return self.window.dialogs

    # -- building -------------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = self.window.add_toolbar("Training")  # its object name stays "training_toolbar"
        bar.setWindowTitle(tr("Training"))
        self.train_action = QAction(tr("▶  Train"), self.window)
        self.train_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.train_action.triggered.connect(self.start)
        self.stop_action = QAction(tr("■  Stop"), self.window)
        self.stop_action.setShortcut(QKeySequence("Ctrl+."))
        self.stop_action.triggered.connect(self.stop)
        self.stop_action.setEnabled(False)
        bar.addAction(self.train_action)
        bar.addAction(self.stop_action)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(420)
        self.progress.setMaximumWidth(560)
        self.progress.setTextVisible(True)
        self.why = QLabel()
        self.why.setProperty("role", "hint")
        bar.addSeparator()
        bar.addWidget(self.progress)
        bar.addSeparator()
        bar.addWidget(self.why)
        self._progress_timer = QTimer(self)  # a step's progress is shown when it fires: see PROGRESS_MS
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        self._show_progress()

    def _build_pages(self) -> None:
        self.panel = TrainingPanel(self.session, self.window.editor)
        self.window.add_page(self.panel, tr("Training"), "side")
        self.preview = PredictionGrid()
        self.preview.setMinimumHeight(150)
        self.preview_status = QLabel()
        self.preview_status.setProperty("role", "hint")
        self.preview_status.setWordWrap(True)
        self.panel.add_above(self.preview_status, self.preview)
        self.preview.hide()
        self.plots = LivePlots()
        self.results = ResultsView()
        self.generated = GeneratedImagesView()
        self.runs = RunsPanel(self.document, self.window.editor)
        self.health = HealthView()
        for page, title in ((self.plots, tr("Plots")), (self.results, tr("Results")), (self.generated, tr("Samples")),
                            (self.health, tr("Health")), (self.runs, tr("Runs"))):
            self.window.add_page(page, title, "bottom")
        self.window.set_page_visible(self.generated, False)  # shown for runs whose showcase is images

    def _build_menu(self) -> None:
        menu = self.window.add_menu(tr("&Training"))
        menu.addActions([self.train_action, self.stop_action])
        menu.addSeparator()
        menu.addAction(tr("Show Training &Settings"), lambda: self.window.show_page(self.panel))
        menu.addAction(tr("Show &Plots"), lambda: self.window.show_page(self.plots))
        menu.addSeparator()
        menu.addAction(self.memory.find_action)

    def _connect(self) -> None:
        c = self.controller
        c.running_changed.connect(self._on_running)
        c.started.connect(self._on_started)
        c.data_read.connect(self._on_data_read)
        c.steps.connect(self._on_steps)
        c.epoch_ended.connect(self._on_epoch)
        c.showcase.connect(self._on_showcase)
        c.health.connect(self._on_health)
        self.runs.health_requested.connect(self.show_run_health)
        self.health.node_clicked.connect(self.window.select_node)
        c.finished.connect(self._on_finished)
        c.failed.connect(self._on_failed)
        self.generated.generate_requested.connect(self.generate)
        self.runs.overlays_changed.connect(self.plots.set_overlays)
        self.panel.preview_requested.connect(self.start_preview)
        self.document.reset.connect(self._on_reset)
        self.data_check.checked.connect(lambda _problems: self.update_readiness())
        self.session.checked.connect(lambda _report: self.update_readiness())  # after every edit (and once only)
        self.window.set_close_guard(self.may_close)
        self.window.add_shut_down(self.shut_down)
        self.window.add_before_save(self.controller.save_kept)
        self.window.add_unsaved_note(self._unsaved_weights_note)
        self.runs.use_requested.connect(self.use_run)

    def _on_reset(self) -> None:
        """Another project: nothing of the last one's run stays on screen."""
        self.progress_state = RunProgress()
        self._show_progress()
        self.plots.configure(())
        self.results.clear()
        self.health.clear()
        self.window.show_health([])
        self.generated.reset()
        self.window.set_page_visible(self.generated, False)
        self.window.set_page_visible(self.results, True)
        self.preview.hide()
        self.preview_status.setText("")
        self.controller.forget_run()
        message = self.controller.load_current()  # the weights kept with the project, if any
        self.progress_state.text = tr("trained (weights kept with the project)") if self.controller.trained else \
            self.progress_state.text
        self._show_progress()
        if message:
            self.window.status(message, 10000)
        self.exports.update_actions()
        self.update_readiness()

    def use_run(self, run_id: str) -> None:
        """A run's weights as the current ones: exported, generated from, kept as current in the project."""
        self.window.status(self.controller.use_run(run_id), 8000)
        self.exports.update_actions()

    def _unsaved_weights_note(self) -> str:
        count = self.controller.unsaved_weights()
        return trn("and the trained weights of {count} run, kept only when the project is saved",
                   "and the trained weights of {count} runs, kept only when the project is saved", count,
                   count=count) if count else ""

    # -- warming up -----------------------------------------------------------------------------

    def warm_up(self) -> threading.Thread:
        """Import what the first optimizer step imports (torch._dynamo, over a second, partly holding
        the GIL) in the background while the user is still building, not when training starts, where
        it would stall the window."""
        if self._warm is None:
            self._warm = threading.Thread(target=_warm_torch, name="warm-up", daemon=True)
            self._warm.start()
        return self._warm

    # -- readiness ------------------------------------------------------------------------------

    def update_readiness(self) -> None:
        """One readiness for the toolbar, Problems and the status bar: the project's check (no data read),
        then, once that passes, what the background read of the data found."""
        if self.controller.running:
            return
        from builder.train.checks import check_project

        report = self.session.report
        check = check_project(self.document.project, reports={report.model.name: report} if report else None)
        if check.ok:
            self.data_check.request(self.document.project, _data_key(self.document.project, check))
        else:
            self.data_check.forget()
        data = [Problem(None, line) for line in self.data_check.problems] if check.ok else []
        problems = check.summary() + [str(p) for p in data]
        # Another model's problems as one line each (the shown model's are listed with its blocks).
        others = [Problem(None, line) for name, line in check.models_to_fix().items() if name != self.session.model]
        self.window.show_project_problems([*others, *check.problems, *data], not problems, self.panel)
        self.train_action.setEnabled(not problems)
        if problems:
            self.why.setText(tr("<span style='color:#f0b44c'>Can't train yet:</span> {problem}", problem=problems[0]))
            self.train_action.setToolTip(tr("Can't train yet:\n{problems}", problems="\n".join(problems)))
        else:
            self.why.setText("")
            self.train_action.setToolTip(tr("Train the model with the Training settings (Ctrl+Enter)"))

    # -- a run ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self.controller.running or not self.train_action.isEnabled():
            return
        self.progress_state.preparing()
        self._show_progress()
        self.window.show_page(self.plots)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        self.progress_state.stopping()
        self._show_progress()

    def _show_progress(self) -> None:
        """The progress as it is now (every change but a step's is shown at once: starting, stopping, the end)."""
        self._progress_timer.stop()
        state = self.progress_state
        self.progress.setMaximum(state.maximum)
        self.progress.setValue(state.value)
        self.progress.setFormat(state.text)

    def _show_progress_soon(self) -> None:
        """A step's progress, within PROGRESS_MS, however many steps come meanwhile (the latest is shown)."""
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _on_running(self, running: bool) -> None:
        self.window.set_read_only(running, tr(READ_ONLY_BANNER))
        self.panel.setEnabled(not running)
        self.stop_action.setEnabled(running)
        self.train_action.setEnabled(not running)
        self.exports.update_actions()
        if not running:
            self.update_readiness()

    def _on_data_read(self, description: str) -> None:
        # Shown until the run starts, then with its description: how the data was read (a large image folder
        # from the cache, or decoded and how long it took) is what a learner waits on before the first step.
        self._data_read = description
        self.window.status(description, 15000)

    def _on_started(self, event: Started) -> None:
        self.health.clear()
        self.window.show_health([])
        self.plots.configure(event.series, event.epochs, event.steps_per_epoch)
        self.results.set_classification(event.classes is not None)
        self.results.confusion.show_matrix([], None, [])
        self.generated.reset()
        self.progress_state.started(event)
        self._show_progress()
        warnings = "; ".join(str(w) for w in event.warnings)
        described = " — ".join(text for text in (event.describe(), self._data_read) if text)
        self.window.status(tr("{description} — warning: {warnings}", description=described, warnings=warnings)
                           if warnings else described, 15000)

    def _on_steps(self, batch: Any) -> None:
        self.plots.add_steps(batch)
        self.progress_state.advance(batch)
        self._show_progress_soon()

    def _on_epoch(self, event: EpochEnd) -> None:
        self.plots.add_epoch(event.record)
        record = event.record
        if record.confusion is not None:
            started = self.controller.run_started
            self.results.confusion.show_matrix(record.confusion, started.classes if started else None,
                                               record.per_class_accuracy)

    def _on_showcase(self, showcase: Predictions | GeneratedImages) -> None:
        """Predictions go to Results, generated images to Samples: the page a run needs is the one shown."""
        images = isinstance(showcase, GeneratedImages)
        self.window.set_page_visible(self.generated, images)
        self.window.set_page_visible(self.results, not images)
        if images:
            self.generated.add(showcase)
        else:
            self.results.samples.show_predictions(showcase)

    def _on_health(self, event: Health) -> None:
        model = self.controller.run_started.model if self.controller.run_started else None
        problems = [replace(p, model=model) for p in event.problems]
        self.health.show_sample(event.sample, problems)
        self.window.show_health(problems)

    def show_run_health(self, run: dict) -> None:
        """A past run's layer health: its last sample, the warnings its samples give, on its nodes."""
        from builder.train.health import HealthWarnings
        from builder.train.history import run_health

        samples = run_health(run)
        if not samples:
            self.window.status(tr("no layer health was kept for that run"), 5000)
            return
        warnings = HealthWarnings(samples)
        problems = [replace(p, model=run.get("model")) for p in warnings.problems()]
        self.health.show_sample(samples[-1], problems, str(run.get("started")).replace("T", " "), samples)
        self.window.show_health(problems)
        self.window.show_page(self.health)

    def _on_finished(self, event: Finished) -> None:
        self.progress_state.finished(event)
        self._show_progress()
        self.window.status(event.message, 10000)

    def _on_failed(self, failure: Failed | list[str]) -> None:
        self.progress_state.failed(failure)
        self._show_progress()
        if isinstance(failure, Failed):
            self.dialogs.error(tr("Training stopped"), tr("{reason}.\n\n{hint}", reason=failure.message, hint=failure.hint),
                               failure.details)
        else:
            self.dialogs.error(tr("Cannot start training"), "\n".join(failure))

    def generate(self) -> None:
        """During a run the worker draws at its next step; after it, the kept model does."""
        if self.controller.running:
            self.controller.request_showcase()
            return
        trained = self.controller.trained
        images = trained.generate() if trained is not None else None
        if images is None:
            self.window.status(tr("Train the GAN first"), 4000)
            return
        self.generated.add(images)

    # -- closing mid-run ------------------------------------------------------------------------

    def may_close(self) -> bool:
        if not self.controller.running:
            return True
        if not self.dialogs.yes_no(tr("Training is running. Stop it and close?"), default=False):
            return False
        self.controller.stop_and_wait()
        return True

    def shut_down(self) -> None:
        """The window closes: join the threads still reading data."""
        self.data_check.wait()
        if self._preview is not None:
            self._preview.wait()

    # -- preview --------------------------------------------------------------------------------

    def start_preview(self) -> None:
        if self._preview is not None:
            return
        self.preview_status.setText(tr("loading samples…"))
        self._preview = PreviewLoader(self.document.project)
        self._preview.loaded.connect(self._show_preview)
        self._preview.failed.connect(lambda problems: self.preview_status.setText("\n".join(problems)))
        self._preview.finished.connect(self._preview_done)
        self._preview.start()

    def _show_preview(self, samples: Any) -> None:
        self.preview.show_predictions(samples)
        self.preview.show()
        count = len(samples.inputs)
        self.preview_status.setText(
            tr("{count} samples as the network sees them, with their labels", count=count) if samples.classes else
            tr("{count} samples as the network sees them, with their input and target side by side", count=count))

    def _preview_done(self) -> None:
        if self._preview is not None:
            self._preview.wait()
            self._preview.deleteLater()
            self._preview = None


def _warm_torch() -> None:
    import torch._dynamo  # noqa: F401 - imported lazily by torch.optim's first step otherwise


def _data_key(project, check) -> list:
    """What the data check's verdict depends on: the data settings, the loss and mode, the project's folder,
    and the shapes the trained models take and give."""
    shapes = [[tuple(r.infos[n].shape) for n in (*r.inputs, *r.outputs)]
              for r in (check.reports[name] for name in check.trained)]
    training = project.training
    return [project.data, training.get("loss"), training.get("mode"), check.trained, shapes, str(project.folder)]
