"""A run on several processes, seen from the process that launched them: the same events as one process
gives, one stop for all, and a rank's failure told in one line (two processes on the CPU, gloo)."""

import math
import threading

import torch
from nets import small_gan_project
from projects import cnn, shapes_project

from builder.train.checkpoint import load_checkpoint
from builder.train.distributed import ALL_GPUS, DistributedTrainer, processes_for, refusal
from builder.train.events import EpochEnd, Failed, Finished, Started, Step
from builder.train.showcase import Predictions
from builder.train.start import new_trainer, prepare_run


def launches_alive():
    return [t for t in threading.enumerate() if t.name == "distributed-launch" and t.is_alive()]


def test_the_processes_events_come_back_and_a_stop_ends_them_all(tmp_path):
    run = prepare_run(shapes_project(samples=120, data={"batch_size": 16}, training={"epochs": 200}))
    trainer = new_trainer(run, processes=2, checkpoint=tmp_path / "checkpoint.pt")
    assert isinstance(trainer, DistributedTrainer)
    events = []
    for event in trainer:
        events.append(event)
        if isinstance(event, EpochEnd):
            trainer.stop()
    started, last = events[0], events[-1]
    assert isinstance(started, Started) and "2 processes × batch 16" in started.describe()
    assert started.steps_per_epoch == math.ceil(math.ceil(90 / 2) / 16)  # 90 training samples, halved, per batch
    steps = [e for e in events if isinstance(e, Step)]
    assert [s.step for s in steps[:started.steps_per_epoch]] == list(range(1, started.steps_per_epoch + 1))
    assert all(isinstance(s.loss, torch.Tensor) and math.isfinite(s.loss_value) for s in steps)
    assert sum(s.samples for s in steps if s.epoch == 1) == 90  # a step counts what both processes learnt from

    assert isinstance(last, Finished) and last.reason == "stopped" and 1 <= last.epochs_done < 200, last
    assert [r.epoch for r in trainer.history] == list(range(1, last.epochs_done + 1))
    assert all(r["val_loss"] is not None and 0 <= r["val_accuracy"] <= 1 for r in trainer.history)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == last.epochs_done  # rank 0's, after each epoch
    model = run.model_class()
    model.load_state_dict(trainer.trained().state, strict=True)
    assert isinstance(trainer.showcase(last.epochs_done), Predictions)
    assert not launches_alive()


def _image_folder(root, count=16, size=16):
    from PIL import Image

    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(count):
            Image.new("L", (size, size), color=40 if label == "a" else 200).save(root / label / f"{i}.png")


def test_a_rank_that_fails_ends_the_run_with_its_message(tmp_path):
    _image_folder(tmp_path / "imgs")
    project = shapes_project(cnn(classes=2), data={"source": {"kind": "image_folder", "path": "imgs"},
                                                   "in_memory": False, "batch_size": 4}, training={"epochs": 3})
    project.path = tmp_path / "p.json"
    trainer = DistributedTrainer(prepare_run(project), 2)
    events = []
    for event in trainer:
        events.append(event)
        if isinstance(event, Started):  # every process has read its files by now: one breaks under one of them
            (tmp_path / "imgs" / "b" / "7.png").write_bytes(b"\x89PNG broken")
    failure = events[-1]
    assert isinstance(failure, Failed) and failure.kind == "data", failure
    assert failure.message.startswith(("process 0 of 2: ", "process 1 of 2: ")), failure.message
    assert "imgs/b/7.png" in failure.message and "\n" not in failure.message
    assert not launches_alive()


def test_a_rank_killed_mid_run_is_named_as_the_cause():
    """The kernel's out-of-memory killer, say: the killed rank tells nothing, the other fails for want of it."""
    import os
    import signal

    trainer = DistributedTrainer(prepare_run(shapes_project(samples=120, training={"epochs": 200})), 2)
    killed = False
    for event in trainer:
        if isinstance(event, Step) and 1 in trainer.pids and not killed:
            os.kill(trainer.pids[1], signal.SIGKILL)
            killed = True
    assert isinstance(event, Failed) and event.message == "process 1 of 2 was killed by SIGKILL", event
    assert not launches_alive()


def test_the_first_failure_is_the_one_told():
    """A rank that fails leaves the others failing too (their peer is gone): the earliest is the cause."""
    trainer = DistributedTrainer(prepare_run(shapes_project(samples=20)), 2)
    told = trainer._end(None, [(5.0, 0, Failed("error", "RuntimeError: Connection closed by peer", "")),
                               (4.0, 1, Failed("nan", "the loss became nan at epoch 1, step 3", "lower it"))], None)
    assert isinstance(told, Failed) and told.kind == "nan" and told.hint == "lower it"
    assert told.message == "process 1 of 2: the loss became nan at epoch 1, step 3"


def test_a_rank_killed_without_a_word_is_the_cause():
    """Killed by a signal (the kernel's out-of-memory killer, say), a rank tells nothing; the others then fail for
    want of it, and what they say is not the cause."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    trainer = DistributedTrainer(prepare_run(shapes_project(samples=20)), 2)
    error = ChildFailedError("work", {1: ProcessFailure(1, 4242, -9, "/nonexistent/error.json")})
    told = trainer._end(None, [(5.0, 0, Failed("error", "RuntimeError: Connection closed by peer", ""))], error)
    assert isinstance(told, Failed) and told.message == "process 1 of 2 was killed by SIGKILL"


def test_how_many_processes_and_what_cannot_have_several():
    assert processes_for("cpu") == processes_for("cuda:0") == processes_for(None) == 1
    assert processes_for(ALL_GPUS) == max(torch.cuda.device_count(), 1)
    assert refusal(prepare_run(shapes_project(samples=20)), 2) is None
    assert "GAN" in refusal(prepare_run(small_gan_project(samples=20, epochs=1, device="cpu")), 2)
