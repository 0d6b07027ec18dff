"""The Inside and Try It pages on a trained example, through their widgets: a node's channels for one sample
and for another, a channel clicked large; an image tried gives its class, and Grad-CAM draws over it."""

import pytest
from PySide6.QtCore import QPoint, Qt
from trained import shape_images

from builder.core.project import load_project
from builder.ui.inside_panel import PADDING


@pytest.fixture
def trained_window(make_window, trained_example):
    project, weights = trained_example
    window = make_window(load_project(project))
    assert window.training.exports.load_file(weights, "ShapesNet")
    return window


def settled(qtbot, jobs):
    qtbot.waitUntil(lambda: jobs.job is None, timeout=30_000)


def test_a_nodes_channels_for_two_samples_differ_and_a_click_enlarges_one(qtbot, trained_window):
    window = trained_window
    inside = window.training.inside
    window.show_page(inside.panel)
    window.scene.select_nodes(["relu1"])
    qtbot.waitUntil(lambda: inside.panel.grid.output is not None, timeout=30_000)
    first = inside.panel.grid.output.values.copy()
    assert first.shape == (8, 28, 28) and "validation sample 1 of 16 (trained weights)" in inside.panel.title.text()
    inside.panel.next.click()
    qtbot.waitUntil(lambda: "validation sample 2 of 16" in inside.panel.title.text(), timeout=30_000)
    assert not (inside.panel.grid.output.values == first).all()
    grid = inside.panel.grid
    tile = 28 * grid.scale + PADDING
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(PADDING + tile + 5, PADDING + 5))  # channel 1
    assert inside.panel.stats.text().startswith("channel 1: min ") and not inside.panel.big.pixmap().isNull()
    window.scene.select_nodes(["fc"])
    qtbot.waitUntil(lambda: inside.panel.title.text().startswith("fc (4)"), timeout=30_000)
    assert inside.panel.bars.isVisible() and "4 values" in inside.panel.stats.text()
    settled(qtbot, inside.jobs)


def test_an_image_tried_gets_its_class_and_grad_cam_draws_over_it(qtbot, trained_window, tmp_path):
    window = trained_window
    trying = window.training.trying
    window.show_page(trying.panel)
    images = shape_images(tmp_path, count=4)
    right = 0
    for path, name in images:
        trying.try_file(str(path))
        settled(qtbot, trying.jobs)
        right += trying.panel.bars[0][0].text() == name
    assert right >= 3
    assert trying.panel.bars[0][1].format().endswith("%") and not trying.panel.input.pixmap().isNull()
    trying.panel.cam.setChecked(True)
    settled(qtbot, trying.jobs)
    assert trying.panel.cam_layer.currentText() == "conv2"  # the last conv layer by default
    assert not trying.panel.output.pixmap().isNull()
    assert window.dialogs.errors == []


def test_grad_cam_checked_before_the_first_image_shows_with_it(qtbot, trained_window, tmp_path):
    trying = trained_window.training.trying
    trained_window.show_page(trying.panel)
    trying.panel.cam.setChecked(True)  # before any image: no conv layers listed yet
    settled(qtbot, trying.jobs)
    [(path, _name)] = shape_images(tmp_path, count=1)
    trying.try_file(str(path))
    settled(qtbot, trying.jobs)
    assert trying.panel.cam_layer.currentText() == "conv2" and not trying.panel.output.pixmap().isNull()


def test_during_a_run_the_training_thread_answers_with_the_weights_it_is_learning(qtbot, make_window):
    from builder.core.templates import EXAMPLE, load_template

    project = load_template(EXAMPLE)
    project.data["source"]["samples"] = 2000
    project.training.update({"epochs": 40, "device": "cpu"})
    window = make_window(project)
    ui, inside = window.training, window.training.inside
    steps = []
    ui.controller.steps.connect(steps.append)
    window.select_node("relu2")
    window.show_page(inside.panel)
    settled(qtbot, inside.jobs)  # the validation samples, read before the run
    ui.train_action.trigger()
    qtbot.waitUntil(lambda: len(steps) >= 1, timeout=60_000)
    window.show_page(inside.panel)  # Train showed the plots
    inside.panel.next.click()  # asked of the training thread: no job of the window's own
    assert inside.jobs.job is None
    qtbot.waitUntil(lambda: "as they are learning" in inside.panel.title.text(), timeout=30_000)
    assert inside.panel.title.text().startswith("relu2 (16×14×14) for validation sample 2 of 16")
    assert inside.panel.grid.output is not None and inside.panel.grid.output.values.shape == (16, 14, 14)
    with qtbot.waitSignal(ui.controller.finished, timeout=30_000):
        ui.stop_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    assert window.dialogs.errors == []
