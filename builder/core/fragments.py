"""Copy and paste: a selection of nodes and the wires between them as JSON, pasted with fresh ids."""

from __future__ import annotations

import json
import re

from builder.core.graph import Edge, ModelGraph, Node, edge_to_dict

FORMAT = "nn-builder-fragment"


def fresh_id(prefix: str, taken: set[str]) -> str:
    """`conv` -> the first of conv1, conv2, ... not taken."""
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def copy_fragment(model: ModelGraph, node_ids: list[str]) -> str:
    """The nodes (in document order) and the wires among them, as JSON for the clipboard."""
    chosen = set(node_ids)
    nodes = [{"id": n.id, "type": n.type, "params": n.params, **({"ui": n.ui} if n.ui else {})}
             for n in model.nodes if n.id in chosen]
    edges = [edge_to_dict(e) for e in model.edges if e.src in chosen and e.dst in chosen]
    return json.dumps({"format": FORMAT, "nodes": nodes, "edges": edges}, ensure_ascii=False)


def parse_fragment(text: str) -> tuple[list[Node], list[Edge]] | None:
    """Nodes and wires from clipboard text; None when the text is not a fragment (or is malformed)."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return None
    try:
        nodes = [Node(str(n["id"]), str(n["type"]), dict(n.get("params") or {}), n.get("ui"))
                 for n in raw["nodes"]]
        edges = [Edge(str(e["src"]), str(e["dst"]), int(e.get("port", 0)), int(e.get("src_port", 0)))
                 for e in raw["edges"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    ids = {n.id for n in nodes}
    return nodes, [e for e in edges if e.src in ids and e.dst in ids]


def renamed_for(model: ModelGraph, nodes: list[Node], edges: list[Edge],
                offset: tuple[float, float]) -> tuple[list[Node], list[Edge]]:
    """Copies of the nodes with ids free in `model` (conv1 -> conv3 if 1 and 2 are taken), moved by offset."""
    taken = set(model.node_ids())
    mapping: dict[str, str] = {}
    result = []
    for node in nodes:
        new_id = node.id
        if new_id in taken:
            new_id = fresh_id(re.sub(r"_?\d+$", "", node.id) or "node", taken)
        taken.add(new_id)
        mapping[node.id] = new_id
        ui = dict(node.ui or {})
        if isinstance(ui.get("pos"), list) and len(ui["pos"]) == 2:
            ui["pos"] = [ui["pos"][0] + offset[0], ui["pos"][1] + offset[1]]
        result.append(Node(new_id, node.type, dict(node.params), ui or None))
    return result, [Edge(mapping[e.src], mapping[e.dst], e.port, e.src_port) for e in edges]

