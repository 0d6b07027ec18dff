"""Where a run is, in words: epoch, step, samples per second and time left, smoothed over the relays.
The window's progress bar shows it; it needs no Qt, so it is tested on its own."""

from __future__ import annotations

from builder.core.i18n import tr
from builder.train.events import Failed, Finished, Started
from builder.train.relay import StepBatch

SMOOTHING = 0.8  # weight of the past in the rate and the time per step


class RunProgress:
    def __init__(self) -> None:
        self.value = 0  # steps done, over the whole run
        self.maximum = 1
        self.text = tr("not trained yet")
        self._epochs = 0
        self._rate: float | None = None  # samples per second
        self._seconds_per_step: float | None = None

    def preparing(self) -> None:
        self.value, self.text = 0, tr("preparing the data…")
        self._rate = self._seconds_per_step = None

    def started(self, event: Started) -> None:
        self._epochs = event.epochs
        self.maximum = max(event.epochs * event.steps_per_epoch, 1)
        self.value = event.start_epoch * event.steps_per_epoch
        self.text = tr("epoch {epoch}/{epochs} · starting…", epoch=event.start_epoch + 1, epochs=event.epochs)

    def advance(self, batch: StepBatch) -> None:
        count = len(batch.numbers)
        self.value = min(self.value + count, self.maximum)
        if batch.seconds > 0 and count:
            self._rate = _smooth(self._rate, batch.samples / batch.seconds)
            self._seconds_per_step = _smooth(self._seconds_per_step, batch.seconds / count)
        left = (self.maximum - self.value) * (self._seconds_per_step or 0)
        values = {"epoch": batch.epoch, "epochs": self._epochs, "step": batch.step, "steps": batch.steps,
                  "left": duration(left), "rate": self._rate}
        if self._rate:
            self.text = tr("epoch {epoch}/{epochs} · step {step}/{steps} · {rate:,.0f} samples/s · {left} left",
                           **values)
        else:
            self.text = tr("epoch {epoch}/{epochs} · step {step}/{steps} · {left} left", **values)

    def stopping(self) -> None:
        self.text = tr("stopping after this batch…")

    def finished(self, event: Finished) -> None:
        if event.reason == "completed":
            self.value = self.maximum
        self.text = event.summary()

    def failed(self, failure: Failed | list[str]) -> None:
        self.text = tr("failed: {failure}", failure=failure.message) if isinstance(failure, Failed) \
            else tr("could not start")


def _smooth(old: float | None, new: float) -> float:
    return new if old is None else SMOOTHING * old + (1 - SMOOTHING) * new


def duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
