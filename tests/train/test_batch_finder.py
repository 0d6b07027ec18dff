import pytest

from builder.core.templates import EXAMPLE, load_template
from builder.train import batch_finder
from builder.train.batch_finder import SetupError, find_largest_batch
from builder.train.memory import MARGIN


def test_the_largest_batch_is_the_last_whose_step_stays_within_the_memory_free(monkeypatch):
    free = 60_000_000
    monkeypatch.setattr(batch_finder, "available_bytes", lambda device: free)
    asked = []
    fit = find_largest_batch(load_template(EXAMPLE), progress=asked.append)
    assert fit.device == "cpu" and fit.available == free and fit.limit > 1000
    assert fit.batch is not None and 2 <= fit.batch < fit.limit
    assert asked[:4] == [2, 4, 8, 16] and asked == [b for b, _used, _ok in fit.tried]
    fitted = [(b, used) for b, used, ok in fit.tried if ok]
    assert max(b for b, _used in fitted) == fit.batch
    assert all(used <= free * MARGIN for _b, used in fitted)
    assert all(b > fit.batch for b, _used, ok in fit.tried if not ok)  # each refused size was larger
    assert f"is {fit.batch:,}" in fit.summary()


def test_a_project_that_cannot_train_is_refused_as_train_refuses_it():
    project = load_template(EXAMPLE)
    project.training["optimizer"] = "Adamm"
    with pytest.raises(SetupError, match="optimizer"):
        find_largest_batch(project)
    with pytest.raises(SetupError, match="GAN"):
        find_largest_batch(load_template("dcgan"))
