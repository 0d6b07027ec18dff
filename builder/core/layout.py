"""Auto-layout: the graph left to right, one column per topological generation (networkx).

A long graph wraps into bands no wider than the canvas shows at a readable zoom, one below the other
like lines of text. An encoder-decoder (a U-Net: long skips nested around a bottleneck) is drawn as a U
instead: the encoder down the left arm, the decoder back up the right, each skip a short wire across.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import networkx as nx

from builder.core.graph import ModelGraph

COLUMN = 210.0  # px between columns
ROW = 150.0  # px between nodes of a column
BAND_GAP = ROW * 1.3  # px from the lowest node of a band down to the highest of the next

# How many columns a band may have: the widest band `GraphView.frame` can show whole at a zoom where a
# block's text (8.5-9 pt, about 12 px) is still 8 px or more on screen.
READABLE_ZOOM = 0.7
VIEW_WIDTH = 900.0  # px of canvas: about 800 in a 1440×900 window with its docks open, 1280 at 1920×1080
FRAME_MARGIN = 60.0  # scene px that `frame` leaves on each side
NODE_SPAN = 192.0  # scene px a block covers across, its ports included: node_item.WIDTH + 2 * PORT_HIT
BAND_COLUMNS = int((VIEW_WIDTH / READABLE_ZOOM - 2 * FRAME_MARGIN - NODE_SPAN) / COLUMN) + 1  # 5
# A U's arms: side by side, with the gap that shows the U, they are 1.5 columns wider than a band (zoom
# 0.62 at 900 px, the whole U-Net template in view); narrower arms put a U-Net's levels of 4-6 blocks on
# 2-3 lines each, a U too tall to see whole.
ARM_COLUMNS = (BAND_COLUMNS + 1) // 2  # 3
ARM_GAP = COLUMN / 2  # px between the arms, on top of a column's own gap

# Blocks an edge must jump to count as a skip: a U-Net's shortest skip jumps a pool, a conv and an
# upsample (4); shorter nested skips (densely connected blocks) do not make a U. A use of a module counts
# as the blocks inside it, so a U-Net built from Down and Up modules is still drawn as a U.
LONG_SKIP = 4

Positions = dict[str, tuple[float, float]]
Piece = tuple[list[list[str]], float]  # columns to lay side by side, and the x of the first


def layered_positions(model: ModelGraph, wrap: int | None = None,
                      modules: Mapping[str, ModelGraph] | None = None) -> Positions:
    """Each node's column is its longest distance from an Input; within a column, nodes sit near
    the mean height of what feeds them (fewer crossings). Nodes on a cycle get a column after
    everything else.

    Columns go into bands of at most `wrap` (0: one band), one below the other, all about as wide
    (branches stay within their band; a wire to the next band loops back to its start). By default
    an encoder-decoder is drawn as a U (see `_u_skips`) and any other graph wraps at BAND_COLUMNS.
    `modules` are the models of the project by name, so a use of one weighs as the blocks inside it."""
    graph = model.to_networkx()
    columns = _columns(graph)
    skips = _u_skips(graph, columns, _column_depths(model, columns, modules or {})) if wrap is None else []
    if skips:
        return _u_shaped(graph, columns, skips)
    return _banded(graph, _even_bands(columns, BAND_COLUMNS if wrap is None else wrap))


def _even_bands(columns: list[list[str]], wrap: int) -> list[list[list[str]]]:
    """Runs of at most `wrap` columns, as even as can be: 12 columns go 4 + 4 + 4, not 5 + 5 + 2."""
    count = math.ceil(len(columns) / wrap) if wrap else min(len(columns), 1)
    sizes = [len(columns) // count + (i < len(columns) % count) for i in range(count)]
    starts = [sum(sizes[:i]) for i in range(count)]
    return [columns[start:start + size] for start, size in zip(starts, sizes)]


def _columns(graph: nx.DiGraph) -> list[list[str]]:
    """Nodes by column, in document order within a column; a node sits right of all its inputs."""
    cyclic = {n for c in nx.strongly_connected_components(graph) if len(c) > 1 for n in c}
    cyclic |= {n for n in graph if graph.has_edge(n, n)}
    dag = graph.copy()
    dag.remove_nodes_from(cyclic)
    index = nx.get_node_attributes(graph, "index")
    depth = dict.fromkeys(dag, 0)
    for node in nx.topological_sort(dag):  # longest path from an Input
        for succ in dag.successors(node):
            depth[succ] = max(depth[succ], depth[node] + 1)
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in sorted(depth, key=index.__getitem__):
        columns[depth[node]].append(node)
    if cyclic:
        columns.append(sorted(cyclic, key=index.__getitem__))
    return columns


def _column_depths(model: ModelGraph, columns: list[list[str]], modules: Mapping[str, ModelGraph]) -> list[int]:
    """How many blocks deep each column is: 1, or more where a use of a module sits in it."""
    depths: dict[str, int] = {}
    types = {node.id: node.type for node in model.nodes}
    return [max((_block_depth(types[n], modules, depths) for n in nodes), default=1) for nodes in columns]


def _block_depth(type_name: str, modules: Mapping[str, ModelGraph], memo: dict[str, int]) -> int:
    """1 for a block; for a use of a module, the blocks along the longest path through it (its Inputs and
    Outputs not counted, a module inside counted the same way). A module that contains itself, or a
    cycle, counts as its number of nodes: the check refuses it anyway."""
    module = modules.get(type_name)
    if module is None:
        return 1
    if type_name not in memo:
        memo[type_name] = len(module.nodes)  # what a use of itself inside it counts as
        graph = module.to_networkx()
        if nx.is_directed_acyclic_graph(graph):
            weight = {n.id: 0 if n.type in ("Input", "Output") else _block_depth(n.type, modules, memo)
                      for n in module.nodes}
            longest: dict[str, int] = {}
            for node in nx.topological_sort(graph):
                longest[node] = weight[node] + max((longest[p] for p in graph.predecessors(node)), default=0)
            memo[type_name] = max(max(longest.values(), default=1), 1)
    return memo[type_name]


def _u_skips(graph: nx.DiGraph, columns: list[list[str]], depths: list[int]) -> list[tuple[int, int]]:
    """The columns of an encoder-decoder's skips, outermost first; empty for any other graph.

    Told from the structure alone: two or more skips (edges that jump LONG_SKIP blocks or more, `depths`
    telling how many blocks each column holds) nested one inside the other, as a U-Net's are around its
    bottleneck. Residual skips follow one another instead, so a ResNet is not an encoder-decoder; nor is
    a graph with a cycle."""
    if not nx.is_directed_acyclic_graph(graph):
        return []
    column = {n: c for c, nodes in enumerate(columns) for n in nodes}
    jumped = [0, *itertools.accumulate(depths)]  # jumped[c]: the blocks in the columns before c

    def jump(u: str, v: str) -> int:  # the blocks between, and one for the edge itself
        return jumped[column[v]] - jumped[column[u] + 1] + 1

    skips = sorted({(column[u], column[v]) for u, v in graph.edges if jump(u, v) >= LONG_SKIP})
    nested = _nested_chain(skips)
    return nested if len(nested) >= 2 else []


def _nested_chain(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of spans each strictly inside the one before (few spans: quadratic is fine)."""
    best: list[list[tuple[int, int]]] = []
    for i, (u, v) in enumerate(spans):
        outer = [best[j] for j in range(i) if spans[j][0] < u and v < spans[j][1]]
        best.append(max(outer, key=len, default=[]) + [(u, v)])
    return max(best, key=len, default=[])


