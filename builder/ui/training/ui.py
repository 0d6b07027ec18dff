"""Training in the main window: the toolbar (Train, Stop, progress), the Training and Monitor docks,
the Export menu, and what happens around a run (read-only canvas, dialogs, closing mid-run)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
)

from builder.train.events import EpochEnd, Failed, Finished, Started
from builder.ui.training.controller import TrainedModel, TrainingController
from builder.ui.training.gan_view import GanSamplesView
from builder.ui.training.panel import TrainingPanel
from builder.ui.training.plots import LivePlots
from builder.ui.training.preview import PreviewLoader
from builder.ui.training.results import ResultsView, SampleGrid
from builder.ui.training.runs import RunsPanel
from builder.ui.training.worker import StepBatch

READ_ONLY_BANNER = "Training in progress: the graph is read-only. You can pan, zoom, and read the code and plots."


class TrainingUI(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.document = window.document
        self.controller = TrainingController(self.document, self)
        self._build_toolbar()
        self._build_docks()
        self._build_actions()
        self._connect()
        self._total_steps = 0
        self._done_steps = 0
        self._rate: float | None = None  # samples per second, smoothed
        self._seconds_per_step: float | None = None
        self._epochs = 0
        self._preview: PreviewLoader | None = None
        self._warm: threading.Thread | None = None
        self.update_readiness()

    # -- building -------------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = self.window.addToolBar("Training")
        bar.setObjectName("training_toolbar")
        bar.setMovable(False)
        self.train_action = QAction("▶  Train", self.window)
        self.train_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.train_action.triggered.connect(self.start)
        self.stop_action = QAction("■  Stop", self.window)
        self.stop_action.setShortcut(QKeySequence("Ctrl+."))
        self.stop_action.triggered.connect(self.stop)
        self.stop_action.setEnabled(False)
        bar.addAction(self.train_action)
        bar.addAction(self.stop_action)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(420)
        self.progress.setMaximumWidth(560)
        self.progress.setTextVisible(True)
        self.progress.setFormat("not trained yet")
        self.progress.setValue(0)
        self.why = QLabel()
        self.why.setProperty("role", "hint")
        bar.addSeparator()
        bar.addWidget(self.progress)
        bar.addSeparator()
        bar.addWidget(self.why)

    def _build_docks(self) -> None:
        w = self.window
        self.panel = TrainingPanel(self.session)
        w.side_tabs.addTab(self.panel, "Training")
        self.preview = SampleGrid()
        self.preview.setMinimumHeight(150)
        self.preview_status = QLabel()
        self.preview_status.setProperty("role", "hint")
        self.preview_status.setWordWrap(True)
        page = self.panel.widget()
        page.layout().insertWidget(1, self.preview_status)
        page.layout().insertWidget(2, self.preview)
        self.preview.hide()

        self.plots = LivePlots()
        self.results = ResultsView()
        self.gan_samples = GanSamplesView()
        self.runs = RunsPanel(self.document)
        self.monitor = w.bottom_tabs  # Problems, then the training pages
        self.monitor.addTab(self.plots, "Plots")
        self.monitor.addTab(self.results, "Results")
        self.monitor.addTab(self.gan_samples, "Samples")
        self.monitor.addTab(self.runs, "Runs")
        self.monitor.setTabVisible(self.monitor.indexOf(self.gan_samples), False)  # GAN runs only

    def _build_actions(self) -> None:
        w = self.window
        menu = w.menuBar().addMenu("&Training")
        menu.addActions([self.train_action, self.stop_action])
        menu.addSeparator()
        menu.addAction("Show Training &Settings", lambda: self.window.show_page(self.panel))
        menu.addAction("Show &Plots", lambda: self.window.show_page(self.plots))
        export = w.export_menu
        export.addSeparator()
        self.export_pt = export.addAction("Trained &Weights (.pt)…", lambda: self.export_weights(".pt"))
        self.export_st = export.addAction("Trained Weights (.&safetensors)…", lambda: self.export_weights(".safetensors"))
        self.export_folder_action = export.addAction("Model &Folder (code, weights, README)…", self.export_folder)
        export.addSeparator()
        self.script_action = export.addAction("Training &Script (train.py, for torchrun)…", self.export_script)
        self.onnx_action = export.addAction("&ONNX…", lambda: self.export_portable("onnx"))
        self.torchscript_action = export.addAction("&TorchScript…", lambda: self.export_portable("torchscript"))
        export.addSeparator()
        self.load_action = export.addAction("&Load Weights into the Model…", self.load_weights)
        self._update_exports()

    def _connect(self) -> None:
        c = self.controller
        c.running_changed.connect(self._on_running)
        c.started.connect(self._on_started)
        c.steps.connect(self._on_steps)
        c.epoch_ended.connect(self._on_epoch)
        c.predicted.connect(self.results.samples.show_predictions)
        c.finished.connect(self._on_finished)
        c.failed.connect(self._on_failed)
        c.gan_steps.connect(self._on_gan_steps)
        c.gan_epoch_ended.connect(lambda event: self.plots.add_gan_epoch(event.record))
        c.samples.connect(self.gan_samples.add)
        self.gan_samples.generate_requested.connect(self.generate_samples)
        self.runs.overlays_changed.connect(self.plots.set_overlays)
        self.panel.preview_requested.connect(self.start_preview)
        self.document.edited.connect(self.update_readiness)
        self.document.reset.connect(self.update_readiness)
        self.session.checked.connect(lambda _report: self.update_readiness())
        self.window.close_guard = self.may_close

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
        if self.controller.running:
            return
        from builder.train.setup import readiness

        problems = readiness(self.document.project, self.session.report)
        self.train_action.setEnabled(not problems)
        if problems:
            self.why.setText(f"<span style='color:#f0b44c'>Can't train yet:</span> {problems[0]}")
            self.train_action.setToolTip("Can't train yet:\n" + "\n".join(problems))
        else:
            self.why.setText("")
            self.train_action.setToolTip("Train the model with the Training settings (Ctrl+Enter)")

    # -- a run ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self.controller.running or not self.train_action.isEnabled():
            return
        from builder.train.gan import is_gan

        gan = is_gan(self.document.project)
        self.plots.set_gan(gan)
        self.plots.reset()
        self.gan_samples.reset()
        self.monitor.setTabVisible(self.monitor.indexOf(self.results), not gan)
        self.monitor.setTabVisible(self.monitor.indexOf(self.gan_samples), gan)
        self.progress.setValue(0)
        self.progress.setFormat("preparing the data…")
        self._done_steps, self._rate, self._seconds_per_step = 0, None, None
        self.window.show_page(self.plots)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        self.progress.setFormat("stopping after this batch…")

    def _on_running(self, running: bool) -> None:
        self.window.set_read_only(running, READ_ONLY_BANNER)
        self.panel.setEnabled(not running)
        self.stop_action.setEnabled(running)
        self.train_action.setEnabled(not running)
        self._update_exports()
        if not running:
            self.update_readiness()

    def _on_started(self, event: Started) -> None:
        self.results.set_classification(event.classes is not None)
        self._epochs = event.epochs
        self._total_steps = event.epochs * event.steps_per_epoch
        self._done_steps = event.start_epoch * event.steps_per_epoch
        self.progress.setMaximum(max(self._total_steps, 1))
        self.progress.setValue(self._done_steps)
        warnings = "; ".join(str(w) for w in event.warnings)
        samples = (f"{event.train_samples:,} real images" if self.plots.gan else
                   f"{event.train_samples:,} training, {event.val_samples:,} validation samples")
        self.window.statusBar().showMessage(
            f"training {event.model} on {event.device} ({event.precision}): {samples}"
            + (f" — warning: {warnings}" if warnings else ""), 15000)
        self.progress.setFormat(f"epoch 1/{event.epochs} · starting…")

    def _on_gan_steps(self, batch) -> None:
        self.plots.add_gan_steps(batch.points)
        self._advance(batch)

    def _on_steps(self, batch: StepBatch) -> None:
        self.plots.add_steps(batch.points)
        self._advance(batch)

    def _advance(self, batch: Any) -> None:
        """Progress: epoch, step, samples per second and time left, smoothed over the relays."""
        self._done_steps += len(batch.points)
        if batch.seconds > 0:
            rate = batch.samples / batch.seconds
            per_step = batch.seconds / len(batch.points)
            self._rate = rate if self._rate is None else 0.8 * self._rate + 0.2 * rate
            self._seconds_per_step = per_step if self._seconds_per_step is None else (
                0.8 * self._seconds_per_step + 0.2 * per_step)
        self.progress.setValue(min(self._done_steps, self.progress.maximum()))
        left = (self._total_steps - self._done_steps) * (self._seconds_per_step or 0)
        rate = f"{self._rate:,.0f} samples/s" if self._rate else ""
        self.progress.setFormat(f"epoch {batch.epoch}/{self._epochs} · step {batch.step}/{batch.steps} · {rate} · "
                                f"{_duration(left)} left")

    def _on_epoch(self, event: EpochEnd) -> None:
        self.plots.add_epoch(event.record)
        r = event.record
        if r.confusion is not None:
            classes = self.controller.worker.run_setup.data.classes if self.controller.worker else None
            self.results.confusion.show_matrix(r.confusion, classes, r.per_class_accuracy)

    def _on_finished(self, event: Finished) -> None:
        self.progress.setValue(self.progress.maximum() if event.reason == "completed" else self.progress.value())
        last = event.history[-1] if event.history else None
        summary = ""
        if last is not None and hasattr(last, "d_real"):
            summary = f" · D(x) {last.d_real:.2f}, D(G(z)) {last.d_fake:.2f}"
        elif last is not None and last.val_accuracy is not None:
            summary = f" · validation accuracy {last.val_accuracy:.1%}"
        elif last is not None and last.val_loss is not None:
            summary = f" · validation loss {last.val_loss:.4f}"
        self.progress.setFormat(f"{event.reason.replace('_', ' ')} after {event.epochs_done} epochs{summary}")
        self.window.statusBar().showMessage(event.message, 10000)

    def _on_failed(self, failure: Failed | list[str]) -> None:
        if isinstance(failure, Failed):
            self.progress.setFormat(f"failed: {failure.message}")
            self.show_failure("Training stopped", f"{failure.message}.\n\n{failure.hint}", failure.details)
        else:
            self.progress.setFormat("could not start")
            self.show_failure("Cannot start training", "\n".join(failure), "")

    def show_failure(self, title: str, text: str, details: str) -> None:
        """A message box naming the cause; tests replace it to read the text."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window)
        if details:
            box.setDetailedText(details)
        box.exec()

    # -- closing mid-run ------------------------------------------------------------------------

    def may_close(self) -> bool:
        if not self.controller.running:
            return True
        if not self.ask_stop_to_close():
            return False
        self.controller.stop_and_wait()
        return True

    def ask_stop_to_close(self) -> bool:
        answer = QMessageBox.question(self.window, "NN Builder", "Training is running. Stop it and close?",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # -- preview --------------------------------------------------------------------------------

    def start_preview(self) -> None:
        if self._preview is not None:
            return
        self.preview_status.setText("loading samples…")
        self._preview = PreviewLoader(self.document.project)
        self._preview.loaded.connect(self._show_preview)
        self._preview.failed.connect(lambda problems: self.preview_status.setText("\n".join(problems)))
        self._preview.finished.connect(self._preview_done)
        self._preview.start()

    def _show_preview(self, samples: Any) -> None:
        self.preview.show_predictions(samples)
        self.preview.show()
        kind = "labels" if samples.classes else "input and target side by side"
        self.preview_status.setText(f"{len(samples.inputs)} samples as the network sees them, with their {kind}")

    def _preview_done(self) -> None:
        if self._preview is not None:
            self._preview.wait()
            self._preview.deleteLater()
            self._preview = None

    # -- export and load ------------------------------------------------------------------------

    def _update_exports(self) -> None:
        has = self.controller.trained is not None and not self.controller.running
        for action in (self.export_pt, self.export_st, self.export_folder_action):
            action.setEnabled(has)
        for action in (self.load_action, self.script_action, self.onnx_action, self.torchscript_action):
            action.setEnabled(not self.controller.running)

    def _folder(self) -> Path:
        return self.document.path.parent if self.document.path else Path.cwd()

    def ask_save_path(self, title: str, suggested: str, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(self._folder() / suggested), pattern)
        return path

    def ask_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self.window, "Export model folder", str(self._folder()))

    def ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, "Load weights", str(self._folder()),
                                              "Weights (*.pt *.pth *.safetensors);;All files (*)")
        return path

    def export_weights(self, suffix: str) -> None:
        from builder.train.checkpoint import save_weights

        trained = self.controller.trained
        if trained is None:
            return
        name = trained.code.class_names[trained.model_name]
        path = self.ask_save_path("Export trained weights", f"{name}{suffix}", f"Weights (*{suffix})")
        if path:
            save_weights(trained.state, Path(path))
            self.window.statusBar().showMessage(f"wrote {path}", 5000)

    def export_folder(self) -> None:
        from builder.train.outputs import export_weights_and_code

        trained = self.controller.trained
        folder = self.ask_folder() if trained is not None else ""
        if not folder:
            return
        if trained.gan is not None:
            from builder.train.gan import export_gan

            generator, discriminator = self._gan_models(trained)
            written = export_gan(Path(folder), trained.gan, generator, discriminator)
        else:
            written = export_weights_and_code(Path(folder), trained.code, trained.model_name, trained.state,
                                              readme=True)
        self.window.statusBar().showMessage(f"wrote {', '.join(p.name for p in written)} to {folder}", 8000)

    @staticmethod
    def _gan_models(trained: TrainedModel) -> tuple[Any, Any]:
        run = trained.gan
        generator, discriminator = run.classes[run.generator](), run.classes[run.discriminator]()
        generator.load_state_dict(trained.state)
        discriminator.load_state_dict(trained.other)
        return generator, discriminator

    def generate_samples(self) -> None:
        """During a GAN run the worker draws them at its next step; after it, the kept generator does."""
        if self.controller.running:
            self.controller.request_samples()
            return
        trained = self.controller.trained
        if trained is None or trained.gan is None:
            self.window.statusBar().showMessage("Train the GAN first", 4000)
            return
        import torch

        from builder.ui.training.worker import SampleGrid

        run = trained.gan
        generator, _ = self._gan_models(trained)
        generator.eval()
        seed = run.settings.training.seed
        z = torch.randn(64, *run.latent_shape, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            images = run.to_image_range(generator(z))
        epoch = len(trained.history)
        self.gan_samples.add(SampleGrid(epoch, images.numpy(), on_demand=True))

    def export_script(self) -> None:
        """train.py and model.py: the same training, standalone, on one device or many with torchrun."""
        from PySide6.QtGui import QGuiApplication

        from builder.train.script import write_training_script
        from builder.train.setup import SetupError, prepare

        if self.document.project.training.get("mode") == "gan":
            self.show_failure("Cannot export a training script", "GAN projects are not supported by the training "
                              "script yet; train them in the app or with builder train.", "")
            return
        folder = self.ask_folder()
        if not folder:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            run = prepare(self.document.project)  # reads the data once, to check it as a run would
        except SetupError as exc:
            self.show_failure("Cannot export a training script", "\n".join(exc.problems), "")
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        written = write_training_script(run, Path(folder))
        self.window.statusBar().showMessage(f"wrote {', '.join(p.name for p in written)} to {folder}: "
                                            f"python train.py, or torchrun --nproc_per_node=N train.py", 10000)

    def export_portable(self, kind: str) -> None:
        """The trained model (or, before training, a freshly initialized one) as ONNX or TorchScript."""
        from builder.blocks.check import check_model
        from builder.compile import build_classes, generate_code
        from builder.compile.portable import ExportError, export_onnx, export_torchscript

        trained = self.controller.trained
        name = trained.model_name if trained else (self.document.project.training.get("model") or self.session.model)
        report = check_model(self.document.project.model(name))
        if report.errors:
            self.show_failure("Cannot export", f"The model {name} has problems to fix first.", "")
            return
        code = trained.code if trained else generate_code(self.document.project, [name])
        suffix = ".onnx" if kind == "onnx" else ".pt"
        path = self.ask_save_path(f"Export {kind}", f"{code.class_names[name]}{suffix}",
                                  "ONNX (*.onnx)" if kind == "onnx" else "TorchScript (*.pt)")
        if not path:
            return
        model = build_classes(code)[name]()
        if trained is not None:
            model.load_state_dict(trained.state)
        shapes = [tuple(report.infos[i].shape) for i in report.inputs]
        names = code.attributes[name]
        try:
            if kind == "onnx":
                result = export_onnx(model, shapes, path, [names[i] for i in report.inputs],
                                     [names[o] for o in report.outputs])
            else:
                result = export_torchscript(model, shapes, path)
        except ExportError as exc:
            self.show_failure(f"Cannot export {kind}", str(exc), "")
            return
        checked = (f"checked with {result.checker}: max difference {result.max_difference:.1g}"
                   if result.max_difference is not None else result.checker)
        weights = "trained weights" if trained else "untrained (freshly initialized) weights"
        self.window.statusBar().showMessage(f"wrote {path} with {weights}; {checked}", 10000)

    def load_weights(self) -> None:
        from builder.train.checkpoint import CheckpointError
        from builder.train.weights import load_for_model

        path = self.ask_open_path()
        if not path:
            return
        model = self.document.project.training.get("model") or self.session.model
        try:
            code, state = load_for_model(self.document.project, model, path)
        except (CheckpointError, KeyError) as exc:
            self.show_failure("Cannot load weights", str(exc), "")
            return
        self.controller.trained = TrainedModel(model, code, state)
        self._update_exports()
        self.window.statusBar().showMessage(f"loaded {Path(path).name} into {model}", 6000)


def _warm_torch() -> None:
    import torch._dynamo  # noqa: F401 - imported lazily by torch.optim's first step otherwise


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
