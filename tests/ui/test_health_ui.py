"""The Layer Health page, through a real run in the window: a network whose ReLUs start dead is told so in
Problems and on its node; a healthy one fills the table with no warning; a past run's health comes back."""

import torch

from builder.core.project import save_project
from builder.core.templates import EXAMPLE, load_template
from builder.train.checkpoint import save_weights
from builder.train.setup import prepare


def run_to_the_end(qtbot, window) -> None:
    ui = window.training
    with qtbot.waitSignal(ui.controller.finished, timeout=90_000):
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)


def example(tmp_path, **training):
    project = load_template(EXAMPLE)
    project.data["source"]["samples"] = 2000
    project.data["batch_size"] = 32  # 50 steps an epoch: a health sample every 20 steps, 5 in all
    project.training.update({"epochs": 2, "device": "cpu", **training})
    project.path = tmp_path / "example.json"
    return project


def test_a_network_with_dead_relus_is_told_so_on_its_node(qtbot, make_window, tmp_path):
    project = example(tmp_path, optimizer="SGD", init_weights="dead.safetensors")
    state = prepare(example(tmp_path)).new_model().state_dict()
    state["conv1.bias"] = torch.full_like(state["conv1.bias"], -100.0)  # no conv1 output is ever positive
    save_weights(state, tmp_path / "dead.safetensors")
    save_project(project, project.path)
    window = make_window(project)
    run_to_the_end(qtbot, window)
    health = window.training.health
    rows = [health.table.item(r, 0).text() for r in range(health.table.rowCount())]
    assert rows == ["conv1", "relu1", "conv2", "relu2", "fc"]
    assert health.table.item(1, 3).text() == "100%"
    listed = [str(p) for p in window.problems.problems()]
    assert any(line.startswith("ShapesNet/relu1: dead ReLUs: 100% of its outputs are zero") for line in listed), listed
    relu = window.scene.nodes["relu1"]
    assert any(p.warning and "dead ReLUs" in p.message for p in relu.problems)
    assert "dead ReLUs" in relu.toolTip()
    run = window.document.project.runs[-1]
    assert 3 <= len(run["health"]) <= 40


def test_a_healthy_run_warns_of_nothing_and_a_past_run_shows_again(qtbot, make_window, tmp_path):
    window = make_window(example(tmp_path))
    run_to_the_end(qtbot, window)
    health = window.training.health
    assert health.table.rowCount() == 5 and health.warnings.text() == ""
    assert not any("dead ReLUs" in str(p) for p in window.problems.problems())
    trend = health.table.item(0, 6)  # conv1's gradient norm over the run's 5 samples
    assert not trend.icon().isNull() and trend.toolTip().startswith("conv1: gradient norm over the last 5 samples")
    assert health.table.item(1, 6).toolTip().startswith("relu1: share of zeros")
    health.clear()
    window.training.runs.list.setCurrentRow(0)
    window.training.runs.health.click()
    assert health.table.rowCount() == 5 and "from the run of" in health.title.text()
    assert health.table.item(0, 6).toolTip().startswith("conv1: gradient norm over the last 5 samples")
