"""What the user can do to a project, each action one undoable command, or refused with the reason.

The canvas, the menus, the palette, the inspector and the training panel all call this; the tests
call it headless. Nothing here knows about Qt.
"""

from __future__ import annotations

import copy
from typing import Any

from builder.blocks.params import Param, located
from builder.blocks.registry import BLOCKS
from builder.core.commands import (
    AddModel,
    AddNode,
    Command,
    Connect,
    Disconnect,
    Macro,
    RemoveModel,
    RemoveNodes,
    RenameModel,
    RenameNode,
    SetNode,
    SetRuns,
    SetSection,
    move_nodes,
)
from builder.core.fragments import copy_fragment, fresh_id, parse_fragment, renamed_for
from builder.core.graph import Edge, ModelGraph, Node, ref_name
from builder.core.i18n import N_, tr, trn
from builder.core.layout import layered_positions
from builder.core.problems import Fix
from builder.core.project import MAX_ID_LENGTH
from builder.core.structure import creates_cycle
from builder.edit.module_edits import ModuleEdits
from builder.edit.projects import blank_model
from builder.edit.session import Session

READ_ONLY = N_("the project is read-only while training")


class EditError(Exception):
    """An edit refused, with the reason for the user."""


class Editor:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.document = session.document
        self.modules = ModuleEdits(self)  # uses, Group/Ungroup, module parameters

    @property
    def model_name(self) -> str:
        return self.session.model

    @property
    def graph(self) -> ModelGraph:
        return self.document.model(self.model_name)

    def _execute(self, command: Command) -> None:
        """The one way an edit reaches the document."""
        if self.session.read_only:
            raise EditError(tr(READ_ONLY))
        self.document.execute(command)

    # -- blocks and wires -----------------------------------------------------------------------

    def add_block(self, type_name: str, pos: tuple[float, float]) -> str:
        """A block of a type, or a use of the project's model of that name (a module)."""
        spec = BLOCKS.get(type_name)
        if spec is None and any(m.name == type_name for m in self.document.project.models):
            return self.modules.add_use(type_name, pos)
        if spec is None:
            raise EditError(tr("unknown block type '{type}'", type=type_name))
        node_id = fresh_id(spec.prefix, set(self.graph.node_ids()))
        node = Node(node_id, spec.type, copy.deepcopy(spec.starter), {"pos": [round(pos[0], 1), round(pos[1], 1)]})
        self._execute(AddNode(self.model_name, node))
        return node_id

    def connect(self, src: str, dst: str, port: int, src_port: int = 0) -> None:
        """Wire src's output `src_port` into dst's port, replacing a wire already there; refuses what can't be."""
        reason = self.connect_refusal(src, dst, port, src_port)
        if reason is not None:
            raise EditError(reason)
        edge = Edge(src, dst, port, src_port)
        if edge not in self.graph.edges:
            self._execute(Connect(self.model_name, edge))

    def connect_refusal(self, src: str, dst: str, port: int, src_port: int = 0) -> str | None:
        """Why `connect` would refuse this wire, or None when it would accept it (the canvas asks before
        snapping a wire to a port, so both follow the same rules)."""
        graph = self.graph
        if src == dst:
            return tr("a block cannot feed itself")
        source, target = graph.node(src), graph.node(dst)
        source_spec, target_spec = BLOCKS.get(source.type), BLOCKS.get(target.type)
        source_ports, target_ports = self.modules.ports(source), self.modules.ports(target)
        if source_spec is not None and source_spec.is_output:
            return tr("'{node}' is an Output: it has nothing to pass on", node=src)
        if target_spec is not None and target_spec.is_input:
            return tr("'{node}' is an Input: it takes no wires", node=dst)
        if target_spec is not None and target_spec.max_inputs is not None and port >= target_spec.max_inputs:
            return tr("{type} '{node}' has no input port {port}", type=target_spec.type, node=dst, port=port)
        if target_ports is not None and port >= target_ports[0]:
            return tr("{type} '{node}' has no input port {port}", type=target.type, node=dst, port=port)
        if src_port and (source_ports is None or src_port >= source_ports[1]):
            return tr("'{node}' has no output port {port}", node=src, port=src_port)
        if Edge(src, dst, port, src_port) not in graph.edges and creates_cycle(graph, src, dst):
            return tr("refused: a wire {source} → {target} would make a cycle, since '{target}' already feeds '{source}'",
                      source=src, target=dst)
        return None

    def disconnect(self, edges: list[Edge]) -> None:
        if edges:
            self._execute(Disconnect(self.model_name, edges))

    def delete(self, node_ids: list[str], edges: list[Edge] = ()) -> None:
        loose = [e for e in edges if e.src not in node_ids and e.dst not in node_ids]
        commands: list[Command] = []
        if loose:
            commands.append(Disconnect(self.model_name, loose))
        if node_ids:
            commands.append(RemoveNodes(self.model_name, node_ids))
        if commands:
            self._execute(Macro(commands[-1].text, commands) if len(commands) > 1 else commands[0])

    def move(self, positions: dict[str, tuple[float, float]]) -> None:
        if positions:
            self._execute(move_nodes(self.document, self.model_name, positions))

    def insert_on_wire(self, node_id: str, edge: Edge, pos: tuple[float, float],
                       shifted: dict[str, tuple[float, float]] | None = None) -> None:
        """Drop a free node onto a wire: src → node → dst, one undo step with the move and with `shifted`,
        the new positions of the nodes moved aside to make room (`insert_room.room_for_insert`)."""
        spec = BLOCKS.get(self.graph.node(node_id).type)
        if spec is None or spec.is_input or spec.is_output:
            raise EditError(tr("only a block with an input and an output can go on a wire"))
        if any(node_id in (e.src, e.dst) for e in self.graph.edges):
            raise EditError(tr("'{node}' is already wired", node=node_id))
        model = self.model_name
        self._execute(Macro(tr("insert {node}", node=node_id), [
            move_nodes(self.document, model, {**(shifted or {}), node_id: pos}),
            Disconnect(model, [edge]),
            Connect(model, Edge(edge.src, node_id, 0)),
            Connect(model, Edge(node_id, edge.dst, edge.port)),
        ]))

    def apply_fix(self, fix: Fix) -> str:
        """A problem's one-click repair: a new block on the wire into `fix.before`'s first input, halfway
        along it; one undo step. Returns the new block's id."""
        graph = self.graph
        spec = BLOCKS.get(fix.insert)
        wire = next((e for e in graph.edges if e.dst == fix.before and e.port == 0), None)
        if spec is None or wire is None:
            raise EditError(tr("cannot insert {block} before {node}: '{node}' has no wire into it", block=fix.insert,
                               node=fix.before))
        node_id = fresh_id(spec.prefix, set(graph.node_ids()))
        ends = [(graph.node(n).ui or {}).get("pos") for n in (wire.src, wire.dst)]
        pos = [round((a + b) / 2, 1) for a, b in zip(*ends)] if all(ends) else [0.0, 0.0]
        node = Node(node_id, spec.type, copy.deepcopy(spec.starter), {"pos": pos})
        model = self.model_name
        self._execute(Macro(tr("insert {block} before {node}", block=fix.insert, node=fix.before), [
            AddNode(model, node), Disconnect(model, [wire]),
            Connect(model, Edge(wire.src, node_id, 0)), Connect(model, Edge(node_id, wire.dst, wire.port))]))
        return node_id

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set a parameter (None: back to its default); an invalid value is refused with the reason."""
        node = self.graph.node(node_id)
        spec = BLOCKS.get(node.type)
        if ref_name(value) is not None:
            self.modules.link(node_id, name, ref_name(value))
            return
        param = spec.param(name) if spec is not None else self.modules.use_param(node, name)
        if param is not None and value is not None:
            _normalized, error = param.validate(value)
            if error:
                raise EditError(error)
        if node.params.get(name) == value and (value is not None or name not in node.params):
            return
        changed = node.copy()
        if value is None:
            changed.params.pop(name, None)
        else:
            changed.params[name] = copy.deepcopy(value)
        self._execute(SetNode(self.model_name, changed, tr("set {node}.{name}", node=node_id, name=name),
                              merge_key=("param", self.model_name, node_id, name)))

    def rename(self, node_id: str, new_id: str) -> None:
        new_id = new_id.strip()
        if new_id == node_id:
            return
        self.check_name(new_id)
        if new_id in self.graph.node_ids():
            raise EditError(tr("'{name}' is taken by another block", name=new_id))
        self._execute(RenameNode(self.model_name, node_id, new_id))

    def copy(self, node_ids: list[str]) -> str:
        return copy_fragment(self.graph, node_ids)

    def paste(self, text: str, offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        parsed = parse_fragment(text)
        if parsed is None:
            raise EditError(tr("the clipboard holds no NN Builder blocks"))
        nodes, edges = renamed_for(self.graph, *parsed, offset)
        if not nodes:
            return []
        model = self.model_name
        commands = [AddNode(model, n) for n in nodes] + [Connect(model, e) for e in edges]
        self._execute(Macro(trn("paste {count} block", "paste {count} blocks", len(nodes), count=len(nodes)), commands))
        return [n.id for n in nodes]

    def duplicate(self, node_ids: list[str]) -> list[str]:
        return self.paste(self.copy(node_ids), (40.0, 40.0)) if node_ids else []

    def auto_layout(self) -> None:
        positions = layered_positions(self.graph, modules={m.name: m for m in self.document.project.models})
        current = {n.id: tuple((n.ui or {}).get("pos", (None, None))) for n in self.graph.nodes}
        changed = {k: v for k, v in positions.items() if current.get(k) != v}
        if changed:
            command = move_nodes(self.document, self.model_name, changed)
            command.text = tr("auto layout")
            self._execute(command)

    # -- models ---------------------------------------------------------------------------------

    def add_model(self) -> str:
        """A new model (Model2, Model3...) with an Input and an Output; returns its name."""
        names = {m.name for m in self.document.project.models}
        name = next(f"Model{i}" for i in range(2, len(names) + 3) if f"Model{i}" not in names)
        self._execute(AddModel(blank_model(name)))
        return name

    def rename_model(self, old: str, new: str) -> None:
        new = new.strip()
        if new == old:
            return
        self.check_name(new)
        if new in {m.name for m in self.document.project.models}:
            raise EditError(tr("a model named '{name}' exists already", name=new))
        if BLOCKS.get(new) is not None:
            raise EditError(tr("'{name}' is a block type: a model used as a block needs a name of its own", name=new))
        self._execute(RenameModel(old, new))

    def remove_model(self, name: str) -> None:
        if len(self.document.project.models) < 2:
            raise EditError(tr("a project keeps at least one model"))
        users = [f"{m.name}.{n.id}" for m in self.document.project.models for n in m.nodes if n.type == name]
        if users:
            shown = ", ".join(users[:3])
            if len(users) > 3:
                raise EditError(tr("{name} is used by {uses} and {count} more: delete or ungroup its uses first",
                                   name=name, uses=shown, count=len(users) - 3))
            raise EditError(tr("{name} is used by {uses}: delete or ungroup its uses first", name=name, uses=shown))
        self._execute(RemoveModel(name))

    # -- modules --------------------------------------------------------------------------------

    def group(self, node_ids: list[str], name: str) -> str:
        """Group into Module: the selection becomes the model `name`, used where it was. One undo step."""
        if self.session.report is None or self.session.report.model is not self.graph:
            self.session.recheck()  # the shapes entering the selection come from the latest check
        return self.modules.group(node_ids, name, self.session.report)

    def ungroup(self, use_id: str) -> list[str]:
        """Put a use's blocks back inline (the module stays, for its other uses). One undo step."""
        return self.modules.ungroup(use_id)

    def free_model_name(self, stem: str = "Block") -> str:
        names = {m.name for m in self.document.project.models} | set(BLOCKS.names())
        return next(f"{stem}{i}" for i in range(1, len(names) + 2) if f"{stem}{i}" not in names)

    @staticmethod
    def check_name(name: str) -> None:
        if not name or not name.isprintable() or len(name) > MAX_ID_LENGTH:
            raise EditError(tr("a name must be 1 to {count} printable characters", count=MAX_ID_LENGTH))

    # -- data and training settings -------------------------------------------------------------

    def set_setting(self, path: tuple[str, ...], value: Any, param: Param | None = None) -> None:
        """Set one key of the `data` or `training` section, nested keys by path (`("data", "source",
        "path")`); None removes it. With its declaration, an invalid value is refused with the located
        reason (`data.batch_size: must be at least 1`)."""
        section, *keys = path
        if param is not None and value is not None:
            _normalized, error = param.validate(value)
            if error:
                raise EditError(located(".".join(path[:-1]), param, error))
        current = copy.deepcopy(getattr(self.document.project, section))
        holder = current
        for key in keys[:-1]:
            inner = holder.get(key)
            holder[key] = inner = dict(inner) if isinstance(inner, dict) else {}
            holder = inner
        if value is None:
            holder.pop(keys[-1], None)
        else:
            holder[keys[-1]] = copy.deepcopy(value)
        if current != getattr(self.document.project, section):
            self._execute(SetSection(section, current, tr("set {setting}", setting=".".join(path)),
                                     merge_key=("setting", path)))

    def remove_run(self, run_id: str) -> None:
        kept = [r for r in self.document.project.runs if not (isinstance(r, dict) and r.get("id") == run_id)]
        if len(kept) != len(self.document.project.runs):
            self._execute(SetRuns(kept, tr("remove a run")))

