"""The live plots: points are drawn within a frame of arriving, many at a time, and a plot with nothing new
wakes nobody (during a run the GUI thread shares the cores and the GIL with training)."""

from builder.train.events import STEP_LOSS, Series
from builder.train.relay import StepBatch
from builder.ui.training.plots import LivePlots


def steps(first, count):
    numbers = list(range(first, first + count))
    return StepBatch(numbers, {"loss": [1.0 / n for n in numbers]}, 1, numbers[-1], 100, 8 * count, 0.1, 0.01)


def test_points_are_drawn_soon_after_they_come_and_an_idle_plot_sets_no_timer(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.show()
    qtbot.waitExposed(plots)
    plots.configure((Series("loss", "training loss", "step", STEP_LOSS),))
    assert not plots.timer.isActive()  # nothing came: nothing to wake up for
    plots.add_steps(steps(1, 5))
    plots.add_steps(steps(6, 5))
    curve = plots.curves[("raw", "loss")]
    qtbot.waitUntil(lambda: curve.getData()[0] is not None and len(curve.getData()[0]) == 10, timeout=2000)
    assert not plots.timer.isActive()  # both batches in one redraw, and no timer left running