def _stacked(graph: nx.DiGraph, columns: list[list[str]]) -> Positions:
    """Columns side by side from x = 0, each centred on y = 0, its nodes ordered by the height of their inputs."""
    index = nx.get_node_attributes(graph, "index")
    y: dict[str, float] = {}
    positions: Positions = {}
    for col, nodes in enumerate(columns):
        def barycenter(n: str) -> float:
            feeds = [y[p] for p in graph.predecessors(n) if p in y]
            return sum(feeds) / len(feeds) if feeds else 0.0

        ordered = sorted(nodes, key=lambda n: (barycenter(n), index[n]))
        top = -ROW * (len(ordered) - 1) / 2
        for row, node in enumerate(ordered):
            y[node] = top + row * ROW
            positions[node] = (col * COLUMN, y[node])
    return positions


def _banded(graph: nx.DiGraph, bands: list[list[list[str]]]) -> Positions:
    return _placed(graph, [[(band, 0.0)] for band in bands])


def _placed(graph: nx.DiGraph, lines: list[list[Piece]]) -> Positions:
    """Lines top to bottom, BAND_GAP apart; the pieces of a line side by side, centred on one height."""
    result: Positions = {}
    offset = 0.0
    for line in lines:
        laid = [(_stacked(graph, columns), x) for columns, x in line]
        top = min((y for positions, _ in laid for _, y in positions.values()), default=0.0)
        bottom = max((y for positions, _ in laid for _, y in positions.values()), default=0.0)
        for positions, left in laid:
            result.update({n: (left + x, offset + y - top) for n, (x, y) in positions.items()})
        offset += bottom - top + BAND_GAP
    return result


def _u_shaped(graph: nx.DiGraph, columns: list[list[str]], skips: list[tuple[int, int]]) -> Positions:
    """The encoder down the left arm, the decoder back up the right one, a level of the U per skip:
    the columns up to a skip's start on the left, from its end on the right, the two ends face to face
    across the gap between the arms. Each arm wraps at ARM_COLUMNS; a level's lines are read top down
    on the left and bottom up on the right."""
    lines: list[list[Piece]] = []
    right_arm = ARM_COLUMNS * COLUMN + ARM_GAP
    for encoder, decoder in _levels(columns, skips):
        left = _chunks(encoder, ARM_COLUMNS, from_end=True)
        right = _chunks(decoder, ARM_COLUMNS)
        level: list[list[Piece]] = [[] for _ in range(max(len(left), len(right)))]  # bottom line first
        for line, row in zip(level, reversed(left)):
            flush = line is level[0]  # the skip's start sits at the inner edge, whatever the row's length
            line.append((row, (ARM_COLUMNS - len(row)) * COLUMN if flush else 0.0))
        for line, row in zip(level, right):
            line.append((row, right_arm))
        lines.extend(reversed(level))
    return _placed(graph, lines)


def _levels(columns: list[list[str]], skips: list[tuple[int, int]]) -> list[tuple[list, list]]:
    """(encoder columns, decoder columns) per level, outermost first; the last level is the bottom
    of the U, the columns between the innermost skip's ends, halved."""
    levels = []
    start, stop = 0, len(columns)
    for source, target in skips:
        levels.append((columns[start:source + 1], columns[target:stop]))
        start, stop = source + 1, target
    middle = (start + stop + 1) // 2  # an odd column out goes to the encoder
    levels.append((columns[start:middle], columns[middle:stop]))
    return levels


def _chunks(columns: list[list[str]], size: int, from_end: bool = False) -> list[list[list[str]]]:
    """Runs of `size` columns; from the end, the short run comes first."""
    first = len(columns) % size if from_end else size
    cuts = range(first, len(columns), size)
    bounds = [0, *[c for c in cuts if c], len(columns)]
    return [columns[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]
