"""Group into Module and Ungroup, as single undo steps built from the primitive commands; and what a model
uses, to refuse a module that would contain itself. No blocks here: shapes come in as an argument.

Group: the selection becomes a new model. Each distinct value entering it (a source node and its output port)
becomes an Input, each distinct value read outside it an Output; the selection is replaced by one use of the
new model, wired as the selection was. Ungroup puts a use's nodes back inline, Input and Output dropped and
their wires joined through, `{"ref": ...}` params replaced by the use's values.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from builder.core.commands import AddModel, AddNode, Command, Connect, Macro, RemoveNodes, SetNode
from builder.core.fragments import fresh_id, renamed_for
from builder.core.graph import Edge, ModelGraph, ModuleParam, Node, ref_name
from builder.core.i18n import tr

Shape = list[int]
Port = tuple[str, int]  # (node, output port): one value in the graph
MARGIN = 220.0  # how far left of the selection its Inputs go, and right its Outputs


@dataclass
class Grouped:
    command: Macro
    use_id: str  # the node that replaced the selection


def uses_of(model: ModelGraph, names: Iterable[str]) -> list[Node]:
    """The nodes of a model that are uses of one of the named models."""
    known = set(names)
    return [n for n in model.nodes if n.type in known]


def use_chain(models: list[ModelGraph], container: str, used: str) -> list[str] | None:
    """The chain of uses that a use of `used` inside `container` would close (`Block › Inner › Block`), or None
    when it would close none."""
    names = {m.name for m in models}
    graph = nx.DiGraph()
    graph.add_edges_from((m.name, n.type) for m in models for n in m.nodes if n.type in names)
    if used == container:
        return [container, container]
    if used in graph and container in graph and nx.has_path(graph, used, container):
        return [container, *nx.shortest_path(graph, used, container)]
    return None


def entering(model: ModelGraph, chosen: set[str]) -> list[Port]:
    """The distinct values wired into the selection from outside, in the order of the wires."""
    return _distinct((e.src, e.src_port) for e in model.edges if e.dst in chosen and e.src not in chosen)


def leaving(model: ModelGraph, chosen: set[str]) -> list[Port]:
    """The distinct values of the selection read outside it, in the order of the wires."""
    return _distinct((e.src, e.src_port) for e in model.edges if e.src in chosen and e.dst not in chosen)


def outside_path(model: ModelGraph, chosen: set[str]) -> str | None:
    """A node outside the selection on a path from the selection back into it: grouping would make a cycle."""
    graph = model.to_networkx()
    after = set().union(*(nx.descendants(graph, n) for n in chosen)) - chosen
    before = set().union(*(nx.ancestors(graph, n) for n in chosen)) - chosen
    between = [n for n in model.node_ids() if n in after and n in before]
    return between[0] if between else None


def group(model: ModelGraph, node_ids: list[str], name: str, shapes: Mapping[Port, Shape]) -> Grouped:
    """The command that turns the selection into a use of a new model `name`. `shapes`: the shape each value
    entering the selection carries (an Input needs one)."""
    chosen = set(node_ids)
    ins, outs = entering(model, chosen), leaving(model, chosen)
    in_ids = _port_ids([src for src, _ in ins], chosen, "x")
    out_ids = _port_ids([f"{src}_out" for src, _ in outs], chosen | set(in_ids), "out")
    left, top, right = _bounds([n for n in model.nodes if n.id in chosen])
    inner = [Node(i, "Input", {"shape": list(shapes[port])}, {"pos": [left - MARGIN, top + k * 120.0]})
             for k, (i, port) in enumerate(zip(in_ids, ins))]
    inner += [n.copy() for n in model.nodes if n.id in chosen]
    inner += [Node(o, "Output", {}, {"pos": [right + MARGIN, top + k * 120.0]}) for k, o in enumerate(out_ids)]
    edges = [e for e in model.edges if e.src in chosen and e.dst in chosen]
    edges = [*(Edge(in_ids[ins.index((e.src, e.src_port))], e.dst, e.port) for e in model.edges
               if e.dst in chosen and e.src not in chosen), *edges]
    edges += [Edge(src, out_ids[k], 0, sp) for k, (src, sp) in enumerate(outs)]
    declared = _referred(model, inner)
    definition = ModelGraph(name, inner, edges, None, declared)

    use_id = fresh_id(attribute_prefix(name), set(model.node_ids()) - chosen)
    index = next(i for i, n in enumerate(model.nodes) if n.id in chosen)
    use = Node(use_id, name, {p.name: {"ref": p.name} for p in declared}, {"pos": [round(left, 1), round(top, 1)]})
    wires = [Edge(e.src, use_id, ins.index((e.src, e.src_port)), e.src_port) for e in model.edges
             if e.dst in chosen and e.src not in chosen]
    wires = _distinct_wires(wires)
    wires += [Edge(use_id, e.dst, e.port, outs.index((e.src, e.src_port))) for e in model.edges
              if e.src in chosen and e.dst not in chosen]
    commands: list[Command] = [AddModel(definition), RemoveNodes(model.name, node_ids), AddNode(model.name, use, index)]
    commands += [Connect(model.name, w) for w in wires]
    return Grouped(Macro(tr("group {count} blocks into {name}", count=len(node_ids), name=name), commands), use_id)


def ungroup(model: ModelGraph, definition: ModelGraph, use_id: str) -> tuple[Macro, list[str]]:
    """The command that puts a use's nodes back inline, and the ids they get."""
    use = model.node(use_id)
    ports = {n.id for n in definition.nodes if n.type in ("Input", "Output")}
    inputs = [n.id for n in definition.nodes if n.type == "Input"]
    outputs = [n.id for n in definition.nodes if n.type == "Output"]
    values = {p.name: copy.deepcopy(use.params.get(p.name, p.default)) for p in definition.params}
    body = [_substituted(n, values) for n in definition.nodes if n.id not in ports]
    rest = ModelGraph(model.name, [n for n in model.nodes if n.id != use_id])
    inner_edges = [e for e in definition.edges if e.src not in ports and e.dst not in ports]
    placed, placed_edges = renamed_for(rest, body, inner_edges, _offset(use, body))
    mapping = {old.id: new.id for old, new in zip(body, placed)}
    feeds = {e.port: (e.src, e.src_port) for e in model.edges if e.dst == use_id}

    def source(src: str, src_port: int) -> Port | None:
        if src in inputs:
            return feeds.get(inputs.index(src))
        return (mapping[src], src_port) if src in mapping else None

    wires = list(placed_edges)
    for e in definition.edges:
        if e.src in inputs and e.dst in mapping:
            fed = source(e.src, e.src_port)
            if fed is not None:
                wires.append(Edge(fed[0], mapping[e.dst], e.port, fed[1]))
    results = {o: source(e.src, e.src_port) for e in definition.edges for o in outputs if e.dst == o}
    for e in model.edges:
        if e.src == use_id and e.src_port < len(outputs) and results.get(outputs[e.src_port]) is not None:
            fed = results[outputs[e.src_port]]
            wires.append(Edge(fed[0], e.dst, e.port, fed[1]))
    index = model.node_ids().index(use_id)
    commands: list[Command] = [RemoveNodes(model.name, [use_id])]
    commands += [AddNode(model.name, n, index + k) for k, n in enumerate(placed)]
    commands += [Connect(model.name, w) for w in wires]
    return Macro(tr("ungroup {use}", use=use_id), commands), [n.id for n in placed]


