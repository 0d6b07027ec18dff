"""Starting, stopping and joining a training run; what it leaves behind (weights, run history).

The worker lives in its own QThread; the thread is always joined, never terminated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from builder.compile.codegen import GeneratedCode
from builder.core.commands import SetRuns
from builder.core.document import Document
from builder.train.events import EpochEnd, EpochRecord, Failed, Finished
from builder.train.history import run_record
from builder.ui.training.worker import StepBatch, TrainingWorker


@dataclass
class TrainedModel:
    """The latest trained (or loaded) weights and the generated code they fit."""

    model_name: str
    code: GeneratedCode
    state: dict[str, Any]
    history: list[Any] = field(default_factory=list)
    gan: Any = None  # the GanRun, when this is a generator (and `other` its discriminator's weights)
    other: dict[str, Any] | None = None


class TrainingController(QObject):
    running_changed = Signal(bool)
    prepared = Signal(object)
    started = Signal(object)
    steps = Signal(object)
    epoch_ended = Signal(object)
    predicted = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    gan_steps = Signal(object)
    gan_epoch_ended = Signal(object)
    samples = Signal(object)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.trained: TrainedModel | None = None
        self._steps: list[tuple[int, float]] = []
        self._history: list[EpochRecord] = []
        self._started_at = 0.0
        self.multiprocessing_context = "spawn"  # never fork a process that runs Qt threads

    @property
    def running(self) -> bool:
        return self.thread is not None

    def start(self) -> None:
        if self.running:
            return
        self._steps, self._history = [], []
        self._started_at = time.time()
        self.thread = QThread()
        self.worker = TrainingWorker(self.document.project, self.multiprocessing_context)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.work)
        self.worker.prepared.connect(self.prepared)
        self.worker.started.connect(self.started)
        self.worker.steps.connect(self._on_steps)
        self.worker.epoch_ended.connect(self._on_epoch)
        self.worker.predicted.connect(self.predicted)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.gan_steps.connect(self._on_gan_steps)
        self.worker.gan_epoch_ended.connect(self._on_gan_epoch)
        self.worker.samples.connect(self.samples)
        self.worker.done.connect(self._on_done)
        self.thread.start()
        self.running_changed.emit(True)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def stop_and_wait(self) -> None:
        """Stop and join the thread, for closing the window mid-run."""
        if self.worker is not None:
            self.worker.stop()
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()
            self._on_done()

    def _on_steps(self, batch: StepBatch) -> None:
        self._steps.extend(batch.points)
        self.steps.emit(batch)

    def _on_gan_steps(self, batch) -> None:
        self._steps.extend((step, d) for step, d, _g in batch.points)
        self.gan_steps.emit(batch)

    def _on_gan_epoch(self, event) -> None:
        self._history.append(event.record)
        self.gan_epoch_ended.emit(event)

    def request_samples(self) -> None:
        if self.worker is not None:
            self.worker.request_samples()

    def _on_epoch(self, event: EpochEnd) -> None:
        self._history.append(event.record)
        self.epoch_ended.emit(event)

    def _on_finished(self, event: Finished) -> None:
        self._keep_model()
        self._record(event.reason, event.message, event.best_epoch)
        self.finished.emit(event)

    def _on_failed(self, failure: Failed | list[str]) -> None:
        if isinstance(failure, Failed):
            self._keep_model()
            self._record("failed", str(failure), None)
        self.failed.emit(failure)

    def _keep_model(self) -> None:
        worker = self.worker
        if worker is None or worker.trainer is None or not self._history:
            return
        trainer, setup = worker.trainer, worker.run_setup
        if hasattr(trainer, "generator"):  # a GAN: both models, the generator first
            if trainer.generator is None:
                return
            self.trained = TrainedModel(setup.generator, setup.code, _cpu(trainer.generator), list(self._history),
                                        gan=setup, other=_cpu(trainer.discriminator))
            return
        if trainer.model is None:
            return
        self.trained = TrainedModel(setup.model_name, setup.code, _cpu(trainer.model), list(self._history))

    def _record(self, outcome: str, message: str, best_epoch: int | None) -> None:
        setup = self.worker.run_setup if self.worker else None
        if setup is None or not self._history:
            return
        model = getattr(setup, "model_name", None) or f"{setup.generator} vs {setup.discriminator}"
        record = run_record(model, setup.project.data, setup.project.training, self._history, outcome,
                            message, self._steps, self._started_at, best_epoch)
        runs = [*self.document.project.runs, record]
        self.document.execute(SetRuns(runs, "record training run"))

    def _on_done(self) -> None:
        thread = self.thread
        if thread is None:
            return
        thread.quit()
        thread.wait()  # joined, never terminated
        self.thread = None
        if self.worker is not None:
            self.worker.deleteLater()
        thread.deleteLater()
        self.worker = None
        self.running_changed.emit(False)


def _cpu(model: Any) -> dict[str, Any]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
