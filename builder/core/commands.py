"""Undoable edits of a document, and the undo stack. No Qt: every edit is testable on its own.

Each command records exactly what it replaced (positions in lists, whole nodes), so undoing
every edit gives back the saved file byte for byte.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Iterable
from typing import Any

from builder.core.events import Signal
from builder.core.graph import Edge, ModelGraph, ModuleParam, Node
from builder.core.i18n import tr, trn


class Command:
    # What Edit → Undo names the step by, in the language shown (each command sets its own).
    _text: str | None = None
    # Consecutive commands with the same key make one undo step (the wheel or the arrows on one field, say);
    # None never merges.
    merge_key: Hashable | None = None

    @property
    def text(self) -> str:
        return self._text if self._text is not None else tr("edit")

    @text.setter
    def text(self, value: str) -> None:
        self._text = value

    def redo(self, doc: Any) -> None:
        raise NotImplementedError

    def undo(self, doc: Any) -> None:
        raise NotImplementedError

    def absorb(self, later: Command) -> None:
        """Take in a later command with the same merge key, already done: undoing self then undoes both."""
        raise NotImplementedError

    @property
    def changes_nothing(self) -> bool:
        """After merging, the edits may have cancelled out (up one, down one): then there is no step left."""
        return False


class Macro(Command):
    """Several commands as one user action: one undo step."""

    def __init__(self, text: str, commands: Iterable[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def redo(self, doc: Any) -> None:
        for command in self.commands:
            command.redo(doc)

    def undo(self, doc: Any) -> None:
        for command in reversed(self.commands):
            command.undo(doc)


class AddNode(Command):
    def __init__(self, model: str, node: Node, index: int | None = None) -> None:
        self.model, self.node, self.index = model, node, index
        self.text = tr("add {type} '{node}'", type=node.type, node=node.id)

    def redo(self, doc: Any) -> None:
        doc.insert_node(self.model, self.node.copy(), self.index)

    def undo(self, doc: Any) -> None:
        doc.remove_node(self.model, self.node.id)


class RemoveNodes(Command):
    """Delete nodes and every wire attached to them."""

    def __init__(self, model: str, node_ids: Iterable[str]) -> None:
        self.model = model
        self.ids = list(node_ids)
        self.text = trn("delete {count} node", "delete {count} nodes", len(self.ids), count=len(self.ids))
        self._nodes: list[tuple[int, Node]] = []
        self._edges: list[tuple[int, Edge]] = []

    def redo(self, doc: Any) -> None:
        graph: ModelGraph = doc.model(self.model)
        doomed = set(self.ids)
        self._edges = [(i, e) for i, e in enumerate(graph.edges) if e.src in doomed or e.dst in doomed]
        for _index, edge in reversed(self._edges):
            doc.remove_edge(self.model, edge)
        self._nodes = [(i, n) for i, n in enumerate(graph.nodes) if n.id in doomed]
        for _index, node in reversed(self._nodes):
            doc.remove_node(self.model, node.id)

    def undo(self, doc: Any) -> None:
        for index, node in self._nodes:
            doc.insert_node(self.model, node, index)
        for index, edge in self._edges:
            doc.insert_edge(self.model, edge, index)


class SetNode(Command):
    """Replace a node's params or position (same id); the old node is kept whole for undo."""

    def __init__(self, model: str, node: Node, text: str | None = None, merge_key: Hashable | None = None) -> None:
        self.model, self.node, self.merge_key = model, node, merge_key
        self.text = text if text is not None else tr("edit node")
        self._old: Node | None = None

    def redo(self, doc: Any) -> None:
        old = doc.replace_node(self.model, self.node.copy())
        if self._old is None:  # a redo after a merge must keep the state from before the first edit
            self._old = old

    def undo(self, doc: Any) -> None:
        doc.replace_node(self.model, self._old)

    def absorb(self, later: Command) -> None:
        self.node = later.node

    @property
    def changes_nothing(self) -> bool:
        return self._old is not None and self._old == self.node


def set_param(doc: Any, model: str, node_id: str, name: str, value: Any) -> SetNode:
    """A command setting one parameter; None removes it (back to its default or inferred value)."""
    node = doc.model(model).node(node_id).copy()
    if value is None:
        node.params.pop(name, None)
    else:
        node.params[name] = copy.deepcopy(value)
    return SetNode(model, node, tr("set {node}.{name}", node=node_id, name=name), merge_key=("param", model, node_id, name))


