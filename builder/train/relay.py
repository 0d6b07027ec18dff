"""From the engine's events to what a display needs, at a rate a GUI can take.

Steps are gathered and passed on RELAY_SECONDS apart as one StepBatch, their values read from the
device once per batch (one wait for the GPU, not one per step). After each epoch the trainer's
showcase (predictions on a few validation samples, or the generator's images) follows the EpochEnd;
one can also be asked for at any time, and comes at the next step. Supervised and GAN runs go through
the same code: the values travel by the names their Started declared.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from builder.train.events import EpochEnd, Started, Step

# 5 relays a second: as often as the window redraws its plots (ui/training/plots.py REDRAW_MS), so each relay is
# drawn and none is only work for the GUI thread, which shares the cores (and the GIL) with training.
RELAY_SECONDS = 0.2


@dataclass(frozen=True)
class StepBatch:
    """The steps since the last relay and where the run is."""

    numbers: list[int]  # global step numbers (1-based over the whole run)
    values: dict[str, list[float]]  # each step series: one value per step
    epoch: int
    step: int  # the last step's number within its epoch
    steps: int  # steps per epoch
    samples: int  # samples trained in these steps
    seconds: float  # wall time they took
    lr: float


@dataclass(frozen=True)
class Answer:
    """What a question asked of the running trainer (Relay.ask) found, between two steps."""

    key: Any
    value: Any  # the function's result, or the exception it raised


class Relay:
    def __init__(self, trainer: Any, interval: float = RELAY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.trainer = trainer
        self.interval = interval
        self.clock = clock
        self._showcase_now = threading.Event()
        self._asked: queue.SimpleQueue[tuple[Any, Callable[[Any], Any]]] = queue.SimpleQueue()

    def request_showcase(self) -> None:
        """A showcase of the model as it is now, at the next step (safe from any thread)."""
        self._showcase_now.set()

    def ask(self, key: Any, question: Callable[[Any], Any]) -> None:
        """`question(trainer)` run at the next step, on the training thread, between two steps (the model's
        weights are not changing then); its Answer comes with `key`. Safe from any thread."""
        self._asked.put((key, question))

    def _answers(self) -> Iterator[Answer]:
        while not self._asked.empty():
            key, question = self._asked.get()
            try:
                value = question(self.trainer)
            except Exception as exc:  # noqa: BLE001 - the asker hears of it; the run goes on
                value = exc
            yield Answer(key, value)

    def __iter__(self) -> Iterator[Any]:
        pending: list[Step] = []
        last = self.clock()
        done = 0  # global steps before the pending ones
        for event in self.trainer:
            if isinstance(event, Step):
                pending.append(event)
                now = self.clock()
                if now - last >= self.interval:
                    yield batch(pending, done, now - last)
                    done, pending, last = done + len(pending), [], now
                if self._showcase_now.is_set():
                    self._showcase_now.clear()
                    yield self.trainer.showcase(event.epoch, on_demand=True)
                yield from self._answers()
                continue
            if pending:
                now = self.clock()
                yield batch(pending, done, now - last)
                done, pending, last = done + len(pending), [], now
            if isinstance(event, Started):
                done = event.start_epoch * event.steps_per_epoch
            yield event
            if isinstance(event, EpochEnd):
                yield self.trainer.showcase(event.record.epoch)
                last = self.clock()  # the showcase's time is not the next steps' time
        if pending:  # a trainer ends with Finished or Failed, which flushes; this is for one that does not
            yield batch(pending, done, self.clock() - last)


def batch(steps: list[Step], done: int, seconds: float) -> StepBatch:
    """The steps as one StepBatch, every value read from the device in one go."""
    names = list(steps[0].values)
    table = torch.stack([torch.stack([s.values[n] for n in names]) for s in steps]).float().cpu().tolist()
    values = {name: [row[column] for row in table] for column, name in enumerate(names)}
    numbers = [done + i + 1 for i in range(len(steps))]
    last = steps[-1]
    return StepBatch(numbers, values, last.epoch, last.step, last.steps, sum(s.samples for s in steps), seconds,
                     last.lr)
