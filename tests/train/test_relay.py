"""The relay between the engine and a display: steps gathered into timed batches with their values read once,
a showcase after every epoch and on request, and the same path for supervised and GAN runs."""

import torch
from projects import cnn, shapes_project

from builder.train.engine import Trainer
from builder.train.events import EpochEnd, EpochRecord, Finished, Started, Step
from builder.train.relay import Relay, StepBatch
from builder.train.setup import prepare
from builder.train.showcase import Predictions


class Scripted:
    """A trainer that yields given events; its showcase says which epoch and whether it was asked for."""

    def __init__(self, events, on_step=None):
        self.events, self.on_step = events, on_step

    def __iter__(self):
        for event in self.events:
            if self.on_step and isinstance(event, Step):
                self.on_step(event)  # the step's work: the clock moves on before it is reported
            yield event

    def showcase(self, epoch, on_demand=False):
        return ("showcase", epoch, on_demand)


def started(start_epoch=0, steps=4):
    return Started("Net", "cpu", start_epoch, 2, steps, 10, 2, (), "float32", None, (), "")


def step(epoch, index, **values):
    return Step(epoch, index, 4, 8, {k: torch.tensor(v) for k, v in values.items()}, 0.1)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_steps_go_out_in_batches_by_time_with_global_numbers_and_every_series():
    clock = Clock()
    events = [started(), *(step(1, i, d_loss=float(i), g_loss=float(-i)) for i in range(1, 5))]

    def tick(_event):
        clock.now += 0.04  # 25 steps a second: a batch of 3 at a 0.1 s relay, then the rest when the steps end

    relay = Relay(Scripted(events, tick), interval=0.1, clock=clock)
    out = list(relay)
    batches = [m for m in out if isinstance(m, StepBatch)]
    assert isinstance(out[0], Started)
    assert [b.numbers for b in batches] == [[1, 2, 3], [4]]
    assert batches[0].values == {"d_loss": [1.0, 2.0, 3.0], "g_loss": [-1.0, -2.0, -3.0]}
    assert batches[0].samples == 24 and batches[1].step == 4 and batches[1].steps == 4


def test_the_display_hears_ten_times_a_second_however_fast_the_steps_come():
    clock = Clock()
    events = [started(steps=2000), *(Step(1, i, 2000, 8, {"loss": torch.tensor(1.0)}, 0.1) for i in range(1, 2001))]

    def tick(_event):
        clock.now += 0.001  # 1,000 steps a second for 2 s

    out = list(Relay(Scripted(events, tick), clock=clock))
    batches = [m for m in out if isinstance(m, StepBatch)]
    assert len(batches) <= 21  # one each RELAY_SECONDS (0.1 s), the last steps flushed at the end
    assert [n for b in batches for n in b.numbers] == list(range(1, 2001))  # every step, once, in order


def test_each_epoch_end_is_followed_by_a_showcase_and_pending_steps_go_first():
    record = EpochRecord(1, {"train_loss": 1.0}, 0.1, 1.0)
    events = [started(), step(1, 1, loss=0.5), EpochEnd(record, True), Finished("completed", "", 1, 1, (record,))]
    out = list(Relay(Scripted(events), interval=10.0, clock=Clock()))
    kinds = [type(m).__name__ if not isinstance(m, tuple) else m for m in out]
    assert kinds == ["Started", "StepBatch", "EpochEnd", ("showcase", 1, False), "Finished"]


def test_a_resumed_run_numbers_its_steps_after_the_epochs_done():
    out = list(Relay(Scripted([started(start_epoch=1), step(2, 1, loss=1.0)]), clock=Clock()))
    assert out[1].numbers == [5]  # 4 steps per epoch, one epoch done


def test_a_showcase_asked_for_comes_at_the_next_step():
    relay = None

    def ask(event):
        if event.step == 2:
            relay.request_showcase()

    relay = Relay(Scripted([started(), step(1, 1, loss=1.0), step(1, 2, loss=1.0), step(1, 3, loss=1.0)], ask),
                  interval=10.0, clock=Clock())
    out = list(relay)
    assert [m for m in out if isinstance(m, tuple)] == [("showcase", 1, True)]
    assert out.index(("showcase", 1, True)) == 1  # right after the step during which it was asked for


def test_a_real_run_through_the_relay():
    run = prepare(shapes_project(cnn(), samples=96, training={"epochs": 1, "device": "cpu"}, data={"batch_size": 16}))
    out = list(Relay(Trainer(run), interval=0.0))
    batches = [m for m in out if isinstance(m, StepBatch)]
    assert sum(len(b.numbers) for b in batches) == 5 and set(batches[0].values) == {"loss"}
    showcase = next(m for m in out if isinstance(m, Predictions))
    assert showcase.epoch == 1 and len(showcase.inputs) == len(showcase.outputs) == 16
    assert showcase.classes == ["circle", "square", "triangle", "cross"]