def move_nodes(doc: Any, model: str, positions: dict[str, tuple[float, float]]) -> Macro:
    commands = []
    for node_id, (x, y) in positions.items():
        node = doc.model(model).node(node_id).copy()
        node.ui = {**(node.ui or {}), "pos": [round(x, 1), round(y, 1)]}
        commands.append(SetNode(model, node, tr("move")))
    return Macro(trn("move {count} node", "move {count} nodes", len(commands), count=len(commands)), commands)


class Connect(Command):
    """Wire src's output into dst's input port; a wire already in that port is replaced."""

    def __init__(self, model: str, edge: Edge) -> None:
        self.model, self.edge = model, edge
        self.text = tr("connect {source} → {target}", source=edge.src, target=edge.dst)
        self._replaced: tuple[int, Edge] | None = None

    def redo(self, doc: Any) -> None:
        graph = doc.model(self.model)
        taken = next(((i, e) for i, e in enumerate(graph.edges)
                      if e.dst == self.edge.dst and e.port == self.edge.port), None)
        self._replaced = taken
        if taken is not None:
            doc.remove_edge(self.model, taken[1])
        doc.insert_edge(self.model, self.edge)

    def undo(self, doc: Any) -> None:
        doc.remove_edge(self.model, self.edge)
        if self._replaced is not None:
            doc.insert_edge(self.model, self._replaced[1], self._replaced[0])


class Disconnect(Command):
    def __init__(self, model: str, edges: Iterable[Edge]) -> None:
        self.model, self.edges = model, list(edges)
        self.text = tr("disconnect")
        self._removed: list[tuple[int, Edge]] = []

    def redo(self, doc: Any) -> None:
        graph = doc.model(self.model)
        self._removed = sorted((graph.edges.index(e), e) for e in self.edges)
        for _index, edge in reversed(self._removed):
            doc.remove_edge(self.model, edge)

    def undo(self, doc: Any) -> None:
        for index, edge in self._removed:
            doc.insert_edge(self.model, edge, index)


class RenameNode(Command):
    """Change a node's id (its name in the generated code); its wires follow it."""

    def __init__(self, model: str, old: str, new: str) -> None:
        self.model, self.old, self.new = model, old, new
        self.text = tr("rename {old} to {new}", old=old, new=new)

    def _swap(self, doc: Any, old: str, new: str) -> None:
        graph = doc.model(self.model)
        attached = [(i, e) for i, e in enumerate(graph.edges) if old in (e.src, e.dst)]
        for _index, edge in reversed(attached):
            doc.remove_edge(self.model, edge)
        node, index = doc.remove_node(self.model, old)
        doc.insert_node(self.model, Node(new, node.type, node.params, node.ui), index)
        for position, edge in attached:
            moved = Edge(new if edge.src == old else edge.src, new if edge.dst == old else edge.dst, edge.port,
                         edge.src_port)
            doc.insert_edge(self.model, moved, position)

    def redo(self, doc: Any) -> None:
        self._swap(doc, self.old, self.new)

    def undo(self, doc: Any) -> None:
        self._swap(doc, self.new, self.old)


class AddModel(Command):
    def __init__(self, graph: ModelGraph) -> None:
        self.graph = graph
        self.text = tr("add model {name}", name=graph.name)

    def redo(self, doc: Any) -> None:
        doc.insert_model(self.graph.copy())

    def undo(self, doc: Any) -> None:
        doc.remove_model(self.graph.name)


class RemoveModel(Command):
    def __init__(self, name: str) -> None:
        self.name = name
        self.text = tr("delete model {name}", name=name)
        self._removed: tuple[ModelGraph, int] | None = None

    def redo(self, doc: Any) -> None:
        self._removed = doc.remove_model(self.name)

    def undo(self, doc: Any) -> None:
        doc.insert_model(*self._removed)


class RenameModel(Command):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.text = tr("rename model {old} to {new}", old=old, new=new)

    def redo(self, doc: Any) -> None:
        self._rename(doc, self.old, self.new)

    def undo(self, doc: Any) -> None:
        self._rename(doc, self.new, self.old)

    @staticmethod
    def _rename(doc: Any, old: str, new: str) -> None:
        """The model and every use of it, in whichever model: a use names its model by its type."""
        doc.rename_model(old, new)
        for graph in doc.project.models:
            for node in [n for n in graph.nodes if n.type == old]:
                doc.replace_node(graph.name, Node(node.id, new, node.params, node.ui))


