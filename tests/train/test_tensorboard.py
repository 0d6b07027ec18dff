"""TensorBoard logs: what a run writes reads back from its event files as the run's own numbers, per layer,
with images and the graph; the log changes nothing in the run, survives a stop or a fault, and a missing
package is a problem named before training."""

import io
import re
import sys

import pytest
from nets import small_gan_project
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from builder.core.templates import EXAMPLE, load_template
from builder.train import tensorboard
from builder.train.checks import check_project
from builder.train.events import EpochEnd, Failed, Finished, Step
from builder.train.start import new_trainer, prepare_run

EVERYTHING = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}  # 0: keep every record


def example(logs=None, epochs=2, **training):
    project = load_template(EXAMPLE)
    project.data["source"]["samples"] = 200  # 160 training samples: 3 steps of 64 per epoch
    project.training.update(epochs=epochs, device="cpu", keep_best=False, **training)
    if logs is not None:
        project.training["tensorboard"] = str(logs)
    return project


def train(project):
    trainer = new_trainer(prepare_run(project))
    return trainer, list(trainer)


def read_log(folder):
    log = EventAccumulator(str(folder), size_guidance=EVERYTHING)
    log.Reload()
    return log


def scalars(log, tag):
    return [(e.step, e.value) for e in log.Scalars(tag)]


def test_a_run_logs_its_losses_metrics_and_learning_rate_as_the_run_reported_them(tmp_path):
    trainer, events = train(example(tmp_path / "logs"))
    runs = list((tmp_path / "logs").iterdir())
    assert len(runs) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d_ShapesNet", runs[0].name)
    assert tensorboard.log_of(trainer).folder == runs[0]
    log = read_log(runs[0])
    steps = [e.loss_value for e in events if isinstance(e, Step)]
    assert len(steps) == 6
    assert [s for s, _v in scalars(log, "step/loss")] == [1, 2, 3, 4, 5, 6]
    assert [v for _s, v in scalars(log, "step/loss")] == pytest.approx(steps, rel=1e-6)
    for name in ("train_loss", "val_loss", "val_accuracy", "lr"):
        assert scalars(log, f"epoch/{name}") == [(r.epoch, pytest.approx(r[name], rel=1e-6)) for r in trainer.history]


def test_each_layer_has_weight_and_gradient_histograms_named_by_its_node(tmp_path):
    project = example(tmp_path / "logs")
    first = prepare_run(project).new_model()
    trainer, _events = train(project)
    log = read_log(tensorboard.log_of(trainer).folder)
    weighted = {"conv1": first.conv1, "conv2": first.conv2, "fc": first.fc}
    for node, layer in weighted.items():
        for name in ("weight", "bias"):
            assert [e.step for e in log.Histograms(f"{node}/{name}")] == [0, 1, 2]
            assert [e.step for e in log.Histograms(f"{node}/{name}.grad")] == [1, 2]
            start = log.Histograms(f"{node}/{name}")[0].histogram_value
            initial = getattr(layer, name).detach()
            assert start.num == initial.numel()
            assert (start.min, start.max) == pytest.approx((float(initial.min()), float(initial.max())))
            end = log.Histograms(f"{node}/{name}")[-1].histogram_value  # the last epoch's weights: the model's now
            trained = getattr(trainer.model, node).get_parameter(name).detach()
            assert (end.min, end.max) == pytest.approx((float(trained.min()), float(trained.max())))
    assert not any(tag.startswith(("relu", "pool", "flatten")) for tag in log.Tags()["histograms"])


def test_input_samples_as_one_image_grid_and_the_traced_graph(tmp_path):
    trainer, _events = train(example(tmp_path / "logs", epochs=1))
    log = read_log(tensorboard.log_of(trainer).folder)
    (grid,) = log.Images("inputs")
    picture = Image.open(io.BytesIO(grid.encoded_image_string))
    height, width = trainer.run.data.dataset[0][0].shape[-2:]
    assert picture.size == (8 * width, 2 * height)  # 16 samples, eight to a row
    graph = [node.name for node in log.Graph().node]
    for layer in ("Conv2d[conv1]", "Conv2d[conv2]", "Linear[fc]"):
        assert any(layer in name for name in graph), layer
    assert tensorboard.log_of(trainer).notes == []


def test_logging_leaves_the_run_exactly_as_it_would_be_without(tmp_path):
    _trainer, logged = train(example(tmp_path / "logs"))
    _trainer, plain = train(example())
    losses = [[e.loss_value for e in events if isinstance(e, Step)] for events in (logged, plain)]
    assert losses[0] == losses[1]
    assert logged[-1].history[-1].values == plain[-1].history[-1].values


