"""Large generated graphs for the benchmarks: a deep residual conv net of any node count."""

from __future__ import annotations

from builder.core.graph import Edge, ModelGraph, Node


def residual_net(node_count: int, channels: int = 8, size: int = 8) -> ModelGraph:
    """Input, then residual blocks (conv-bn-relu-conv-bn-add-relu) until `node_count`, then a head."""
    nodes = [Node("x", "Input", {"shape": [channels, size, size]})]
    edges: list[Edge] = []
    previous = "x"
    block = 0
    head = [("gap", "AdaptiveAvgPool2d", {}), ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10}),
            ("out", "Output", {})]
    while len(nodes) + 7 + len(head) <= node_count:
        b = f"b{block}"
        conv = {"out_channels": channels, "kernel_size": 3, "padding": 1, "bias": False}
        for name, kind, params in [(f"{b}_conv1", "Conv2d", conv), (f"{b}_bn1", "BatchNorm2d", {}),
                                   (f"{b}_relu1", "ReLU", {}), (f"{b}_conv2", "Conv2d", conv),
                                   (f"{b}_bn2", "BatchNorm2d", {})]:
            nodes.append(Node(name, kind, dict(params)))
            edges.append(Edge(previous, name))
            previous = name
        nodes.append(Node(f"{b}_add", "Add"))
        edges += [Edge(previous, f"{b}_add", 0), Edge(edges[-5].src, f"{b}_add", 1)]
        nodes.append(Node(f"{b}_relu2", "ReLU"))
        edges.append(Edge(f"{b}_add", f"{b}_relu2"))
        previous = f"{b}_relu2"
        block += 1
    while len(nodes) + len(head) < node_count:  # pad with activations to hit the count exactly
        name = f"pad{len(nodes)}"
        nodes.append(Node(name, "ReLU"))
        edges.append(Edge(previous, name))
        previous = name
    for name, kind, params in head:
        nodes.append(Node(name, kind, dict(params)))
        edges.append(Edge(previous, name))
        previous = name
    return ModelGraph("Big", nodes, edges)
