"""Structural checks of a model graph with networkx: dangling wires, doubled ports, cycles, order.

These need no knowledge of block types; port counts and shapes are checked in `builder.blocks`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from builder.core.graph import ModelGraph
from builder.core.i18n import tr
from builder.core.problems import Problem


@dataclass
class Structure:
    """What the wiring of a model says, whatever the blocks are."""

    order: list[str]  # nodes not on a cycle, in a deterministic topological order
    inputs: dict[str, dict[int, str]]  # node -> {port: source node}
    source_ports: dict[str, dict[int, int]]  # node -> {port: the source's output port}
    consumers: dict[str, list[str]]  # node -> nodes reading its output, one entry per wire
    predecessors: dict[str, list[str]]  # node -> the nodes wired into it, once each, wires to bad ports too
    problems: list[Problem] = field(default_factory=list)


def analyze_structure(model: ModelGraph) -> Structure:
    problems: list[Problem] = []
    known = set()
    for node in model.nodes:
        if node.id in known:
            problems.append(Problem(node.id, tr("two nodes share the id '{id}'", id=node.id)))
        known.add(node.id)

    inputs: dict[str, dict[int, str]] = defaultdict(dict)
    source_ports: dict[str, dict[int, int]] = defaultdict(dict)
    consumers: dict[str, list[str]] = defaultdict(list)
    for edge in model.edges:
        missing = [n for n in (edge.src, edge.dst) if n not in known]
        if missing:
            pinned = edge.dst if edge.dst in known else edge.src if edge.src in known else None
            problems.append(
                Problem(pinned, tr("a wire {source} → {target} refers to a missing node '{missing}'", source=edge.src,
                                   target=edge.dst, missing=missing[0]))
            )
            continue
        if edge.port < 0:
            problems.append(Problem(edge.dst, tr("input port {port} does not exist", port=edge.port)))
            continue
        taken = inputs[edge.dst].get(edge.port)
        if taken is not None:
            problems.append(
                Problem(edge.dst, tr("input port {port} has two wires, from '{first}' and '{second}'", port=edge.port,
                                     first=taken, second=edge.src))
            )
            continue
        inputs[edge.dst][edge.port] = edge.src
        source_ports[edge.dst][edge.port] = edge.src_port
        consumers[edge.src].append(edge.dst)

    index = {node.id: position for position, node in enumerate(model.nodes)}  # a doubled id: its last place
    links = {(e.src, e.dst) for e in model.edges if e.src in index and e.dst in index}
    predecessors: dict[str, list[str]] = defaultdict(list)
    for src, dst in links:
        predecessors[dst].append(src)
    order = _graph_order(index, links)
    if order is None:  # a cycle: networkx finds and names it
        order = _order_around_cycles(model, problems)
    return Structure(order, dict(inputs), source_ports, dict(consumers), dict(predecessors), problems)


def _graph_order(index: dict[str, int], links: set[tuple[str, str]]) -> list[str] | None:
    """The nodes in topological order, the smallest document position first among those ready (as networkx's
    lexicographical sort, without building its graph: a third of the check of a big model); None on a cycle."""
    waiting = dict.fromkeys(index, 0)
    children: dict[str, list[str]] = defaultdict(list)
    for src, dst in links:
        children[src].append(dst)
        waiting[dst] += 1
    ready = [(position, node) for node, position in index.items() if not waiting[node]]
    heapq.heapify(ready)
    order = []
    while ready:
        _position, node = heapq.heappop(ready)
        order.append(node)
        for child in children[node]:
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(ready, (index[child], child))
    return order if len(order) == len(index) else None


def _order_around_cycles(model: ModelGraph, problems: list[Problem]) -> list[str]:
    """Each cycle named in a problem, and the order of the nodes off every cycle."""
    graph = model.to_networkx()
    on_cycle: set[str] = set()
    for component in _cycles(graph):
        on_cycle.update(component)
        cycle = _one_cycle(graph, component)
        path = " → ".join([*cycle, cycle[0]])
        problems.append(
            Problem(cycle[0], tr("is on a cycle: {path}; a network must flow one way", path=path), tuple(cycle[1:]))
        )
    index = nx.get_node_attributes(graph, "index")
    acyclic = graph.copy()  # a real copy, not a subgraph view: views make the sort several times slower
    acyclic.remove_nodes_from(on_cycle)
    return list(nx.lexicographical_topological_sort(acyclic, key=index.__getitem__))


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    """Strongly connected parts that hold a cycle, in document order."""
    index = nx.get_node_attributes(graph, "index")
    found = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            found.append(sorted(component, key=index.__getitem__))
    return sorted(found, key=lambda c: index[c[0]])


def _one_cycle(graph: nx.DiGraph, component: list[str]) -> list[str]:
    """One simple cycle through the component's first node, as a list of node ids."""
    start = component[0]
    edges = nx.find_cycle(graph.subgraph(component), source=start)
    return [src for src, _dst in edges]


def creates_cycle(model: ModelGraph, src: str, dst: str) -> bool:
    """Would a wire src -> dst close a loop? (It would if dst already reaches src.)"""
    if src == dst:
        return True
    graph = model.to_networkx()
    return dst in graph and src in graph and nx.has_path(graph, dst, src)