def test_a_model_that_cannot_be_traced_is_logged_without_its_graph_and_with_a_note(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    def refuse(*_args, **_kwargs):
        raise RuntimeError("Tracer cannot infer type of output\nmore detail")

    monkeypatch.setattr(SummaryWriter, "add_graph", refuse)
    trainer, events = train(example(tmp_path / "logs", epochs=1))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    log = tensorboard.log_of(trainer)
    assert len(log.notes) == 1 and "the graph was left out" in log.notes[0]
    assert "Tracer cannot infer type of output" in log.notes[0] and "\n" not in log.notes[0]
    written = read_log(log.folder)
    assert not written.Tags()["graph"] and len(written.Scalars("step/loss")) == 3


def test_a_stopped_run_leaves_every_step_it_made_in_a_closed_log(tmp_path):
    trainer = new_trainer(prepare_run(example(tmp_path / "logs", epochs=3)))
    for event in trainer:
        if isinstance(event, Step) and event.epoch == 2 and event.step == 1:
            trainer.stop()
    assert isinstance(event, Finished) and event.reason == "stopped"
    log = tensorboard.log_of(trainer)
    assert log._writer is None  # closed
    written = read_log(log.folder)
    assert [s for s, _v in scalars(written, "step/loss")] == [1, 2, 3, 4]
    assert [s for s, _v in scalars(written, "epoch/train_loss")] == [1]


def test_a_failed_run_still_leaves_the_steps_before_the_fault(tmp_path, monkeypatch):
    run = prepare_run(example(tmp_path / "logs"))
    loss, calls = type(run.objective).__call__, []

    def failing(objective, output, target):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the disk with the data went away")
        return loss(objective, output, target)

    monkeypatch.setattr(type(run.objective), "__call__", failing)
    trainer = new_trainer(run)
    events = list(trainer)
    assert isinstance(events[-1], Failed)
    written = read_log(tensorboard.log_of(trainer).folder)
    assert [s for s, _v in scalars(written, "step/loss")] == [1, 2]


def test_a_gan_logs_both_models_by_name_and_its_generated_images(tmp_path):
    project = small_gan_project(samples=64, epochs=2, tensorboard=str(tmp_path / "logs"))
    trainer, _events = train(project)
    log = tensorboard.log_of(trainer)
    assert log.folder.name.endswith("_G_vs_D")
    written = read_log(log.folder)
    assert [s for s, _v in scalars(written, "step/d_loss")] == [1, 2, 3, 4]
    assert scalars(written, "epoch/d_real") == [(r.epoch, pytest.approx(r["d_real"], rel=1e-6))
                                                 for r in trainer.history]
    histograms = written.Tags()["histograms"]
    assert {"G/up1/weight", "G/bn1/weight", "D/c1/weight", "D/c1/weight.grad"} <= set(histograms)
    assert [e.step for e in written.Images("generated")] == [1, 2]
    assert [e.step for e in written.Images("inputs")] == [0]
    graph = [node.name for node in written.Graph().node]
    for layer in ("G[G]/ConvTranspose2d[up1]", "D[D]/Conv2d[c1]"):  # each model's class, then its nodes
        assert any(layer in name for name in graph), layer


def test_two_runs_started_in_the_same_second_get_folders_of_their_own(tmp_path):
    first = tensorboard.run_folder(tmp_path, "Net", 0.0)
    second = tensorboard.run_folder(tmp_path, "Net", 0.0)
    assert first != second and first.is_dir() and second.is_dir() and second.name == first.name + "-2"


def test_a_missing_package_is_a_problem_before_training(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if it were not installed
    errors = [str(p) for p in check_project(example(tmp_path / "logs")).errors]
    assert errors == ['training.tensorboard: TensorBoard logs need the tensorboard package: '
                      'pip install "nn-builder[tensorboard]"']


def test_a_file_where_the_log_folder_should_be_is_a_problem(tmp_path):
    (tmp_path / "logs").write_text("not a folder")
    errors = [str(p) for p in check_project(example(tmp_path / "logs")).errors]
    assert errors == [f"training.tensorboard: {tmp_path / 'logs'} exists and is not a folder"]


def test_without_the_setting_no_log_is_kept():
    trainer = new_trainer(prepare_run(example()))
    assert trainer.observers == [] and tensorboard.log_of(trainer) is None


def test_gradients_a_skipped_float16_step_left_infinite_are_binned_without_them(tmp_path):
    class Overflow:  # what GradScaler leaves in .grad after a step it skipped
        def see(self, trainer, event):
            if isinstance(event, EpochEnd):
                trainer.model.fc.weight.grad[0, 0] = float("inf")

        def close(self):
            pass

    trainer = new_trainer(prepare_run(example(tmp_path / "logs", epochs=1)))
    trainer.observers.insert(0, Overflow())
    events = list(trainer)
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    (last,) = read_log(tensorboard.log_of(trainer).folder).Histograms("fc/weight.grad")
    assert last.histogram_value.num == trainer.model.fc.weight.numel() - 1


def test_a_resumed_run_logs_into_a_new_folder_where_the_first_left_off(tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    list(new_trainer(prepare_run(example(tmp_path / "logs", epochs=1)), checkpoint=checkpoint))
    trainer = new_trainer(prepare_run(example(tmp_path / "logs", epochs=2)), checkpoint=checkpoint, resume=True)
    list(trainer)
    assert len(list((tmp_path / "logs").iterdir())) == 2
    written = read_log(tensorboard.log_of(trainer).folder)
    assert [s for s, _v in scalars(written, "step/loss")] == [4, 5, 6]  # steps 1-3 are the first run's
    assert scalars(written, "epoch/val_loss") == [(2, pytest.approx(trainer.history[-1]["val_loss"], rel=1e-6))]
