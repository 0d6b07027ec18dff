"""Where a run is, in words, for the progress bar: epochs, steps, samples per second and time left."""

from builder.train.events import EpochRecord, Failed, Finished, Started
from builder.train.progress import RunProgress, duration
from builder.train.relay import StepBatch


def test_a_run_from_start_to_finish():
    progress = RunProgress()
    assert progress.text == "not trained yet"
    progress.preparing()
    assert progress.text == "preparing the data…"
    progress.started(Started("Net", "cpu", 0, 2, 10, 320, 80, (), "float32", None, (), ""))
    assert (progress.value, progress.maximum) == (0, 20) and progress.text == "epoch 1/2 · starting…"
    progress.advance(StepBatch([1, 2, 3, 4, 5], {"loss": [1.0] * 5}, 1, 5, 10, 160, 2.0, 0.1))
    assert progress.value == 5
    assert progress.text == "epoch 1/2 · step 5/10 · 80 samples/s · 0:06 left"  # 15 steps at 0.4 s each
    record = EpochRecord(2, {"train_loss": 0.5, "val_loss": 0.6, "val_accuracy": 0.875}, 0.1, 1.0)
    progress.finished(Finished("completed", "trained 2 epochs", 2, 2, (record,)))
    assert progress.value == 20 and progress.text == "completed after 2 epochs · validation accuracy 87.5%"


def test_resume_stop_and_failures():
    progress = RunProgress()
    progress.started(Started("G vs D", "cpu", 3, 5, 4, 100, 0, (), "float32", None, (), ""))
    assert progress.value == 12 and progress.text == "epoch 4/5 · starting…"
    progress.stopping()
    assert progress.text == "stopping after this batch…"
    gan = EpochRecord(4, {"d_loss": 1.0, "g_loss": 2.0, "d_real": 0.61, "d_fake": 0.42}, 0.1, 1.0)
    progress.finished(Finished("stopped", "", 4, None, (gan,)))
    assert progress.value == 12 and progress.text == "stopped after 4 epochs · D(x) 0.61, D(G(z)) 0.42"
    progress.failed(Failed("nan", "the loss became nan at epoch 1, step 3", "lower it"))
    assert progress.text == "failed: the loss became nan at epoch 1, step 3"
    progress.failed(["data.source: missing"])
    assert progress.text == "could not start"


def test_durations():
    assert [duration(s) for s in (-3, 0, 59, 61, 3600 + 62)] == ["0:00", "0:00", "0:59", "1:01", "1:01:02"]
