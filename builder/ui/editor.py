"""What the user can do to the graph, each action one undoable command. No Qt in here.

The canvas, the menus, the palette and the inspector all call this; tests call it too.
"""

from __future__ import annotations

import copy
from typing import Any

from builder.blocks.registry import BLOCKS
from builder.core.commands import (
    AddNode,
    Connect,
    Disconnect,
    Macro,
    RemoveNodes,
    RenameNode,
    SetNode,
    move_nodes,
)
from builder.core.document import Document
from builder.core.fragments import copy_fragment, fresh_id, parse_fragment, renamed_for
from builder.core.graph import Edge, ModelGraph, Node
from builder.core.layout import layered_positions
from builder.core.structure import creates_cycle


class EditError(Exception):
    """An edit refused, with the reason for the user."""


class Editor:
    def __init__(self, document: Document, model: Any) -> None:
        self.document = document
        self._model = model  # a callable giving the name of the model being edited

    @property
    def model_name(self) -> str:
        return self._model()

    @property
    def graph(self) -> ModelGraph:
        return self.document.model(self.model_name)

    def add_block(self, type_name: str, pos: tuple[float, float]) -> str:
        spec = BLOCKS.get(type_name)
        if spec is None:
            raise EditError(f"unknown block type '{type_name}'")
        node_id = fresh_id(spec.prefix, set(self.graph.node_ids()))
        node = Node(node_id, spec.type, copy.deepcopy(spec.starter), {"pos": [round(pos[0], 1), round(pos[1], 1)]})
        self.document.execute(AddNode(self.model_name, node))
        return node_id

    def connect(self, src: str, dst: str, port: int) -> None:
        """Wire src's output into dst's port, replacing a wire already there; refuses what can't be."""
        graph = self.graph
        if src == dst:
            raise EditError("a block cannot feed itself")
        source, target = BLOCKS.get(graph.node(src).type), BLOCKS.get(graph.node(dst).type)
        if source is not None and source.is_output:
            raise EditError(f"'{src}' is an Output: it has nothing to pass on")
        if target is not None and target.is_input:
            raise EditError(f"'{dst}' is an Input: it takes no wires")
        if target is not None and target.max_inputs is not None and port >= target.max_inputs:
            raise EditError(f"{target.type} '{dst}' has no input port {port}")
        if Edge(src, dst, port) in graph.edges:
            return
        if creates_cycle(graph, src, dst):
            raise EditError(f"refused: a wire {src} → {dst} would make a cycle, since '{dst}' already feeds '{src}'")
        self.document.execute(Connect(self.model_name, Edge(src, dst, port)))

    def disconnect(self, edges: list[Edge]) -> None:
        if edges:
            self.document.execute(Disconnect(self.model_name, edges))

    def delete(self, node_ids: list[str], edges: list[Edge] = ()) -> None:
        loose = [e for e in edges if e.src not in node_ids and e.dst not in node_ids]
        commands = []
        if loose:
            commands.append(Disconnect(self.model_name, loose))
        if node_ids:
            commands.append(RemoveNodes(self.model_name, node_ids))
        if commands:
            self.document.execute(Macro(commands[-1].text, commands) if len(commands) > 1 else commands[0])

    def move(self, positions: dict[str, tuple[float, float]]) -> None:
        if positions:
            self.document.execute(move_nodes(self.document, self.model_name, positions))

    def insert_on_wire(self, node_id: str, edge: Edge, pos: tuple[float, float]) -> None:
        """Drop a free node onto a wire: src → node → dst, one undo step with the move."""
        spec = BLOCKS.get(self.graph.node(node_id).type)
        if spec is None or spec.is_input or spec.is_output:
            raise EditError("only a block with an input and an output can go on a wire")
        if any(node_id in (e.src, e.dst) for e in self.graph.edges):
            raise EditError(f"'{node_id}' is already wired")
        model = self.model_name
        self.document.execute(Macro(f"insert {node_id}", [
            move_nodes(self.document, model, {node_id: pos}),
            Disconnect(model, [edge]),
            Connect(model, Edge(edge.src, node_id, 0)),
            Connect(model, Edge(node_id, edge.dst, edge.port)),
        ]))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set a parameter (None: back to its default); an invalid value is refused with the reason."""
        node = self.graph.node(node_id)
        spec = BLOCKS.get(node.type)
        if spec is not None and value is not None:
            _normalized, error = spec.param(name).validate(value)
            if error:
                raise EditError(error)
        if node.params.get(name) == value and (value is not None or name not in node.params):
            return
        changed = node.copy()
        if value is None:
            changed.params.pop(name, None)
        else:
            changed.params[name] = copy.deepcopy(value)
        self.document.execute(SetNode(self.model_name, changed, f"set {node_id}.{name}"))

    def rename(self, node_id: str, new_id: str) -> None:
        new_id = new_id.strip()
        if new_id == node_id:
            return
        if not new_id or not new_id.isprintable() or len(new_id) > 100:
            raise EditError("a name must be 1 to 100 printable characters")
        if new_id in self.graph.node_ids():
            raise EditError(f"'{new_id}' is taken by another block")
        self.document.execute(RenameNode(self.model_name, node_id, new_id))

    def copy(self, node_ids: list[str]) -> str:
        return copy_fragment(self.graph, node_ids)

    def paste(self, text: str, offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        parsed = parse_fragment(text)
        if parsed is None:
            raise EditError("the clipboard holds no NN Builder blocks")
        nodes, edges = renamed_for(self.graph, *parsed, offset)
        if not nodes:
            return []
        model = self.model_name
        commands = [AddNode(model, n) for n in nodes] + [Connect(model, e) for e in edges]
        self.document.execute(Macro(f"paste {len(nodes)} block{'s' if len(nodes) > 1 else ''}", commands))
        return [n.id for n in nodes]

    def duplicate(self, node_ids: list[str]) -> list[str]:
        return self.paste(self.copy(node_ids), (40.0, 40.0)) if node_ids else []

    def auto_layout(self) -> None:
        positions = layered_positions(self.graph)
        current = {n.id: tuple((n.ui or {}).get("pos", (None, None))) for n in self.graph.nodes}
        changed = {k: v for k, v in positions.items() if current.get(k) != v}
        if changed:
            command = move_nodes(self.document, self.model_name, changed)
            command.text = "auto layout"
            self.document.execute(command)
