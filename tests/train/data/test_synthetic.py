"""Synthetic shapes and blobs: real, seeded, fast data for trying a model."""

from __future__ import annotations

import time

import pytest
import torch

from builder.train.data.base import DataError, SourceRequest
from builder.train.data.sources import load_source
from builder.train.data.synthetic import SHAPE_NAMES


def load(tmp_path, input_shape=(1, 28, 28), task="classification", output_shape=(4,), train_seed=0, **spec):
    """Synthetic data for the given spec keys; train_seed is the request's (the training) seed."""
    spec = {"kind": "synthetic", **spec}
    return load_source(SourceRequest(spec, tuple(input_shape), tuple(output_shape), task, tmp_path, seed=train_seed))


def error_of(tmp_path, **kw) -> str:
    with pytest.raises(DataError) as caught:
        load(tmp_path, **kw)
    return str(caught.value)


def test_shapes_are_images_in_0_1_with_four_named_classes(tmp_path):
    data = load(tmp_path)
    x, y = data.tensors
    assert x.shape == (2000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (2000,) and y.dtype == torch.int64
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert data.classes == SHAPE_NAMES == ["circle", "square", "triangle", "cross"]
    assert set(y.tolist()) == {0, 1, 2, 3}
    assert min(torch.bincount(y).tolist()) > 400  # roughly balanced
    assert data.description == "synthetic shapes: 2,000 images 1×28×28, 4 classes"
    assert len(data.dataset) == 2000 and torch.equal(data.dataset[5][0], x[5])


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(tmp_path):
    a = load(tmp_path, samples=300, train_seed=3).tensors
    b = load(tmp_path, samples=300, train_seed=3).tensors
    c = load(tmp_path, samples=300, train_seed=4).tensors
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_the_spec_seed_overrides_the_training_seed(tmp_path):
    a = load(tmp_path, samples=50, train_seed=1, seed=9).tensors[0]
    b = load(tmp_path, samples=50, train_seed=9).tensors[0]
    assert torch.equal(a, b)


def test_ten_thousand_images_take_well_under_a_second(tmp_path):
    load(tmp_path, samples=10)  # warm up torch's kernels once
    start = time.perf_counter()
    data = load(tmp_path, samples=10_000)
    assert time.perf_counter() - start < 1.0
    assert data.tensors[0].shape == (10_000, 1, 28, 28)


def test_shapes_vary_in_place_and_size(tmp_path):
    _, masks, _ = _masks(tmp_path, samples=400)
    area = masks.sum(dim=(1, 2, 3))
    assert area.max() > 3 * area.min()
    centre_x = (masks.sum(dim=(1, 2)) * torch.arange(28)).sum(dim=1) / masks.sum(dim=(1, 2, 3))
    assert centre_x.max() - centre_x.min() > 8


def test_colour_images_have_a_colour_per_sample(tmp_path):
    x = load(tmp_path, input_shape=(3, 16, 16), samples=50, noise=0.0).tensors[0]
    assert x.shape == (50, 3, 16, 16)
    brightest = x.flatten(2).amax(dim=2)  # each sample's shape colour
    assert (brightest[:, 0] - brightest[:, 1]).abs().max() > 0.2
    assert len({tuple(c) for c in brightest.round(decimals=2).tolist()}) > 40


def test_small_images_down_to_8x8_work(tmp_path):
    x, y = load(tmp_path, input_shape=(1, 8, 8), samples=20).tensors
    assert x.shape == (20, 1, 8, 8) and len(y) == 20


def _masks(tmp_path, **spec):
    noisy = load(tmp_path, task="regression", output_shape=(1, 28, 28), **spec)
    return noisy.tensors[0], noisy.tensors[1], noisy


def test_regression_targets_are_the_clean_masks(tmp_path):
    x, masks, data = _masks(tmp_path, samples=100, noise=0.3)
    assert masks.shape == (100, 1, 28, 28) and masks.dtype == torch.float32
    assert masks.min() >= 0.0 and masks.max() == 1.0
    assert data.classes is None
    quiet = load(tmp_path, task="regression", output_shape=(1, 28, 28), samples=100, noise=0.0).tensors
    assert torch.equal(quiet[1], masks)  # the noise never reaches the targets
    assert not torch.equal(quiet[0], x)


def test_regression_needs_an_output_the_size_of_the_mask(tmp_path):
    message = error_of(tmp_path, task="regression", output_shape=(4,))
    assert message == (
        "synthetic shapes regression targets are the shape masks, 1×28×28, but the model's Output gives 4"
    )


def test_reconstruction_has_no_labels_and_the_target_is_the_input(tmp_path):
    data = load(tmp_path, task="reconstruction", samples=10)
    assert data.tensors[1] is None and data.classes is None
    x, target = data.dataset[3]
    assert target is x


def test_shapes_need_an_image_input_of_at_least_8x8(tmp_path):
    assert "at least 8×8" in error_of(tmp_path, input_shape=(1, 7, 28))
    assert "the model's Input takes 784" in error_of(tmp_path, input_shape=(784,))


def test_blobs_are_clustered_points(tmp_path):
    data = load(tmp_path, input_shape=(5,), name="blobs", samples=600, classes=4)
    x, y = data.tensors
    assert x.shape == (600, 5) and x.dtype == torch.float32
    assert set(y.tolist()) == {0, 1, 2, 3} and y.dtype == torch.int64
    assert data.classes == ["cluster 0", "cluster 1", "cluster 2", "cluster 3"]
    assert data.description == "synthetic blobs: 600 points in 5 dims, 4 clusters"
    means = torch.stack([x[y == k].mean(0) for k in range(4)])
    spread = torch.stack([x[y == k].std(0).mean() for k in range(4)])
    assert torch.cdist(means, means).fill_diagonal_(100).min() > spread.max()  # real clusters


def test_blob_regression_targets_are_a_fixed_linear_map(tmp_path):
    kw = {"input_shape": (3,), "name": "blobs", "task": "regression", "output_shape": (2,), "noise": 0.0}
    x, y = load(tmp_path, samples=200, **kw).tensors
    assert y.shape == (200, 2) and y.dtype == torch.float32
    weights = torch.linalg.lstsq(x, y).solution
    assert torch.allclose(x @ weights, y, atol=1e-4)
    x2, y2 = load(tmp_path, samples=50, **kw).tensors
    assert torch.allclose(x2 @ weights, y2, atol=1e-4)  # the same map whatever the sample count


def test_blobs_are_deterministic(tmp_path):
    a = load(tmp_path, input_shape=(2,), name="blobs", train_seed=5).tensors
    b = load(tmp_path, input_shape=(2,), name="blobs", train_seed=5).tensors
    c = load(tmp_path, input_shape=(2,), name="blobs", train_seed=6).tensors
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_blobs_need_a_vector_input_and_a_vector_output(tmp_path):
    assert "blobs needs a vector Input" in error_of(tmp_path, name="blobs")
    message = error_of(tmp_path, input_shape=(4,), name="blobs", task="regression", output_shape=(2, 2))
    assert "the model's Output gives 2×2" in message


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"name": "circles"}, "synthetic 'name' must be one of shapes, blobs; got 'circles'"),
        ({"samples": 0}, "synthetic 'samples' must be at least 1, got 0"),
        ({"samples": 2.5}, "synthetic 'samples' must be a whole number, got 2.5"),
        ({"noise": -1}, "synthetic 'noise' must be at least 0, got -1"),
        ({"classes": 3}, "synthetic 'classes' is for name 'blobs' only"),
        ({"seed": "x"}, "synthetic 'seed' must be a whole number, got 'x'"),
    ],
)
def test_bad_settings_are_named(tmp_path, spec, expected):
    assert expected in error_of(tmp_path, **spec)


def test_blobs_need_two_classes(tmp_path):
    assert "'classes' must be at least 2" in error_of(tmp_path, input_shape=(2,), name="blobs", classes=1)
