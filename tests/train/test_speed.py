"""The speed settings: channels_last only where a model takes images, threads put back, compile opt-in."""

import pytest
import torch
import torch.nn as nn
from projects import cnn, shapes_project

from builder.train.setup import prepare
from builder.train.speed import as_format, compiled, image_model, run_format, takes_images, threads


def test_channels_last_is_for_models_that_take_images_into_2d_convolutions():
    conv = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten())
    assert takes_images(conv, (3, 8, 8))
    assert takes_images(nn.Sequential(nn.ConvTranspose2d(3, 4, 2)), (3, 8, 8))
    assert not takes_images(nn.Sequential(nn.Flatten(), nn.Linear(192, 2)), (3, 8, 8))  # an MLP over pixels
    assert not takes_images(nn.Sequential(nn.Conv1d(3, 4, 3)), (3, 16))  # sequences
    assert not takes_images(nn.Sequential(nn.Conv3d(1, 4, 3)), (1, 8, 8, 8))  # volumes


def test_a_runs_format_follows_its_setting_and_its_model():
    run = prepare(shapes_project(model=cnn(channels=3), samples=64))
    model = run.model_class()
    assert image_model(run) and run_format(run, model) is torch.channels_last
    off = prepare(shapes_project(model=cnn(channels=3), samples=64, training={"channels_last": False}))
    assert run_format(off, off.model_class()) is torch.contiguous_format


def test_batches_change_order_only_when_they_are_images_and_channels_last_is_asked_for():
    batch = torch.randn(2, 3, 4, 4)
    moved = as_format(batch, torch.channels_last)
    assert moved.is_contiguous(memory_format=torch.channels_last) and torch.equal(moved, batch)
    assert as_format(batch, torch.contiguous_format) is batch
    labels = torch.tensor([1, 2])
    assert as_format(labels, torch.channels_last) is labels


def test_threads_are_put_back_after_the_run_even_when_it_fails():
    before = torch.get_num_threads()
    with threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), threads(1):
        raise RuntimeError("a failing run")
    assert torch.get_num_threads() == before
    with threads(None):
        assert torch.get_num_threads() == before


def test_compile_is_opt_in_and_keeps_the_models_own_weights():
    model = nn.Linear(3, 2)
    assert compiled(model, False) is model
    wrapped = compiled(model, True)
    assert wrapped is not model and wrapped._orig_mod is model  # the weights stay the model's: same names saved
