"""Large generated graphs for the benchmarks: a deep residual conv net of any node count, and a
ResNet-50-sized network built from modules."""

from __future__ import annotations

from builder.core.graph import Edge, ModelGraph, ModuleParam, Node
from builder.core.project import Project


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


def _chain(name: str, layers: list[tuple[str, str, dict]], params: list[ModuleParam] | None = None) -> ModelGraph:
    nodes = [Node(node_id, kind, dict(values)) for node_id, kind, values in layers]
    edges = [Edge(a.id, b.id) for a, b in zip(nodes, nodes[1:])]
    return ModelGraph(name, nodes, edges, params=params or [])


def _ref(name: str) -> dict[str, str]:
    return {"ref": name}


# ResNet-50's stages: (blocks, bottleneck width, output channels, stride of the first block)
RESNET50_STAGES = ((3, 64, 256, 1), (4, 128, 512, 2), (6, 256, 1024, 2), (3, 512, 2048, 2))


def resnet50(size: int = 224) -> Project:
    """ResNet-50 (torchvision's layout, 25,557,032 parameters at 1,000 classes) built from three kinds of
    module: 16 uses of a bottleneck block, Bottleneck (identity skip) or DownBottleneck (the first of a stage:
    a strided 1x1 ConvBN on the skip), each made of uses of ConvBN (a conv without bias, then BatchNorm)."""
    conv_bn = _chain("ConvBN", [
        ("x", "Input", {"shape": [64, 56, 56]}),
        ("conv", "Conv2d", {"out_channels": _ref("channels"), "kernel_size": _ref("kernel"),
                            "stride": _ref("stride"), "padding": _ref("padding"), "bias": False}),
        ("bn", "BatchNorm2d", {}), ("out", "Output", {})],
        [ModuleParam("channels", "int", 64, min=1), ModuleParam("kernel", "int", 1, min=1),
         ModuleParam("stride", "int", 1, min=1), ModuleParam("padding", "int", 0, min=0)])
    blocks = {}
    for name, stride in (("Bottleneck", 1), ("DownBottleneck", _ref("stride"))):
        block = _chain(name, [
            ("x", "Input", {"shape": [256, 56, 56]}),
            ("conv1", "ConvBN", {"channels": _ref("width")}), ("relu1", "ReLU", {}),
            ("conv2", "ConvBN", {"channels": _ref("width"), "kernel": 3, "stride": stride, "padding": 1}),
            ("relu2", "ReLU", {}),
            ("conv3", "ConvBN", {"channels": _ref("out_channels")}),
            ("add", "Add", {}), ("relu3", "ReLU", {}), ("out", "Output", {})],
            [ModuleParam("width", "int", 64, min=1), ModuleParam("out_channels", "int", 256, min=1)])
        block.edges.append(Edge("x", "add", 1))
        blocks[name] = block
    down = blocks["DownBottleneck"]
    down.params.append(ModuleParam("stride", "int", 1, min=1))
    down.nodes.insert(6, Node("downsample", "ConvBN", {"channels": _ref("out_channels"), "stride": _ref("stride")}))
    down.edges = [e for e in down.edges if e.src != "x" or e.dst != "add"]
    down.edges += [Edge("x", "downsample"), Edge("downsample", "add", 1)]
    layers: list[tuple[str, str, dict]] = [
        ("image", "Input", {"shape": [3, size, size]}),
        ("conv1", "Conv2d", {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False}),
        ("bn1", "BatchNorm2d", {}), ("relu", "ReLU", {}),
        ("maxpool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1})]
    for stage, (count, width, out, stride) in enumerate(RESNET50_STAGES, start=1):
        for block in range(count):
            if block == 0:
                layers.append((f"layer{stage}.0", "DownBottleneck", {"width": width, "out_channels": out,
                                                                     "stride": stride}))
            else:
                layers.append((f"layer{stage}.{block}", "Bottleneck", {"width": width, "out_channels": out}))
    layers += [("avgpool", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
               ("fc", "Linear", {"out_features": 1000}), ("scores", "Output", {})]
    return Project(models=[_chain("ResNet50", layers), blocks["Bottleneck"], down, conv_bn])
