"""The results are readable at the window's size: class names in full (legend, hover), captions on two short
lines, reconstruction pairs captioned, the generator's images tiled large, few learning-rate ticks."""

import numpy as np

from builder.train.events import LEARNING_RATE, EpochRecord, Series
from builder.train.showcase import Predictions
from builder.ui.training.generated_view import GridImage
from builder.ui.training.plots import LivePlots
from builder.ui.training.results import ConfusionMatrix, PredictionGrid

CLASSES = ["circle", "square", "triangle", "cross"]


def test_the_confusion_matrix_numbers_its_columns_and_names_them_in_full(qtbot):
    matrix = ConfusionMatrix()
    qtbot.addWidget(matrix)
    matrix.resize(420, 220)
    matrix.show_matrix([[20, 1, 0, 0], [2, 18, 0, 1], [0, 0, 21, 0], [0, 3, 0, 17]], CLASSES, [0.95, 0.86, 1.0, 0.85])
    assert matrix.legend() == "0 circle · 1 square · 2 triangle · 3 cross"
    cell = matrix._cell()
    x, y = 92 + 1.5 * cell, 34 + 3.5 * cell  # row 3 (cross), column 1 (square)
    assert matrix.tooltip_at(x, y) == "true cross, predicted square: 3 (15% of the row)"
    assert matrix.tooltip_at(5, 5) == matrix.legend()


def test_a_wrong_prediction_says_both_classes_on_two_lines(qtbot):
    grid = PredictionGrid()
    qtbot.addWidget(grid)
    grid.resize(700, 220)
    images = [np.zeros((1, 8, 8)) for _ in range(3)]
    grid.show_predictions(Predictions(1, images, [0, 2, 3], [0, 1, 3], CLASSES))
    assert grid.captions(0) == ("circle", None)
    assert grid.captions(1) == ("✗ square", "true: triangle")
    columns, size = grid.layout_()
    assert columns == 3 and size > 100  # three samples: three large thumbnails, not eight small ones
    assert grid.tooltip_at(4 + size * 1.5, 40) == "predicted square, true triangle (wrong)"


def test_reconstruction_pairs_are_captioned(qtbot):
    grid = PredictionGrid()
    qtbot.addWidget(grid)
    grid.resize(700, 220)
    images = [np.zeros((1, 8, 8)) for _ in range(2)]
    grid.show_predictions(Predictions(1, images, images, images, None))
    assert [grid.captions(i)[0] for i in range(4)] == ["input", "output", "input", "output"]


def test_generated_images_fill_a_wide_panel(qtbot):
    image = GridImage()
    qtbot.addWidget(image)
    image.resize(1300, 200)
    image.show_images(np.zeros((64, 1, 32, 32), dtype=np.float32))
    columns = image.columns()
    rows = -(-64 // columns)
    side = min(1300 / columns, 200 / rows)
    assert columns == 22 and side > 55  # three rows of about 59 px images, not an 8×8 square of 25 px ones


def test_the_learning_rate_axis_has_only_the_rates_reached(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.show()
    plots.configure((Series("lr", "learning rate", "epoch", LEARNING_RATE),))
    for epoch, lr in enumerate([0.001, 0.001, 0.0005, 0.00025], start=1):
        plots.add_epoch(EpochRecord(epoch, {}, lr, 1.0))
    plots.redraw()
    ticks = plots.plots[LEARNING_RATE].getAxis("left")._tickLevels
    assert [label for _pos, label in ticks[0]] == ["0.00025", "0.0005", "0.001"] and ticks[1] == []
