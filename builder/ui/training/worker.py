"""The training worker: runs a trainer in a QThread and relays what train.relay makes of its events.

It does nothing but relay: every message (Started, StepBatch, EpochEnd, a showcase, Finished, Failed)
goes out on one signal, in order, for the controller in the GUI thread to hand on.

Threads: torch computes in parallel on an OpenMP team (libgomp) that each computing thread keeps as long as it
lives. With more team threads in the process than cores, libgomp has every team, the training's too, sleep
between two parallel regions instead of waiting on the core: each of the ~35 regions of a small CNN's step
then pays a wake-up, and the run took 1.4× as long as headless (bench/ui_responsiveness.py). The GUI thread
lives as long as the app, so it gives its parallelism to training (`leave_threads_to_training`) before it
computes anything; the run's thread takes the threads a headless run has.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from builder.core.project import Project

HEALTH_EVERY = 20  # steps between the layer-health samples the window shows (under 1% slower: bench/health_bench.py)

_training_threads: int | None = None  # torch's intra-op threads for a run, as a headless run has them


def leave_threads_to_training() -> None:
    """Once, on the GUI thread, before it computes with torch: from then on it computes on one thread (never starting
    an OpenMP team of its own), and each run on as many as torch chose for the process. Other threads started
    later compute on one thread unless they ask for more, as the worker does."""
    global _training_threads
    if _training_threads is not None:
        return
    import torch

    # Read first: torch sets a thread's count up on its first use, from the process-wide count, which would
    # undo a set_num_threads made before.
    _training_threads = torch.get_num_threads()
    torch.set_num_threads(1)


@contextmanager
def _run_threads() -> Iterator[None]:
    """The run's thread computes on the run's threads (its own setting: the GUI thread's stays at one); after it,
    threads started later are back to one, as the GUI thread left them."""
    if _training_threads is None:
        yield
        return
    import torch

    torch.set_num_threads(_training_threads)
    try:
        yield
    finally:
        torch.set_num_threads(1)


def training_threads() -> int | None:
    """How many threads a run computes on (None: the GUI thread has not given its own up, nothing to restore)."""
    return _training_threads


class TrainingWorker(QObject):
    relayed = Signal(object)  # each message of train.relay.Relay, in order
    refused = Signal(object)  # the problems found before training: a list, one line each
    data_read = Signal(str)  # what was read, and how (LoadedData.description): "...; read 60,000 images from the cache"
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
            with _run_threads():
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
        self.data_read.emit(run.data.description)
        self.trainer = new_trainer(run, multiprocessing_context=self.multiprocessing_context, health_every=HEALTH_EVERY)
        self.relay = Relay(self.trainer)
        if self._stop.is_set():
            self.trainer.stop()
        if self._showcase.is_set():
            self.relay.request_showcase()
        for message in self.relay:
            self.relayed.emit(message)
