"""Reference networks as graphs, shared by the golden-file, equivalence and CLI tests."""

from __future__ import annotations

from graphs import chain, model


def lenet():
    return chain("LeNet", [1, 28, 28], [
        ("conv1", "Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}),
        ("relu1", "ReLU"),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 5}),
        ("relu2", "ReLU"),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("flatten", "Flatten"),
        ("fc1", "Linear", {"out_features": 120}),
        ("relu3", "ReLU"),
        ("fc2", "Linear", {"out_features": 84}),
        ("relu4", "ReLU"),
        ("fc3", "Linear", {"out_features": 10}),
    ])


def residual_block():
    return model("ResidualBlock", [
        ("x", "Input", {"shape": [16, 8, 8]}),
        ("conv1", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False}),
        ("bn1", "BatchNorm2d"),
        ("relu1", "ReLU"),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False}),
        ("bn2", "BatchNorm2d"),
        ("add", "Add"),
        ("relu2", "ReLU"),
        ("out", "Output"),
    ], [("x", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"), ("relu1", "conv2"), ("conv2", "bn2"),
        ("bn2", "add", 0), ("x", "add", 1), ("add", "relu2"), ("relu2", "out")])


def unet():
    return model("TinyUNet", [
        ("x", "Input", {"shape": [3, 32, 32]}),
        ("enc1", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("act1", "ReLU"),
        ("down", "MaxPool2d", {"kernel_size": 2}),
        ("enc2", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("act2", "ReLU"),
        ("up", "Interpolate", {"scale_factor": 2, "mode": "bilinear", "align_corners": False}),
        ("skip", "Concat", {"dim": 1}),
        ("dec", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("act3", "ReLU"),
        ("head", "Conv2d", {"out_channels": 1, "kernel_size": 1}),
        ("out", "Output"),
    ], [("x", "enc1"), ("enc1", "act1"), ("act1", "down"), ("down", "enc2"), ("enc2", "act2"), ("act2", "up"),
        ("up", "skip", 0), ("act1", "skip", 1), ("skip", "dec"), ("dec", "act3"), ("act3", "head"), ("head", "out")])


def dcgan_generator():
    return chain("Generator", [64, 1, 1], [
        ("up1", "ConvTranspose2d", {"out_channels": 128, "kernel_size": 4, "stride": 1, "padding": 0, "bias": False}),
        ("bn1", "BatchNorm2d"),
        ("relu1", "ReLU"),
        ("up2", "ConvTranspose2d", {"out_channels": 64, "kernel_size": 4, "stride": 2, "padding": 1, "bias": False}),
        ("bn2", "BatchNorm2d"),
        ("relu2", "ReLU"),
        ("up3", "ConvTranspose2d", {"out_channels": 1, "kernel_size": 4, "stride": 2, "padding": 1, "bias": False}),
        ("tanh", "Tanh"),
    ])


def separable_stack():
    return chain("SeparableStack", [8, 16, 16], [
        ("dw1", "DepthwiseConv2d", {"kernel_size": 3, "padding": 1}),
        ("pw1", "Conv2d", {"out_channels": 16, "kernel_size": 1}),
        ("act1", "ReLU"),
        ("dw2", "DepthwiseConv2d", {"kernel_size": 3, "stride": 2, "padding": 1, "depth_multiplier": 2}),
        ("group", "GroupConv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1, "groups": 4}),
        ("act2", "ReLU"),
        ("gap", "AdaptiveAvgPool2d", {"output_size": 1}),
        ("flat", "Flatten"),
        ("fc", "Linear", {"out_features": 5}),
    ])


ALL = {
    "lenet": lenet,
    "residual_block": residual_block,
    "unet": unet,
    "dcgan_generator": dcgan_generator,
    "separable_stack": separable_stack,
}


def small_gan_project(samples: int = 600, epochs: int = 4, **training):
    """A small DCGAN (16×16 images) on the built-in shapes, quick enough for tests on a CPU."""
    from builder.core.project import Project

    generator = chain("G", [16, 1, 1], [
        ("up1", "ConvTranspose2d", {"out_channels": 32, "kernel_size": 4, "bias": False}),
        ("bn1", "BatchNorm2d"), ("relu1", "ReLU"),
        ("up2", "ConvTranspose2d", {"out_channels": 16, "kernel_size": 4, "stride": 2, "padding": 1, "bias": False}),
        ("bn2", "BatchNorm2d"), ("relu2", "ReLU"),
        ("up3", "ConvTranspose2d", {"out_channels": 1, "kernel_size": 4, "stride": 2, "padding": 1}),
        ("tanh", "Tanh"),
    ])
    discriminator = chain("D", [1, 16, 16], [
        ("c1", "Conv2d", {"out_channels": 16, "kernel_size": 4, "stride": 2, "padding": 1}),
        ("a1", "LeakyReLU", {"negative_slope": 0.2}),
        ("c2", "Conv2d", {"out_channels": 32, "kernel_size": 4, "stride": 2, "padding": 1, "bias": False}),
        ("bn2", "BatchNorm2d"), ("a2", "LeakyReLU", {"negative_slope": 0.2}),
        ("c3", "Conv2d", {"out_channels": 1, "kernel_size": 4}),
        ("flat", "Flatten"),
    ])
    return Project(models=[generator, discriminator],
                   data={"source": {"kind": "synthetic", "name": "shapes", "samples": samples, "noise": 0.05},
                         "batch_size": 32},
                   training={"mode": "gan", "generator": "G", "discriminator": "D", "lr": 0.0005,
                             "betas": [0.5, 0.999], "epochs": epochs, "device": "cpu", "seed": 0, **training})
