"""Hierarchical projects for tests, each beside the hand-written PyTorch it stands for."""

from __future__ import annotations

from graphs import model

from builder.core.graph import Edge, ModelGraph, ModuleParam, Node  # noqa: F401 - tests build with them
from builder.core.project import Project


def ref(name: str) -> dict[str, str]:
    return {"ref": name}


def basic_block() -> ModelGraph:
    """ResNet's BasicBlock with an identity skip: conv-bn-relu-conv-bn + x, relu."""
    graph = model("BasicBlock", [
        ("x", "Input", {"shape": [16, 8, 8]}),
        ("conv1", "Conv2d", {"out_channels": ref("planes"), "kernel_size": 3, "padding": 1, "bias": False}),
        ("bn1", "BatchNorm2d"), ("relu1", "ReLU"),
        ("conv2", "Conv2d", {"out_channels": ref("planes"), "kernel_size": 3, "padding": 1, "bias": False}),
        ("bn2", "BatchNorm2d"), ("add", "Add"), ("relu2", "ReLU"), ("out", "Output"),
    ], [("x", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"), ("relu1", "conv2"), ("conv2", "bn2"),
        ("bn2", "add"), ("x", "add", 1), ("add", "relu2"), ("relu2", "out")])
    graph.params = [ModuleParam("planes", "int", 16, min=1)]
    return graph


def down_block() -> ModelGraph:
    """BasicBlock with a strided projection on the skip (conv 1x1 + bn)."""
    graph = model("DownBlock", [
        ("x", "Input", {"shape": [16, 8, 8]}),
        ("conv1", "Conv2d", {"out_channels": ref("planes"), "kernel_size": 3, "stride": ref("stride"),
                             "padding": 1, "bias": False}),
        ("bn1", "BatchNorm2d"), ("relu1", "ReLU"),
        ("conv2", "Conv2d", {"out_channels": ref("planes"), "kernel_size": 3, "padding": 1, "bias": False}),
        ("bn2", "BatchNorm2d"),
        ("proj", "Conv2d", {"out_channels": ref("planes"), "kernel_size": 1, "stride": ref("stride"), "bias": False}),
        ("proj_bn", "BatchNorm2d"),
        ("add", "Add"), ("relu2", "ReLU"), ("out", "Output"),
    ], [("x", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"), ("relu1", "conv2"), ("conv2", "bn2"),
        ("x", "proj"), ("proj", "proj_bn"), ("bn2", "add"), ("proj_bn", "add", 1), ("add", "relu2"),
        ("relu2", "out")])
    graph.params = [ModuleParam("planes", "int", 32, min=1), ModuleParam("stride", "int", 2, min=1)]
    return graph


def small_resnet() -> Project:
    top = model("ResNet", [
        ("x", "Input", {"shape": [3, 16, 16]}),
        ("stem", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("relu", "ReLU"),
        ("layer1.0", "BasicBlock", {"planes": 16}),
        ("layer1.1", "BasicBlock", {"planes": 16}),
        ("layer2.0", "DownBlock", {"planes": 32, "stride": 2}),
        ("layer2.1", "BasicBlock", {"planes": 32}),
        ("pool", "AdaptiveAvgPool2d", {"output_size": 1}),
        ("flat", "Flatten"),
        ("fc", "Linear", {"out_features": 10}),
        ("out", "Output"),
    ])
    return Project(models=[top, basic_block(), down_block()])


def two_port_project() -> Project:
    """A module with two Inputs and two Outputs (U-Net's Up: features and skip in; merged and side out)."""
    up = ModelGraph("Up", [
        Node("low", "Input", {"shape": [8, 4, 4]}), Node("skip", "Input", {"shape": [4, 8, 8]}),
        Node("upsample", "Interpolate", {"scale_factor": 2}), Node("cat", "Concat"),
        Node("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        Node("merged", "Output"), Node("side", "Output")],
        [Edge("low", "upsample"), Edge("upsample", "cat"), Edge("skip", "cat", 1), Edge("cat", "conv"),
         Edge("conv", "merged"), Edge("upsample", "side")])
    top = ModelGraph("Net", [
        Node("x", "Input", {"shape": [4, 8, 8]}),
        Node("down", "Conv2d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}),
        Node("up", "Up"), Node("add", "Add"),
        Node("head", "Conv2d", {"out_channels": 1, "kernel_size": 1}), Node("out", "Output")],
        [Edge("x", "down"), Edge("down", "up"), Edge("x", "up", 1), Edge("up", "add"),
         Edge("up", "add", 1, src_port=1), Edge("add", "head"), Edge("head", "out")])
    # up's port 1 (side: 8 channels) + port 0 (merged: 4 channels) do not add: fixed with a 1x1 conv
    top.nodes.insert(3, Node("side_conv", "Conv2d", {"out_channels": 4, "kernel_size": 1}))
    top.edges = [e for e in top.edges if not (e.dst == "add" and e.port == 1)]
    top.edges += [Edge("up", "side_conv", 0, src_port=1), Edge("side_conv", "add", 1)]
    return Project(models=[top, up])