class SetModuleParams(Command):
    """Replace the parameters a model declares for its uses (`planes`, `stride`)."""

    def __init__(self, model: str, params: list[ModuleParam], text: str | None = None) -> None:
        self.model, self.params = model, list(params)
        self.text = text if text is not None else tr("set module parameters")
        self._old: list[ModuleParam] = []

    def redo(self, doc: Any) -> None:
        self._old = doc.set_model_params(self.model, self.params)

    def undo(self, doc: Any) -> None:
        doc.set_model_params(self.model, self._old)


class SetSection(Command):
    """Replace the project's `data` or `training` settings."""

    def __init__(self, section: str, value: dict[str, Any], text: str | None = None,
                 merge_key: Hashable | None = None) -> None:
        if section not in ("data", "training"):
            raise ValueError(section)
        self.section, self.value = section, copy.deepcopy(value)
        self.text = text or (tr("change data settings") if section == "data" else tr("change training settings"))
        self.merge_key = merge_key
        self._old: dict[str, Any] | None = None
        self._done = False

    def redo(self, doc: Any) -> None:
        old = doc.set_section(self.section, self.value)
        if not self._done:  # the first redo's old value is the one to go back to, after merges too
            self._old, self._done = old, True

    def undo(self, doc: Any) -> None:
        doc.set_section(self.section, self._old)

    def absorb(self, later: Command) -> None:
        self.value = later.value

    @property
    def changes_nothing(self) -> bool:
        return self._done and self._old == self.value


class SetRuns(Command):
    """Replace the run history (a finished run added, an old one removed)."""

    def __init__(self, runs: list[Any], text: str) -> None:
        self.runs, self.text = copy.deepcopy(runs), text
        self._old: list[Any] | None = None

    def redo(self, doc: Any) -> None:
        self._old = doc.set_runs(self.runs)

    def undo(self, doc: Any) -> None:
        doc.set_runs(self._old)


class UndoStack:
    """Commands done so far; undo and redo move through them. `set_clean` marks the saved state."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self._commands: list[Command] = []
        self._index = 0  # commands[:index] are done
        self._clean: int | None = 0
        self.changed = Signal()  # (): can_undo, can_redo or is_clean may have changed

    def push(self, command: Command) -> None:
        was_clean = self.is_clean
        command.redo(self.doc)
        if self._merges_into_top(command):
            top = self._commands[self._index - 1]
            top.absorb(command)
            if top.changes_nothing:  # back where the step began: the step is gone
                self._commands.pop()
                self._index -= 1
            self._finish(was_clean)
            return
        del self._commands[self._index:]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state can no longer be reached by undo or redo
        self._commands.append(command)
        self._index += 1
        self._finish(was_clean)

    def undo(self) -> None:
        if not self.can_undo:
            return
        was_clean = self.is_clean
        self._index -= 1
        self._commands[self._index].undo(self.doc)
        self._finish(was_clean)

    def redo(self) -> None:
        if not self.can_redo:
            return
        was_clean = self.is_clean
        self._commands[self._index].redo(self.doc)
        self._index += 1
        self._finish(was_clean)

    def _merges_into_top(self, command: Command) -> bool:
        """Same key as the last step, nothing redoable after it, and not across the saved state (undo must
        still reach the saved file)."""
        if command.merge_key is None or self._index == 0 or self._index != len(self._commands):
            return False
        return self._commands[self._index - 1].merge_key == command.merge_key and self._clean != self._index

    def _finish(self, was_clean: bool) -> None:
        self.doc.edited.emit()
        self.changed.emit()
        if was_clean != self.is_clean:
            self.doc.dirty_changed.emit(not self.is_clean)

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0
        self._clean = 0
        self.changed.emit()

    def set_clean(self) -> None:
        was_clean = self.is_clean
        self._clean = self._index
        self.changed.emit()
        if not was_clean:
            self.doc.dirty_changed.emit(False)

    def mark_unsaved(self) -> None:
        """The document holds work no file has (recovered after a crash, say)."""
        was_clean = self.is_clean
        self._clean = None
        self.changed.emit()
        if was_clean:
            self.doc.dirty_changed.emit(True)

    @property
    def is_clean(self) -> bool:
        return self._clean == self._index

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""
