"""Warnings before training, each naming its node and the fix."""

from graphs import chain

from builder.blocks.check import check_model
from builder.train.lints import training_lints


def lints(layers, loss, task="classification", shape=(1, 8, 8)):
    return [(p.node, p.message) for p in training_lints(check_model(chain("Net", list(shape), layers)), loss, task)]


HEAD = [("f", "Flatten"), ("fc", "Linear", {"out_features": 3})]


def test_softmax_before_cross_entropy():
    (node, message), = lints([*HEAD, ("sm", "Softmax")], "CrossEntropyLoss")
    assert node == "sm" and "applies softmax itself" in message and "Remove 'sm'" in message


def test_sigmoid_and_bce_variants():
    assert lints([*HEAD, ("s", "Sigmoid")], "BCEWithLogitsLoss")[0][0] == "s"
    (node, message), = lints(HEAD, "BCELoss")
    assert node == "fc" and "add a Sigmoid" in message
    assert lints([*HEAD, ("s", "Sigmoid")], "BCELoss") == []


def test_regression_losses_on_class_labels():
    (node, message), = lints(HEAD, "MSELoss")
    assert node is None and "Use CrossEntropyLoss" in message
    assert lints(HEAD, "MSELoss", task="regression") == []


def test_conv_bias_before_batchnorm():
    layers = [("c", "Conv2d", {"out_channels": 4, "kernel_size": 3}), ("bn", "BatchNorm2d"), *HEAD]
    (node, message), = lints(layers, "CrossEntropyLoss")
    assert node == "c" and "set bias to false" in message
    layers[0] = ("c", "Conv2d", {"out_channels": 4, "kernel_size": 3, "bias": False})
    assert lints(layers, "CrossEntropyLoss") == []
