"""Layer health while training: figures every N steps from hooks that exist only on those steps, and warnings
pinned to the node with their fix (a network whose ReLUs start dead is told so)."""

import math

import torch
from projects import shapes_project

from builder.train.checkpoint import save_weights
from builder.train.events import Health
from builder.train.health import HealthSample, NodeHealth, csv_rows
from builder.train.setup import prepare
from builder.train.start import new_trainer


def _health_events(project, every=5):
    trainer = new_trainer(prepare(project), health_every=every)
    events = [e for e in trainer if isinstance(e, Health)]
    return trainer, events


def test_a_healthy_run_reports_every_layer_and_warns_of_nothing():
    trainer, events = _health_events(shapes_project(samples=400, training={"epochs": 2}))
    steps = 2 * math.ceil(300 / 32)
    assert [e.sample.step for e in events] == list(range(5, steps + 1, 5))
    sample = events[-1].sample
    assert list(sample.nodes) == ["conv1", "relu1", "conv2", "relu2", "fc"]  # graph order
    relu, conv = sample.nodes["relu1"], sample.nodes["conv1"]
    assert 0 < relu.zeros < 1 and relu.grad_norm is None and conv.zeros is None
    assert conv.grad_norm > 0 and 1e-6 < conv.update_ratio < 1e-1 and conv.std > 0
    assert all(e.problems == () for e in events)
    assert all(not m._forward_hooks for m in trainer.model.modules())  # no hook left between samples


def test_a_network_whose_relus_start_dead_is_told_so_with_the_fix(tmp_path):
    project = shapes_project(samples=400, training={"epochs": 2, "optimizer": "SGD"})
    model = prepare(project).new_model()
    state = model.state_dict()
    state["conv1.bias"] = torch.full_like(state["conv1.bias"], -100.0)  # every conv1 output far below zero
    save_weights(state, tmp_path / "dead.safetensors")
    project.path = tmp_path / "dead.json"
    project.training["init_weights"] = "dead.safetensors"
    _trainer, events = _health_events(project)
    assert events[-1].sample.nodes["relu1"].zeros == 1.0
    [dead] = [p for p in events[-1].problems if p.node == "relu1"]
    assert dead.warning and dead.message.startswith("dead ReLUs: 100% of its outputs are zero in each of the last 3 checks")
    assert "LeakyReLU" in dead.message
    assert not any(p.node == "relu1" for p in events[1].problems)  # not before three samples say so


def test_samples_go_to_the_run_record_and_csv_and_back():
    sample = HealthSample(2, 40, {"conv1": NodeHealth(0.1, 0.2, None, 1.5, 0.003), "relu1": NodeHealth(0.3, 0.4, 0.5)})
    assert HealthSample.from_dict(sample.to_dict()) == sample
    assert csv_rows(sample)[1] == [2, 40, "relu1", 0.3, 0.4, 0.5, None, None]
