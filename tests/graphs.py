"""Small builders for graphs in tests: write a network as a list of layers, as one would by hand."""

from __future__ import annotations

from typing import Any

from builder.core.graph import Edge, ModelGraph, Node
from builder.core.project import Project

Layer = tuple[str, str, dict[str, Any]] | tuple[str, str]


def model(name: str, layers: list[Layer], edges: list[tuple] | None = None) -> ModelGraph:
    """Nodes from (id, type[, params]); edges from (src, dst[, port]). Without edges: a chain."""
    nodes = [Node(layer[0], layer[1], dict(layer[2]) if len(layer) > 2 else {}) for layer in layers]
    if edges is None:
        edges = [(a.id, b.id) for a, b in zip(nodes, nodes[1:])]
    return ModelGraph(name, nodes, [Edge(*e) for e in edges])


def chain(name: str, input_shape: list[int], layers: list[Layer]) -> ModelGraph:
    """Input -> layers... -> Output."""
    return model(name, [("x", "Input", {"shape": input_shape}), *layers, ("out", "Output")])


def project(*models: ModelGraph) -> Project:
    return Project(models=list(models))
