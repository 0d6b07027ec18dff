"""What a run costs the GUI thread: the progress bar shows steps a few times a second, not per relay (each show
repaints the bar at once), and the plots' x axes are set from the run's length, not rescaled per point."""

from builder.train.events import EPOCH_LOSS, STEP_LOSS, EpochRecord, Finished, Series, Started
from builder.train.relay import StepBatch
from builder.ui.training.ui import PROGRESS_MS

SERIES = (Series("loss", "training loss", "step", STEP_LOSS), Series("val_loss", "validation loss", "epoch", EPOCH_LOSS))


def started(epochs=5, steps=100):
    return Started("ShapesNet", "cpu", 0, epochs, steps, 8 * steps, 80, (), "float32", None, SERIES, "")


def steps(first, count, epoch=1):
    numbers = list(range(first, first + count))
    return StepBatch(numbers, {"loss": [1.0] * count}, epoch, numbers[-1], 100, 8 * count, 0.1, 0.01)


def test_progress_shows_steps_a_few_times_a_second_and_the_end_at_once(qtbot, window):
    ui = window.training
    ui.controller.started.emit(started())
    for first in range(1, 40, 10):
        ui.controller.steps.emit(steps(first, 10))
    assert ui.progress.value() == 0  # not yet: the relays of a moment are shown together
    qtbot.waitUntil(lambda: ui.progress.value() == 40, timeout=PROGRESS_MS * 4)
    assert "step 40/100" in ui.progress.format()
    ui.controller.steps.emit(steps(41, 10))
    ui.controller.finished.emit(Finished("completed", "done", 5, None, ()))
    assert ui.progress.value() == ui.progress.maximum() and not ui._progress_timer.isActive()  # the end, at once


def test_the_plots_x_axes_span_the_run_from_its_start(qtbot, window):
    plots = window.training.plots
    window.show_page(plots)
    window.training.controller.started.emit(started(epochs=5, steps=100))
    low, high = plots.plots[EPOCH_LOSS].viewRange()[0]
    assert low <= 1 and high >= 5 and high < 6  # epochs 1 to 5, before any has ended
    record = EpochRecord(1, {"val_loss": 0.6}, 0.01, 1.0)
    plots.add_epoch(record)
    plots.add_steps(steps(1, 10))
    plots.redraw()
    assert plots.plots[EPOCH_LOSS].viewRange()[0] == [low, high]  # a point does not rescale it
    low, high = plots.plots[STEP_LOSS].viewRange()[0]
    assert low <= 0 and 500 <= high < 520  # 5 epochs of 100 steps, not 1.5× the 10 so far
    plots.configure(SERIES)  # a run that does not say its length: x follows the points again
    assert plots.plots[EPOCH_LOSS].getViewBox().autoRangeEnabled()[0]
