"""Making room for a block dropped onto a wire, so it overlaps neither its new neighbours nor what follows them.

Pure geometry on node boxes (the canvas knows their sizes); the edit layer moves the nodes in the same undo
step as the insert.
"""

from __future__ import annotations

import math

import networkx as nx

from builder.core.graph import Edge, ModelGraph

Box = tuple[float, float, float, float]  # a node on the canvas: x, y, width, height
Vector = tuple[float, float]
INSERT_GAP = 40.0  # px kept between a block dropped onto a wire and its neighbours, near auto-layout's spacing


def room_for_insert(model: ModelGraph, edge: Edge, node_id: str, boxes: dict[str, Box],
                    gap: float = INSERT_GAP) -> dict[str, tuple[float, float]]:
    """New positions that make room for `node_id`, dropped onto `edge` (`boxes[node_id]` is where it was dropped).

    Everything moves along the wire's direction (source centre to target centre): the dropped block until it
    clears the wire's source, then the wire's target and the nodes it feeds that lie beyond it, all by the
    same distance so their own layout is kept, until none of them comes within `gap` of the dropped block.
    Nodes behind the target (a chain wrapping back to a new row) stay where they are. Nodes that need not
    move are left out of the result."""
    direction = _unit(_centre(boxes[edge.src]), _centre(boxes[edge.dst]))
    dropped = boxes[node_id]
    step = _clearance(dropped, boxes[edge.src], direction, gap)
    dropped = _moved(dropped, direction, step)
    ahead = [n for n in _fed_by(model, edge.dst) if n in boxes and n not in (node_id, edge.src)
             and _beyond(boxes[n], boxes[edge.dst], direction) >= 0]
    push = max((_clearance(boxes[n], dropped, direction, gap) for n in ahead), default=0.0)
    moved = {node_id: dropped[:2]} if step > 0 else {}
    if push > 0:
        moved.update({n: _moved(boxes[n], direction, push)[:2] for n in ahead})
    return moved


def _fed_by(model: ModelGraph, node_id: str) -> set[str]:
    """The node and every node downstream of it."""
    graph = model.to_networkx()
    return ({node_id} | nx.descendants(graph, node_id)) if node_id in graph else set()


def _centre(box: Box) -> Vector:
    x, y, w, h = box
    return x + w / 2, y + h / 2


def _unit(start: Vector, end: Vector) -> Vector:
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    return (dx / length, dy / length) if length > 1e-6 else (1.0, 0.0)  # stacked ends: make room rightwards


def _beyond(box: Box, origin: Box, direction: Vector) -> float:
    """How far `box` lies beyond `origin` along `direction`, centre to centre."""
    (x, y), (ox, oy) = _centre(box), _centre(origin)
    return (x - ox) * direction[0] + (y - oy) * direction[1]


def _moved(box: Box, direction: Vector, distance: float) -> Box:
    x, y, w, h = box
    return x + direction[0] * distance, y + direction[1] * distance, w, h


def _clearance(moving: Box, fixed: Box, direction: Vector, gap: float) -> float:
    """How far `moving` must go along `direction` to stay `gap` away from `fixed`: 0 when it already does, else
    the shorter of clearing it across (x) or vertically (y); either only grows along the way."""
    x, y, w, h = moving
    fx, fy, fw, fh = fixed
    if x >= fx + fw + gap or fx >= x + w + gap or y >= fy + fh + gap or fy >= y + h + gap:
        return 0.0
    dx, dy = direction
    needs = []
    if abs(dx) > 1e-6:
        needs.append((fx + fw + gap - x) / dx if dx > 0 else (fx - gap - x - w) / dx)
    if abs(dy) > 1e-6:
        needs.append((fy + fh + gap - y) / dy if dy > 0 else (fy - gap - y - h) / dy)
    return max(0.0, min(needs))