def unlink_command(model: ModelGraph, name: str, value: Any) -> list[SetNode]:
    """Every param of the model's nodes referring to module parameter `name`, set to `value` instead."""
    commands = []
    for node in model.nodes:
        if any(ref_name(v) == name for v in node.params.values()):
            changed = node.copy()
            changed.params = {k: (copy.deepcopy(value) if ref_name(v) == name else v) for k, v in node.params.items()}
            commands.append(SetNode(model.name, changed, tr("unlink {node} from {name}", node=node.id, name=name)))
    return commands


def attribute_prefix(name: str) -> str:
    """A use's id as a person names the attribute: `BasicBlock` → `basic_block` (then basic_block1...)."""
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and (name[i - 1].islower() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(char.lower())
    text = "".join(out).strip("_")
    return text if text.isidentifier() else "module"


# -- helpers ------------------------------------------------------------------------------------------------


def _distinct(ports: Iterable[Port]) -> list[Port]:
    return list(dict.fromkeys(ports))


def _distinct_wires(wires: list[Edge]) -> list[Edge]:
    """One wire into each of the use's ports (several selected nodes may read the same value)."""
    seen: set[int] = set()
    kept = []
    for wire in wires:
        if wire.port not in seen:
            seen.add(wire.port)
            kept.append(wire)
    return kept


def _port_ids(wanted: list[str], taken: set[str], single: str) -> list[str]:
    """`x` (or `out`) for a module with one port; else named after what the port carries, made unique."""
    if len(wanted) == 1 and single not in taken:
        return [single]
    ids: list[str] = []
    for name in wanted:
        chosen = name if name not in taken and name not in ids else fresh_id(name + "_", taken | set(ids))
        ids.append(chosen)
    return ids


def _bounds(nodes: list[Node]) -> tuple[float, float, float]:
    """Left, top and right of the nodes' positions (0 where none has one)."""
    xs = [n.ui["pos"][0] for n in nodes if n.ui and isinstance(n.ui.get("pos"), list)]
    ys = [n.ui["pos"][1] for n in nodes if n.ui and isinstance(n.ui.get("pos"), list)]
    return (min(xs, default=0.0), min(ys, default=0.0), max(xs, default=0.0))


def _offset(use: Node, body: list[Node]) -> tuple[float, float]:
    """Moves the module's nodes so their top-left corner is where the use was."""
    pos = (use.ui or {}).get("pos")
    left, top, _right = _bounds(body)
    if not isinstance(pos, list) or len(pos) != 2:
        return (0.0, 0.0)
    return (pos[0] - left, pos[1] - top)


def _substituted(node: Node, values: dict[str, Any]) -> Node:
    params = {k: (copy.deepcopy(values[ref_name(v)]) if ref_name(v) in values else v) for k, v in node.params.items()}
    return Node(node.id, node.type, params, copy.deepcopy(node.ui))


def _referred(model: ModelGraph, nodes: list[Node]) -> list[ModuleParam]:
    """The enclosing model's parameters that the grouped nodes refer to: the new module declares them too."""
    names = {ref_name(v) for n in nodes for v in n.params.values()} - {None}
    return [p for p in model.params if p.name in names]
