"""The open project as an editable document: the only state the editor's views draw from.

Views never change the project themselves: they run commands (`builder.core.commands`) through
`Document.execute`, and follow the document's events. Each primitive change emits `changed`
with what it touched; a whole command ends with one `edited`, the moment to re-check the graph.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.core.events import Signal
from builder.core.graph import Edge, ModelGraph, Node
from builder.core.i18n import tr
from builder.core.project import Project, load_project, project_to_json, save_project

# What a Change is about.
NODE_ADDED = "node_added"
NODE_REMOVED = "node_removed"
NODE_CHANGED = "node_changed"  # type or params: shapes must be inferred again
NODE_MOVED = "node_moved"  # only its position on the canvas
EDGE_ADDED = "edge_added"
EDGE_REMOVED = "edge_removed"
MODEL_ADDED = "model_added"
MODEL_REMOVED = "model_removed"
MODEL_RENAMED = "model_renamed"
MODEL_PARAMS_CHANGED = "model_params_changed"  # the parameters a module declares for its uses
SECTION_CHANGED = "section_changed"  # data or training settings
RUNS_CHANGED = "runs_changed"  # the run history


@dataclass(frozen=True)
class Change:
    kind: str
    model: str | None = None
    node: str | None = None
    edge: Edge | None = None
    detail: Any = None  # the section's name, a model's old name...


class Document:
    def __init__(self, project: Project | None = None) -> None:
        from builder.core.commands import UndoStack  # commands build on the document

        self.project = project or Project()
        self.undo_stack = UndoStack(self)
        self.changed = Signal()  # (Change): one primitive change
        self.edited = Signal()  # (): a command finished, undone or redone
        self.reset = Signal()  # (): a different project was loaded into the document
        self.dirty_changed = Signal()  # (bool)

    # -- files ----------------------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self.project.path

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.is_clean

    def load(self, path: str | Path) -> None:
        """Replace the project with a file's. On any error the current project stays as it was."""
        self.replace(load_project(path))

    def replace(self, project: Project) -> None:
        self.project = project
        self.undo_stack.clear()
        self.reset.emit()
        self.dirty_changed.emit(False)

    def save(self, path: str | Path | None = None) -> None:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError(tr("the project has no file yet: give a path"))
        save_project(self.project, target)
        self.undo_stack.set_clean()

    def to_json(self) -> str:
        return project_to_json(self.project)

    # -- commands -------------------------------------------------------------------------------

    def execute(self, command: Any) -> None:
        self.undo_stack.push(command)

    def model(self, name: str) -> ModelGraph:
        return self.project.model(name)

    # -- primitive changes: only commands call these --------------------------------------------

    def insert_node(self, model: str, node: Node, index: int | None = None) -> None:
        nodes = self.model(model).nodes
        nodes.insert(len(nodes) if index is None else index, node)
        self.changed.emit(Change(NODE_ADDED, model, node.id))

    def remove_node(self, model: str, node_id: str) -> tuple[Node, int]:
        nodes = self.model(model).nodes
        index = next(i for i, n in enumerate(nodes) if n.id == node_id)
        node = nodes.pop(index)
        self.changed.emit(Change(NODE_REMOVED, model, node_id))
        return node, index

    def replace_node(self, model: str, node: Node) -> Node:
        """Swap in a node with the same id (new params or position); returns the old one."""
        nodes = self.model(model).nodes
        index = next(i for i, n in enumerate(nodes) if n.id == node.id)
        old = nodes[index]
        nodes[index] = node
        moved_only = old.type == node.type and old.params == node.params
        self.changed.emit(Change(NODE_MOVED if moved_only else NODE_CHANGED, model, node.id))
        return old

    def insert_edge(self, model: str, edge: Edge, index: int | None = None) -> None:
        edges = self.model(model).edges
        edges.insert(len(edges) if index is None else index, edge)
        self.changed.emit(Change(EDGE_ADDED, model, edge=edge))

    def remove_edge(self, model: str, edge: Edge) -> int:
        edges = self.model(model).edges
        index = edges.index(edge)
        edges.pop(index)
        self.changed.emit(Change(EDGE_REMOVED, model, edge=edge))
        return index

    def insert_model(self, graph: ModelGraph, index: int | None = None) -> None:
        models = self.project.models
        models.insert(len(models) if index is None else index, graph)
        self.changed.emit(Change(MODEL_ADDED, graph.name))

    def remove_model(self, name: str) -> tuple[ModelGraph, int]:
        models = self.project.models
        index = next(i for i, m in enumerate(models) if m.name == name)
        graph = models.pop(index)
        self.changed.emit(Change(MODEL_REMOVED, name))
        return graph, index

    def rename_model(self, old: str, new: str) -> None:
        self.model(old).name = new
        self.changed.emit(Change(MODEL_RENAMED, new, detail=old))

    def set_model_params(self, model: str, params: list[Any]) -> list[Any]:
        """Replace the parameters a model declares; returns the old ones."""
        graph = self.model(model)
        old, graph.params = graph.params, list(params)
        self.changed.emit(Change(MODEL_PARAMS_CHANGED, model))
        return old

    def set_section(self, section: str, value: dict[str, Any]) -> dict[str, Any]:
        """Replace the `data` or `training` section; returns the old value."""
        old = getattr(self.project, section)
        setattr(self.project, section, copy.deepcopy(value))
        self.changed.emit(Change(SECTION_CHANGED, detail=section))
        return old

    def set_runs(self, runs: list[Any]) -> list[Any]:
        """Replace the run history; returns the old one."""
        old = self.project.runs
        self.project.runs = copy.deepcopy(runs)
        self.changed.emit(Change(RUNS_CHANGED))
        return old
