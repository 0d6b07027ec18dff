"""The graph document: a model is a list of nodes (blocks) and wires between them.

A wire goes from a numbered output port of a node (0 for every block; a use of a module with several
Outputs has one port each) to a numbered input port of another node. A node whose type names another
model of the project is a use of that model (a module inside a module). Block types and their
parameters are only names and values here: what they mean is the business of `builder.blocks`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import networkx as nx


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    ui: dict[str, Any] | None = None

    def copy(self) -> Node:
        return Node(self.id, self.type, copy.deepcopy(self.params), copy.deepcopy(self.ui))


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    port: int = 0  # the input port of dst
    src_port: int = 0  # the output port of src


def edge_to_dict(edge: Edge) -> dict[str, Any]:
    """As files and the clipboard write it; `src_port` only where it is not 0 (version-1 files have none)."""
    out: dict[str, Any] = {"src": edge.src, "dst": edge.dst, "port": edge.port}
    if edge.src_port:
        out["src_port"] = edge.src_port
    return out


# A node parameter given as {"ref": "planes"} takes the value of the module parameter `planes`.
REF = "ref"


def ref_name(value: Any) -> str | None:
    """The module parameter a node parameter refers to, or None for a plain value."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(REF), str):
        return value[REF]
    return None


@dataclass(frozen=True)
class ModuleParam:
    """A parameter a model declares for its uses (`BasicBlock(planes=128, stride=2)`): an `__init__` argument
    in the code, set per use in the inspector, and referred to by its blocks' params."""

    name: str
    kind: str  # a block parameter kind: int, float, bool, int_or_pair...
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default}
        for key in ("help", "min", "max"):
            if getattr(self, key) not in (None, ""):
                out[key] = getattr(self, key)
        return out


@dataclass
class ModelGraph:
    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    ui: dict[str, Any] | None = None  # view state (viewport, say); the core ignores it
    params: list[ModuleParam] = field(default_factory=list)  # what its uses may set

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def node_ids(self) -> list[str]:
        return [node.id for node in self.nodes]

    def copy(self) -> ModelGraph:
        return ModelGraph(self.name, [n.copy() for n in self.nodes], list(self.edges), copy.deepcopy(self.ui),
                          list(self.params))

    def to_networkx(self) -> nx.DiGraph:
        """Nodes carry their position in the document, which breaks ties in the graph order."""
        graph = nx.DiGraph()
        for index, node in enumerate(self.nodes):
            graph.add_node(node.id, index=index)
        known = set(graph)
        graph.add_edges_from(
            (e.src, e.dst) for e in self.edges if e.src in known and e.dst in known
        )
        return graph
