"""The graph document: a model is a list of nodes (blocks) and wires between them.

Each node has exactly one output; a wire goes from a node's output to a numbered input port of
another node. Block types and their parameters are only names and values here: what they mean is
the business of `builder.blocks`.
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
    port: int = 0


@dataclass
class ModelGraph:
    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    ui: dict[str, Any] | None = None  # view state (viewport, say); the core ignores it

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def node_ids(self) -> list[str]:
        return [node.id for node in self.nodes]

    def copy(self) -> ModelGraph:
        return ModelGraph(self.name, [n.copy() for n in self.nodes], list(self.edges), copy.deepcopy(self.ui))

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
