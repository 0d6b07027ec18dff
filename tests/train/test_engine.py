"""The engine: it learns, stops within a batch, resumes exactly, and ends every fault with a message."""

import pytest
import torch
from graphs import chain
from projects import autoencoder, cnn, shapes_project

from builder.train.engine import Trainer
from builder.train.events import EpochEnd, Failed, Finished, Started, Step
from builder.train.losses import LOSSES
from builder.train.optimizers import OPTIMIZERS
from builder.train.setup import prepare


def events_of(project, **trainer_options):
    trainer = Trainer(prepare(project), **trainer_options)
    return trainer, list(trainer)


def test_learns_the_shapes_set_to_high_validation_accuracy():
    project = shapes_project(samples=1600, training={"lr": 0.005, "epochs": 6, "optimizer": "Adam"})
    trainer, events = events_of(project)
    assert isinstance(events[0], Started) and events[0].classes == ("circle", "square", "triangle", "cross")
    epochs = [e.record for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 6
    assert epochs[-1]["val_accuracy"] >= 0.9, [r["val_accuracy"] for r in epochs]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    confusion = epochs[-1].confusion
    assert sum(map(sum, confusion)) == 400 and len(confusion) == 4


def test_event_order_and_step_counts():
    trainer, events = events_of(shapes_project(samples=200, training={"epochs": 2}))
    kinds = [type(e).__name__ for e in events]
    steps = events[0].steps_per_epoch
    assert steps == 5  # 150 training samples in batches of 32
    assert kinds == ["Started", *(["Step"] * steps + ["EpochEnd"]) * 2, "Finished"]
    first = events[1]
    assert (first.epoch, first.step, first.steps) == (1, 1, steps) and first.loss.requires_grad is False


def test_stop_ends_within_one_batch():
    trainer = Trainer(prepare(shapes_project(samples=400, training={"epochs": 3})))
    seen = []
    for event in trainer:
        seen.append(event)
        if isinstance(event, Step) and event.step == 3:
            trainer.stop()
    assert isinstance(seen[-1], Finished) and seen[-1].reason == "stopped"
    assert [e.step for e in seen if isinstance(e, Step)] == [1, 2, 3]


def test_stop_from_another_thread():
    import threading

    trainer = Trainer(prepare(shapes_project(samples=2000, training={"epochs": 50})))
    events = iter(trainer)
    next(events)
    next(events)
    threading.Thread(target=trainer.stop).start()
    rest = list(events)
    assert isinstance(rest[-1], Finished) and rest[-1].reason == "stopped"
    assert sum(isinstance(e, Step) for e in rest) <= 2


def test_resume_continues_exactly(tmp_path):
    project = shapes_project(cnn(dropout=True), samples=300, training={"epochs": 4, "schedule": {"kind": "StepLR", "step_size": 1, "gamma": 0.5}})
    straight, straight_events = events_of(project, checkpoint=tmp_path / "a.pt")

    first = Trainer(prepare(project, epochs=2), checkpoint=tmp_path / "b.pt")
    assert isinstance(list(first)[-1], Finished)
    second = Trainer(prepare(project, epochs=4), checkpoint=tmp_path / "b.pt", resume=True)
    resumed_events = list(second)
    assert resumed_events[0].start_epoch == 2
    assert [e.record.epoch for e in resumed_events if isinstance(e, EpochEnd)] == [3, 4]

    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key
    losses = [(r["train_loss"], r["val_loss"], r.lr) for r in straight.history]
    assert losses == [(r["train_loss"], r["val_loss"], r.lr) for r in second.history]


def test_resume_refuses_a_checkpoint_of_another_model(tmp_path):
    list(Trainer(prepare(shapes_project(samples=100, training={"epochs": 1})), checkpoint=tmp_path / "c.pt"))
    other = shapes_project(cnn(dropout=True), samples=100, training={"epochs": 2})
    events = list(Trainer(prepare(other), checkpoint=tmp_path / "c.pt", resume=True))
    assert isinstance(events[-1], Failed) and "made for a different model" in events[-1].message


def test_nan_loss_names_the_step_and_keeps_the_last_good_weights():
    project = shapes_project(samples=200, training={"optimizer": "SGD", "lr": 1e12, "epochs": 3})
    trainer, events = events_of(project)
    failure = events[-1]
    assert isinstance(failure, Failed) and failure.kind == "nan"
    assert failure.message.startswith("the loss became nan at epoch 1, step") or "inf" in failure.message
    assert "learning rate (1e+12) may be too high" in failure.hint
    assert not any(isinstance(e, Finished) for e in events)


def test_out_of_memory_ends_the_run_with_advice(monkeypatch):
    run = prepare(shapes_project(samples=100))
    trainer = Trainer(run)
    original = run.model_class.forward

    def forward(self, x):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(run.model_class, "forward", forward)
    events = list(trainer)
    monkeypatch.setattr(run.model_class, "forward", original)
    failure = events[-1]
    assert failure.kind == "out_of_memory" and "batch_size 32" in failure.message and "batch_size 16" in failure.hint


def test_an_unexpected_error_is_an_event_with_details(monkeypatch):
    run = prepare(shapes_project(samples=100))

    def broken(self, x):
        raise ValueError("something odd")

    monkeypatch.setattr(run.model_class, "forward", broken)
    failure = list(Trainer(run))[-1]
    assert failure.kind == "error" and "ValueError: something odd" in failure.message
    assert "Traceback" in failure.details and "Traceback" not in failure.message


def test_early_stopping_keeps_the_best_epochs_weights(monkeypatch):
    import builder.train.engine as engine
    from builder.train.metrics import Evaluation

    losses = iter([3.0, 1.0, 2.0, 4.0, 5.0, 6.0])  # best at epoch 2, then two epochs worse

    def scripted(model, batches, objective, device, stop=None, memory_format=None):
        return Evaluation(next(losses), 10, 0.5)

    monkeypatch.setattr(engine, "evaluate", scripted)
    project = shapes_project(samples=100, training={"epochs": 6, "early_stopping": 2})
    trainer = Trainer(prepare(project))
    states = {}
    for event in trainer:
        if isinstance(event, EpochEnd):
            states[event.record.epoch] = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    finished = event
    assert finished.reason == "early_stopping" and finished.epochs_done == 4 and finished.best_epoch == 2
    assert "keeping the weights of epoch 2" in finished.message
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(value, states[2][key]), key
    assert not torch.equal(states[2]["fc.weight"], states[4]["fc.weight"])


def _image_folder(root, count=24, size=16):
    from PIL import Image

    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(count):
            Image.new("L", (size, size), color=40 if label == "a" else 200).save(root / label / f"{i}.png")


@pytest.mark.parametrize("workers", [0, 2])
def test_a_bad_file_in_the_middle_of_an_epoch_is_named(tmp_path, workers):
    _image_folder(tmp_path / "imgs")
    project = shapes_project(cnn(classes=2), data={"source": {"kind": "image_folder", "path": "imgs"},
                                                   "in_memory": False, "num_workers": workers, "batch_size": 8})
    project.path = tmp_path / "p.json"
    run = prepare(project)  # every file is checked here: all readable
    (tmp_path / "imgs" / "b" / "7.png").write_bytes(b"\x89PNG broken")  # then one breaks, during the run
    events = list(Trainer(run))
    failure = events[-1]
    assert isinstance(failure, Failed) and failure.kind == "data", failure
    assert "imgs/b/7.png" in failure.message and "Traceback" not in failure.message


def test_lazily_read_images_train_through_dataloader_workers(tmp_path):
    _image_folder(tmp_path / "imgs")
    project = shapes_project(cnn(classes=2), data={"source": {"kind": "image_folder", "path": "imgs"},
                                                   "in_memory": False, "num_workers": 2, "batch_size": 8})
    project.path = tmp_path / "p.json"
    events = list(Trainer(prepare(project)))
    assert isinstance(events[-1], Finished), events[-1]
    assert [e.record["val_accuracy"] for e in events if isinstance(e, EpochEnd)][-1] == 1.0


@pytest.mark.parametrize("schedule", [{"kind": "StepLR", "step_size": 1, "gamma": 0.5},
                                      {"kind": "CosineAnnealingLR"}, {"kind": "ReduceLROnPlateau", "patience": 0}])
def test_learning_rate_schedules_step_per_epoch(schedule):
    trainer, events = events_of(shapes_project(samples=100, training={"epochs": 3, "lr": 0.01, "schedule": schedule}))
    lrs = [e.record.lr for e in events if isinstance(e, EpochEnd)]
    assert lrs[0] == 0.01
    if schedule["kind"] == "StepLR":
        assert lrs == [0.01, 0.005, 0.0025]
    elif schedule["kind"] == "CosineAnnealingLR":
        assert lrs[0] > lrs[1] > lrs[2] > 0
    else:
        assert all(b <= a for a, b in zip(lrs, lrs[1:]))


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_trains(optimizer):
    lr = 1.0 if optimizer == "Adadelta" else 0.01
    trainer, events = events_of(shapes_project(samples=200, training={"optimizer": optimizer, "lr": lr, "epochs": 2}))
    assert isinstance(events[-1], Finished), events[-1]
    assert type(trainer.model).__name__ == "Net"


LOSS_CASES = {
    "CrossEntropyLoss": (cnn(), {}),
    "BCELoss": (autoencoder(), {"task": "reconstruction"}),
    "BCEWithLogitsLoss": (cnn(classes=4), {}),
    "MSELoss": (autoencoder(), {"task": "reconstruction"}),
    "L1Loss": (autoencoder(), {"task": "regression"}),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_trains_on_a_task_it_fits(loss):
    model, data = LOSS_CASES[loss]
    trainer, events = events_of(shapes_project(model, data=data, samples=200, training={"loss": loss, "epochs": 2}))
    assert isinstance(events[-1], Finished), events[-1]
    records = [e.record for e in events if isinstance(e, EpochEnd)]
    assert records[-1]["train_loss"] < records[0]["train_loss"] or records[-1]["val_loss"] < records[0]["val_loss"]


def epoch_losses(project, **trainer_options):
    trainer, events = events_of(project, **trainer_options)
    assert isinstance(events[-1], Finished), events[-1]
    return trainer, [e.record["train_loss"] for e in events if isinstance(e, EpochEnd)]


def test_channels_last_trains_an_image_model_in_nhwc_as_it_would_in_nchw():
    fast, fast_losses = epoch_losses(shapes_project(model=cnn(channels=3), samples=256))
    plain, plain_losses = epoch_losses(shapes_project(model=cnn(channels=3), samples=256,
                                                      training={"channels_last": False}))
    assert fast.model.conv2.weight.is_contiguous(memory_format=torch.channels_last)
    assert not plain.model.conv2.weight.is_contiguous(memory_format=torch.channels_last)
    assert fast_losses == pytest.approx(plain_losses, rel=1e-3)  # other kernels, the same arithmetic
    kept = fast.trained().state["conv2.weight"]
    assert kept.is_contiguous()  # weights leave in the usual order: safetensors takes no other


def test_threads_setting_holds_during_the_run_and_is_put_back():
    before = torch.get_num_threads()
    trainer = Trainer(prepare(shapes_project(samples=100, training={"epochs": 1, "threads": 1})))
    during = {torch.get_num_threads() for event in trainer if isinstance(event, Step)}
    assert during == {1} and torch.get_num_threads() == before


def test_compile_trains_the_same_model_with_the_same_weight_names():
    mlp = chain("Mlp", [1, 8, 8], [("flat", "Flatten"), ("fc1", "Linear", {"out_features": 8}), ("act", "ReLU"),
                                   ("fc2", "Linear", {"out_features": 4})])
    project = shapes_project(model=mlp, samples=96, training={"epochs": 1, "compile": True})
    compiled_run, compiled_losses = epoch_losses(project)
    project.training = {**project.training, "compile": False}
    _plain, plain_losses = epoch_losses(project)
    assert compiled_losses == pytest.approx(plain_losses, rel=1e-4)
    assert set(compiled_run.trained().state) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}


def test_a_compile_that_fails_ends_the_run_with_a_hint_to_train_without_it(monkeypatch):
    import torch._dynamo
    import torch._inductor.config as inductor

    torch._dynamo.reset()
    monkeypatch.setattr(inductor, "fx_graph_cache", False)  # so that nothing compiled before is taken from a cache
    monkeypatch.setattr(inductor.cpp, "cxx", ("/nonexistent/c++",))  # as on a machine without a C++ compiler
    mlp = chain("Mlp", [1, 8, 8], [("flat", "Flatten"), ("fc", "Linear", {"out_features": 4})])
    _trainer, events = events_of(shapes_project(model=mlp, samples=64, training={"epochs": 1, "compile": True}))
    torch._dynamo.reset()
    failed = events[-1]
    assert isinstance(failed, Failed) and "C++ compiler" in failed.message and "\n" not in failed.message, failed
    assert "training.compile: false" in failed.hint
