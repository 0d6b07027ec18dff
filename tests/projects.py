"""Small training projects for the engine and CLI tests: real data, a few seconds on a CPU."""

from __future__ import annotations

from typing import Any

from graphs import chain

from builder.core.project import Project


def cnn(classes: int = 4, size: int = 16, channels: int = 1, dropout: bool = False):
    layers = [
        ("conv1", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        ("relu1", "ReLU"),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("relu2", "ReLU"),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("flat", "Flatten"),
        *([("drop", "Dropout", {"p": 0.2})] if dropout else []),
        ("fc", "Linear", {"out_features": classes}),
    ]
    return chain("Net", [channels, size, size], layers)


def autoencoder(size: int = 16):
    return chain("AE", [1, size, size], [
        ("enc", "Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}),
        ("act", "ReLU"),
        ("dec", "ConvTranspose2d", {"out_channels": 1, "kernel_size": 4, "stride": 2, "padding": 1}),
        ("sig", "Sigmoid"),
    ])


def shapes_project(model=None, data: dict[str, Any] | None = None, training: dict[str, Any] | None = None,
                   samples: int = 600, path=None) -> Project:
    data = {"source": {"kind": "synthetic", "name": "shapes", "samples": samples}, "batch_size": 32,
            "val_split": 0.25, **(data or {})}
    training = {"lr": 0.01, "epochs": 2, "device": "cpu", "seed": 0, **(training or {})}
    project = Project(models=[model or cnn()], data=data, training=training)
    project.path = path
    return project
