"""Looking inside a trained example: each layer's output for a sample, and Grad-CAM over the shape."""

import numpy as np
import pytest
import torch

from builder.blocks.check import check_model
from builder.core.project import load_project
from builder.train.data.synthetic import make_shapes
from builder.train.inside import CamError, channel_grid, conv_nodes, grad_cam, hooked_layers, node_outputs
from builder.train.predict import load_trained


@pytest.fixture(scope="module")
def tried(trained_example):
    project, weights = trained_example
    return load_project(project), load_trained(load_project(project), weights)


def test_every_layer_answers_and_two_samples_give_different_maps(tried):
    _project, model = tried
    images, _masks, _labels = make_shapes(2, 1, 28, 28, 0.0, 3)
    first, second = (node_outputs(model.module, model.code, model.model_name, x) for x in images)
    assert list(first) == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc"]
    assert first["conv2"].values.shape == (16, 14, 14) and first["fc"].values.shape == (4,)
    assert not np.allclose(first["relu1"].values, second["relu1"].values)
    assert (first["relu1"].values >= 0).all() and first["relu1"].is_image and not first["fc"].is_image
    assert len(first["conv1"].channel_stats()) == 8
    assert channel_grid(first["conv1"]).shape == (3 * 30 + 2, 3 * 30 + 2, 3)  # 8 channels in a 3×3 grid
    assert not model.module.training  # the mode is restored (eval, as loaded)


def test_grad_cam_is_highest_over_the_shape(tried):
    project, model = tried
    report = check_model(project.model(model.model_name), project)
    layers = hooked_layers(model.module, model.code, model.model_name)
    assert conv_nodes(report, layers) == ["conv1", "conv2"]
    images, masks, labels = make_shapes(12, 1, 28, 28, 0.0, 21)
    inside_hotter = 0
    for image, mask, label in zip(images, masks, labels):
        heat, explained, probabilities = grad_cam(model.module, layers["conv2"], image, int(label))
        assert heat.shape == (28, 28) and explained == int(label) and abs(probabilities.sum() - 1) < 1e-5
        on = mask[0].numpy() > 0.5
        inside_hotter += heat[on].mean() > heat[~on].mean()
    assert inside_hotter >= 10  # of 12


def test_grad_cam_refuses_what_it_cannot_explain(tried):
    _project, model = tried
    layers = hooked_layers(model.module, model.code, model.model_name)
    image = make_shapes(1, 1, 28, 28, 0.0, 1)[0][0]
    with pytest.raises(CamError, match="feature maps"):
        grad_cam(model.module, layers["fc"], image)
    with pytest.raises(CamError, match="class 9 does not exist"):
        grad_cam(model.module, layers["conv2"], image, 9)
    assert torch.is_tensor(image)
