"""Auto-layout: the graph left to right, one column per topological generation (networkx)."""

from __future__ import annotations

import networkx as nx

from builder.core.graph import ModelGraph

COLUMN = 210.0  # px between columns
ROW = 150.0  # px between nodes of a column
WRAP_AFTER = 10  # graphs longer than this many columns wrap into bands...
WRAP_WIDTH = 7  # ...of this many columns, so a long chain reads like lines of text, not one long line


def layered_positions(model: ModelGraph, wrap: int | None = None) -> dict[str, tuple[float, float]]:
    """Each node's column is its longest distance from an Input; within a column, nodes sit near
    the mean height of what feeds them (fewer crossings), and columns are centred on y = 0.
    Nodes on a cycle get a column after everything else.

    With `wrap`, columns go into bands of that many, one band below the other (branches stay
    within their band; a wire to the next band loops back to its start). By default, graphs of
    more than WRAP_AFTER columns wrap at WRAP_WIDTH."""
    graph = model.to_networkx()
    cyclic = {n for c in nx.strongly_connected_components(graph) if len(c) > 1 for n in c}
    cyclic |= {n for n in graph if graph.has_edge(n, n)}
    dag = graph.copy()
    dag.remove_nodes_from(cyclic)
    index = nx.get_node_attributes(graph, "index")
    columns: list[list[str]] = [sorted(gen, key=index.__getitem__) for gen in nx.topological_generations(dag)]
    depth = {n: i for i, column in enumerate(columns) for n in column}
    for node in nx.topological_sort(dag):  # longest path: a node sits right of all its inputs
        for succ in dag.successors(node):
            depth[succ] = max(depth[succ], depth[node] + 1)
    count = max(depth.values(), default=-1) + 1
    columns = [[] for _ in range(count)]
    for node in sorted(depth, key=index.__getitem__):
        columns[depth[node]].append(node)
    if cyclic:
        columns.append(sorted(cyclic, key=index.__getitem__))

    y: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {}
    for col, nodes in enumerate(columns):
        def barycenter(n: str) -> float:
            feeds = [y[p] for p in graph.predecessors(n) if p in y]
            return sum(feeds) / len(feeds) if feeds else 0.0

        ordered = sorted(nodes, key=lambda n: (barycenter(n), index[n]))
        top = -ROW * (len(ordered) - 1) / 2
        for row, node in enumerate(ordered):
            y[node] = top + row * ROW
            positions[node] = (col * COLUMN, y[node])
    if wrap is None and len(columns) > WRAP_AFTER:
        wrap = WRAP_WIDTH
    return _wrapped(positions, columns, wrap) if wrap and len(columns) > wrap else positions


def _wrapped(positions: dict[str, tuple[float, float]], columns: list[list[str]],
             wrap: int) -> dict[str, tuple[float, float]]:
    result: dict[str, tuple[float, float]] = {}
    offset = 0.0
    for start in range(0, len(columns), wrap):
        band = [n for column in columns[start:start + wrap] for n in column]
        top = min(positions[n][1] for n in band)
        bottom = max(positions[n][1] for n in band)
        for node in band:
            x, y = positions[node]
            result[node] = (x - start * COLUMN, offset + y - top)
        offset += bottom - top + ROW * 1.3
    return result
