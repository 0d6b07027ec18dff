"""The training worker: runs a trainer in a QThread and relays what train.relay makes of its events.

It does nothing but relay: every message (Started, StepBatch, EpochEnd, a showcase, Finished, Failed)
goes out on one signal, in order, for the controller in the GUI thread to hand on.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from builder.core.project import Project

HEALTH_EVERY = 20  # steps between the layer-health samples the window shows (under 1% slower: bench/health_bench.py)


class TrainingWorker(QObject):
    relayed = Signal(object)  # each message of train.relay.Relay, in order
    refused = Signal(object)  # the problems found before training: a list, one line each
    done = Signal()  # always the last signal

    def __init__(self, project: Project, multiprocessing_context: str = "spawn") -> None:
        super().__init__()
        self.project = copy.deepcopy(project)  # a snapshot: later edits don't reach the running job
        self.multiprocessing_context = multiprocessing_context
        self.trainer: Any = None
        self.relay: Any = None
        self._stop = threading.Event()
        self._showcase = threading.Event()

    def stop(self) -> None:
        """Safe from any thread: the engine ends within a batch (or never starts)."""
        self._stop.set()
        if self.trainer is not None:
            self.trainer.stop()

    def request_showcase(self) -> None:
        """The model as it is now (a GAN's images) at the next step; safe from any thread."""
        self._showcase.set()
        if self.relay is not None:
            self.relay.request_showcase()

    def ask(self, key: Any, question: Any) -> bool:
        """`question(trainer)` between two steps of the run (relay.Relay.ask); False before the run has begun."""
        if self.relay is None:
            return False
        self.relay.ask(key, question)
        return True

    @Slot()
    def work(self) -> None:
        try:
            self._work()
        finally:
            self.done.emit()

    def _work(self) -> None:
        from builder.train.relay import Relay
        from builder.train.setup import SetupError
        from builder.train.start import new_trainer, prepare_run

        try:
            run = prepare_run(self.project)
        except SetupError as exc:
            self.refused.emit(list(exc.problems))
            return
        except Exception as exc:  # noqa: BLE001 - whatever it is, the window must hear of it
            self.refused.emit([f"{type(exc).__name__}: {exc}"])
            return
        self.trainer = new_trainer(run, multiprocessing_context=self.multiprocessing_context, health_every=HEALTH_EVERY)
        self.relay = Relay(self.trainer)
        if self._stop.is_set():
            self.trainer.stop()
        if self._showcase.is_set():
            self.relay.request_showcase()
        for message in self.relay:
            self.relayed.emit(message)
