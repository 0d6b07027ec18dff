"""Starting, stopping and joining a training run; what it leaves behind (weights, run history).

The worker lives in its own QThread; the thread is always joined, never terminated. The worker's
messages come in on one signal and go out on one signal per kind, for the views. A finished run's
weights are kept with the project (train/kept.py): held here until the project is saved, written
beside it then, and read back when it opens again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from builder.core.commands import SetRuns
from builder.core.document import Document
from builder.core.i18n import tr
from builder.train import kept
from builder.train.checkpoint import CheckpointError
from builder.train.events import EpochEnd, EpochRecord, Failed, Finished, Health, Started
from builder.train.history import run_record
from builder.train.relay import Answer, StepBatch
from builder.train.trained import TrainedModel
from builder.ui.training.worker import TrainingWorker, leave_threads_to_training


class TrainingController(QObject):
    running_changed = Signal(bool)
    started = Signal(object)  # Started
    steps = Signal(object)  # StepBatch
    epoch_ended = Signal(object)  # EpochEnd
    showcase = Signal(object)  # Predictions or GeneratedImages
    finished = Signal(object)  # Finished
    health = Signal(object)  # Health: a layer-health sample and its warnings
    answered = Signal(object)  # relay.Answer: what a question asked of the running trainer found
    failed = Signal(object)  # Failed, or the list of problems found before training
    data_read = Signal(str)  # what the run read, and how: LoadedData.description

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        leave_threads_to_training()  # before the window computes anything with torch: see worker.py
        self.document = document
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.trained: TrainedModel | None = None  # the current weights: the latest run's, a chosen run's, loaded
        self.pending: dict[str, TrainedModel] = {}  # run id -> weights not yet written beside the project
        self.run_started: Started | None = None
        self._steps: list[tuple[int, float]] = []  # (global step, value of the first step series)
        self._history: list[EpochRecord] = []
        self._started_at = 0.0
        self.multiprocessing_context = "spawn"  # never fork a process that runs Qt threads
        self._health: list[Any] = []  # the run's health samples, kept with its record
        self._handlers = {Started: self._on_started, StepBatch: self._on_steps, EpochEnd: self._on_epoch,
                          Finished: self._on_finished, Failed: self._on_failed, Health: self._on_health,
                          Answer: self.answered.emit}

    def forget_run(self) -> None:
        """Another project is open: its weights and run are not this one's."""
        self.trained, self.run_started, self.pending = None, None, {}

    # -- weights kept with the project ----------------------------------------------------------

    def unsaved_weights(self) -> int:
        """Runs whose weights would be lost if the project were not saved."""
        ids = {r.get("id") for r in self.document.project.runs if isinstance(r, dict)}
        return len(ids & set(self.pending))

    def save_kept(self, path: Path, old_path: Path | None) -> None:
        """Before the project is saved to `path`: the runs' weights into the folder beside it (those held
        here, and, saving under a new name, the ones kept beside the old file). Raises WriteError."""
        runs = [r for r in self.document.project.runs if isinstance(r, dict)]
        folder = kept.runs_folder(path)
        for run in runs:
            if run.get("id") in self.pending:
                kept.write(folder, run["id"], self.pending[run["id"]])
        if old_path is not None and kept.runs_folder(old_path) != folder:
            kept.copy_kept(runs, kept.runs_folder(old_path), folder)
        self.pending = {}

    def load_current(self) -> str:
        """The current run's weights as the trained model (a project just opened); a line for the status bar."""
        run = kept.current_run(self.document.project.runs)
        if run is None:
            return ""
        return self._take_weights(run)

    def use_run(self, run_id: str) -> str:
        """Make a run's weights the current ones (marked in the project: one undo step); a line for people."""
        run = next((r for r in self.document.project.runs if isinstance(r, dict) and r.get("id") == run_id), None)
        if run is None or not run.get("weights"):
            return tr("that run has no weights kept")
        message = self._take_weights(run)
        if self.trained is not None and run.get("current") is not True:
            runs = [_marked(r, r is run) for r in self.document.project.runs]
            self.document.execute(SetRuns(runs, tr("use a run's weights")))
        return message

    def _take_weights(self, run: dict) -> str:
        trained = self.pending.get(run.get("id"))
        if trained is None:
            try:
                trained = kept.read(self.document.project, run)
            except CheckpointError as exc:
                self.trained = None
                return tr("the weights of the run of {started} could not be used: {error}", started=run.get("started", "?"),
                          error=exc)
        self.trained = trained
        return tr("using the weights of the run of {started}", started=str(run.get("started", "?")).replace("T", " "))

    def ask(self, key: Any, question: Any) -> bool:
        """Run `question(trainer)` on the training thread between two steps; the Answer comes on `answered`.
        False when no run is going on (or it has not begun)."""
        return self.worker is not None and self.worker.ask(key, question)

    @property
    def running(self) -> bool:
        return self.thread is not None

    def start(self) -> None:
        if self.running:
            return
        self._steps, self._history, self.run_started = [], [], None
        self._started_at = time.time()
        self.thread = QThread()
        self.worker = TrainingWorker(self.document.project, self.multiprocessing_context)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.work)
        self.worker.relayed.connect(self._on_message)
        self.worker.refused.connect(self.failed)
        self.worker.data_read.connect(self.data_read)
        self.worker.done.connect(self._on_done)
        self.thread.start()
        self.running_changed.emit(True)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def request_showcase(self) -> None:
        if self.worker is not None:
            self.worker.request_showcase()

    def stop_and_wait(self) -> None:
        """Stop, join the thread and take in its last messages (the run is recorded), for closing mid-run."""
        if self.worker is not None:
            self.worker.stop()
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()
            QCoreApplication.sendPostedEvents(self)  # the relays still queued for this controller
            self._on_done()

    def _on_message(self, message: Any) -> None:
        self._handlers.get(type(message), self.showcase.emit)(message)

    def _on_started(self, event: Started) -> None:
        self.run_started = event
        self._health = []
        self.started.emit(event)

    def _on_health(self, event: Health) -> None:
        self._health.append(event.sample)
        self.health.emit(event)

    def _on_steps(self, batch: StepBatch) -> None:
        first = next(iter(batch.values.values()))
        self._steps.extend(zip(batch.numbers, first))
        self.steps.emit(batch)

    def _on_epoch(self, event: EpochEnd) -> None:
        self._history.append(event.record)
        self.epoch_ended.emit(event)

    def _on_finished(self, event: Finished) -> None:
        self._record(event.reason, event.message, event.best_epoch)
        self.finished.emit(event)

    def _on_failed(self, failure: Failed) -> None:
        self._record("failed", str(failure), None)
        self.failed.emit(failure)

    def _record(self, outcome: str, message: str, best_epoch: int | None) -> None:
        """The run into the project's history, with its weights (the current ones now), one undo step."""
        worker = self.worker
        if worker is None or self.run_started is None or not self._history:
            return
        trained = worker.trainer.trained() if worker.trainer is not None else None
        project = worker.project
        record = run_record(self.run_started.model, project.data, project.training, self._history, outcome,
                            message, self._steps, self._started_at, best_epoch, self.run_started.series,
                            self.run_started.classes, self._health)
        runs = list(self.document.project.runs)
        if trained is not None:
            self.trained = self.pending[record["id"]] = trained
            record.update(weights=kept.file_names(record["id"], trained), current=True)
            runs = [_marked(r, False) for r in runs]
        self.document.execute(SetRuns([*runs, record], tr("record training run")))

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


def _marked(run: Any, current: bool) -> Any:
    """A run record with its "current" mark set (kept out when false, as records without one read)."""
    if not isinstance(run, dict):
        return run
    marked = {k: v for k, v in run.items() if k != "current"}
    return {**marked, "current": True} if current else marked
