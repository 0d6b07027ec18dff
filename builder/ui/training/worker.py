"""The training worker: runs the engine in a QThread and relays its events as signals.

It does nothing but relay. Step events are gathered and sent 10 times a second (with the losses
read from the device once per batch of steps), so a fast run never floods the GUI thread.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any

import torch
from PySide6.QtCore import QObject, Signal, Slot

from builder.core.project import Project
from builder.train.engine import Trainer
from builder.train.events import EpochEnd, Failed, Finished, Started, Step
from builder.train.setup import Run, SetupError, prepare

RELAY_SECONDS = 0.1  # 10 relays a second: smooth to watch, little work for the GUI thread
PREVIEW_SAMPLES = 16


@dataclass(frozen=True)
class StepBatch:
    """Steps since the last relay: (global step, loss) pairs and where the run is."""

    points: list[tuple[int, float]]
    epoch: int
    step: int
    steps: int
    samples: int  # samples trained in these steps
    seconds: float  # wall time they took
    lr: float


@dataclass(frozen=True)
class GanStepBatch:
    """GAN steps since the last relay: (global step, d_loss, g_loss) triples and where the run is."""

    points: list[tuple[int, float, float]]
    epoch: int
    step: int
    steps: int
    samples: int
    seconds: float


@dataclass(frozen=True)
class SampleGrid:
    """The generator's images from its fixed latent batch, after an epoch or on demand."""

    epoch: int
    images: Any  # numpy (N, C, H, W) in [0, 1]
    on_demand: bool = False


@dataclass(frozen=True)
class Predictions:
    """What the model makes of a few fixed validation samples, for the results grid."""

    epoch: int
    inputs: list[Any]  # numpy arrays C×H×W (or vectors)
    targets: list[Any]  # class index (classification) or array (reconstruction/regression)
    outputs: list[Any]  # predicted class index, or the output array
    classes: list[str] | None


class TrainingWorker(QObject):
    prepared = Signal(object)  # Run
    started = Signal(object)  # Started
    steps = Signal(object)  # StepBatch
    epoch_ended = Signal(object)  # EpochEnd
    predicted = Signal(object)  # Predictions
    finished = Signal(object)  # Finished
    failed = Signal(object)  # Failed, or a list of problems found before training
    gan_steps = Signal(object)  # GanStepBatch
    gan_epoch_ended = Signal(object)  # GanEpochEnd (its samples sent separately, as a SampleGrid)
    samples = Signal(object)  # SampleGrid
    done = Signal()  # always the last signal

    def __init__(self, project: Project, multiprocessing_context: str = "spawn") -> None:
        super().__init__()
        self.project = copy.deepcopy(project)  # a snapshot: later edits don't reach the running job
        self.multiprocessing_context = multiprocessing_context
        self.trainer: Trainer | None = None
        self.run_setup: Run | None = None
        self._stop = threading.Event()
        self._sample_now = threading.Event()

    def stop(self) -> None:
        """Safe from any thread: the engine ends within a batch (or never starts)."""
        self._stop.set()
        if self.trainer is not None:
            self.trainer.stop()

    def request_samples(self) -> None:
        """GAN: images from the current generator at the next step (safe from any thread)."""
        self._sample_now.set()

    @Slot()
    def work(self) -> None:
        try:
            self._work()
        finally:
            self.done.emit()

    def _work(self) -> None:
        from builder.train.events import GanEpochEnd, GanStep
        from builder.train.gan import GanTrainer, is_gan, prepare_gan

        gan = is_gan(self.project)
        try:
            run = prepare_gan(self.project) if gan else prepare(self.project)
        except SetupError as exc:
            self.failed.emit(list(exc.problems))
            return
        except Exception as exc:  # noqa: BLE001 - whatever it is, the window must hear of it
            self.failed.emit([f"{type(exc).__name__}: {exc}"])
            return
        self.run_setup = run
        self.prepared.emit(run)
        self.trainer = (GanTrainer if gan else Trainer)(run, multiprocessing_context=self.multiprocessing_context)
        if self._stop.is_set():
            self.trainer.stop()
        step_type, relay = (GanStep, self._relay_gan) if gan else (Step, self._relay)
        pending: list = []
        last = time.monotonic()
        global_step = 0
        for event in self.trainer:
            if isinstance(event, step_type):
                pending.append(event)
                global_step += 1
                now = time.monotonic()
                if now - last >= RELAY_SECONDS:
                    relay(pending, global_step, now - last)
                    pending, last = [], now
                if gan and self._sample_now.is_set():
                    self._sample_now.clear()
                    self.samples.emit(SampleGrid(event.epoch, self.trainer.sample().numpy(), on_demand=True))
                continue
            if pending:
                now = time.monotonic()
                relay(pending, global_step, now - last)
                pending, last = [], now
            if isinstance(event, Started):
                global_step = event.start_epoch * event.steps_per_epoch
                self.started.emit(event)
            elif isinstance(event, EpochEnd):
                self.epoch_ended.emit(event)
                self.predicted.emit(self._predictions(event.record.epoch))
                last = time.monotonic()
            elif isinstance(event, GanEpochEnd):
                self.gan_epoch_ended.emit(event)
                self.samples.emit(SampleGrid(event.record.epoch, event.samples.numpy()))
            elif isinstance(event, Finished):
                self.finished.emit(event)
            elif isinstance(event, Failed):
                self.failed.emit(event)

    def _relay_gan(self, steps: list, global_step: int, seconds: float) -> None:
        values = torch.stack([torch.stack([s.d_loss, s.g_loss]) for s in steps]).float().cpu().tolist()
        first = global_step - len(steps) + 1
        last = steps[-1]
        points = [(first + i, d, g) for i, (d, g) in enumerate(values)]
        self.gan_steps.emit(GanStepBatch(points, last.epoch, last.step, last.steps, sum(s.samples for s in steps),
                                         seconds))

    def _relay(self, steps: list[Step], global_step: int, seconds: float) -> None:
        losses = torch.stack([s.loss for s in steps]).float().cpu().tolist()  # one wait for the GPU
        first = global_step - len(steps) + 1
        last = steps[-1]
        self.steps.emit(StepBatch([(first + i, v) for i, v in enumerate(losses)], last.epoch, last.step,
                                  last.steps, sum(s.samples for s in steps), seconds, last.lr))

    def _predictions(self, epoch: int) -> Predictions:
        run, model = self.run_setup, self.trainer.model
        indices = run.split.val[:PREVIEW_SAMPLES].tolist() or run.split.train[:PREVIEW_SAMPLES].tolist()
        pairs = [run.data.dataset[i] for i in indices]
        x = torch.stack([p[0] for p in pairs])
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            out = model(x.to(run.device)).float().cpu()
        model.train(was_training)
        if run.objective.num_classes:
            outputs = run.objective.predict(out).tolist()
            targets = [int(p[1]) for p in pairs]
        else:
            outputs = [o.numpy() for o in out]
            targets = [p[1].numpy() for p in pairs]
        return Predictions(epoch, [p[0].numpy() for p in pairs], targets, outputs, run.data.classes)
