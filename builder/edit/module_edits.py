"""The editor's actions on modules: use one, group blocks into one, ungroup a use, set a use's values, and
declare, link, rename and remove the parameters a module offers its uses. Each is one undoable command, or
refused with the reason. Editor (editor.py) exposes them; nothing here knows about Qt.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from builder.blocks.check import ModelReport
from builder.blocks.modules import module_inputs, module_outputs, param_of
from builder.blocks.params import BOOL, FLOAT, FLOAT_PAIR, INT, INT_PAIR, Param
from builder.blocks.registry import BLOCKS
from builder.core.commands import AddNode, Command, Macro, SetModuleParams, SetNode
from builder.core.fragments import fresh_id
from builder.core.graph import REF, ModelGraph, ModuleParam, Node, ref_name
from builder.core.grouping import attribute_prefix, entering, group, outside_path, ungroup, use_chain
from builder.core.i18n import tr
from builder.core.project import MODULE_PARAM_KINDS

if TYPE_CHECKING:
    from builder.edit.editor import Editor

# A block parameter of these kinds can be given by a module parameter of the same kind.
LINKABLE = {INT: INT, FLOAT: FLOAT, BOOL: BOOL, INT_PAIR: INT_PAIR, FLOAT_PAIR: FLOAT_PAIR}
assert set(LINKABLE.values()) <= set(MODULE_PARAM_KINDS)


class ModuleEdits:
    def __init__(self, editor: Editor) -> None:
        self.editor = editor

    @property
    def _models(self) -> dict[str, ModelGraph]:
        return {m.name: m for m in self.editor.document.project.models}

    def _error(self, message: str) -> Exception:
        from builder.edit.editor import EditError

        return EditError(message)

    # -- uses -----------------------------------------------------------------------------------

    def use_refusal(self, name: str, container: str) -> str | None:
        chain = use_chain(list(self._models.values()), container, name)
        if chain is not None:
            return tr("{name} cannot go inside {container}: {name} would use itself ({chain})", name=name,
                      container=container, chain=" › ".join(chain))
        return None

    def add_use(self, name: str, pos: tuple[float, float]) -> str:
        """A use of the model `name` in the model shown, with the module's defaults."""
        editor = self.editor
        if name not in self._models:
            raise self._error(tr("no model named '{name}' in this project", name=name))
        refusal = self.use_refusal(name, editor.model_name)
        if refusal is not None:
            raise self._error(refusal)
        node_id = fresh_id(attribute_prefix(name), set(editor.graph.node_ids()))
        node = Node(node_id, name, {}, {"pos": [round(pos[0], 1), round(pos[1], 1)]})
        editor._execute(AddNode(editor.model_name, node))
        return node_id

    def group(self, node_ids: list[str], name: str, report: ModelReport | None) -> str:
        """The selection becomes the model `name`, used where it was; returns the use's id."""
        editor, graph = self.editor, self.editor.graph
        name = name.strip()
        if not node_ids:
            raise self._error(tr("select the blocks to group into a module"))
        editor.check_name(name)
        if name in self._models or BLOCKS.get(name) is not None:
            raise self._error(tr("'{name}' is taken: a module needs a name no model or block type has", name=name))
        ends = [i for i in node_ids if BLOCKS.get(graph.node(i).type) is not None
                and (BLOCKS.get(graph.node(i).type).is_input or BLOCKS.get(graph.node(i).type).is_output)]
        if ends:
            raise self._error(tr("'{node}' is an {type}: a module's Inputs and Outputs are made from the wires "
                                 "entering and leaving the selection; select the blocks between them", node=ends[0],
                                 type=graph.node(ends[0]).type))
        between = outside_path(graph, set(node_ids))
        if between is not None:
            raise self._error(tr("'{node}' is outside the selection but between blocks in it: grouping would make "
                                 "a cycle; add it to the selection or leave out what follows it", node=between))
        shapes = {}
        for src, port in entering(graph, set(node_ids)):
            info = report.infos.get(src) if report is not None else None
            if info is None or port >= len(info.outputs):
                raise self._error(tr("the shape '{node}' passes into the selection is unknown: fix the problems "
                                     "before it, so the module's Input knows its shape", node=src))
            shapes[(src, port)] = info.outputs[port]
        if not entering(graph, set(node_ids)):
            raise self._error(tr("nothing is wired into the selection: a module needs an input"))
        grouped = group(graph, node_ids, name, shapes)
        editor._execute(grouped.command)
        return grouped.use_id

    def ungroup(self, use_id: str) -> list[str]:
        editor = self.editor
        node = editor.graph.node(use_id)
        definition = self._models.get(node.type)
        if definition is None:
            raise self._error(tr("'{node}' is a {type} block, not a use of a module: nothing to ungroup", node=use_id,
                                 type=node.type))
        command, ids = ungroup(editor.graph, definition, use_id)
        editor._execute(command)
        return ids

    def use_param(self, node: Node, name: str) -> Param | None:
        """The declaration a use's parameter follows (its module's), or None for a node that is no use."""
        definition = self._models.get(node.type)
        if definition is None:
            return None
        declared = next((p for p in definition.params if p.name == name), None)
        if declared is None:
            raise self._error(tr("{module} has no parameter '{name}'", module=definition.name, name=name))
        return param_of(declared)

    def ports(self, node: Node) -> tuple[int, int] | None:
        """(inputs, outputs) of a use, or None for a node that is no use."""
        definition = self._models.get(node.type)
        if definition is None:
            return None
        return len(module_inputs(definition)), len(module_outputs(definition))

    # -- module parameters ----------------------------------------------------------------------

    def declare(self, node_id: str, key: str, name: str) -> None:
        """A new parameter `name` of the model shown, its kind and default from block `node_id`'s `key`, and
        that param linked to it: `conv1.out_channels` → `planes`. One undo step."""
        editor, graph = self.editor, self.editor.graph
        name = name.strip()
        if not name.isidentifier() or name in ("self", "x") or name.startswith("_"):
            raise self._error(tr("'{name}' cannot name a parameter: use letters, digits and _ (planes, stride)",
                                 name=name))
        if any(p.name == name for p in graph.params):
            raise self._error(tr("{module} already has a parameter '{name}': link to it instead", module=graph.name,
                                 name=name))
        node = graph.node(node_id)
        param = self._linkable(node, key)
        value = self._current(node, key, param)
        declared = ModuleParam(name, LINKABLE[param.kind], value, param.help, param.min, param.max)
        changed = node.copy()
        changed.params[key] = {REF: name}
        editor._execute(Macro(tr("make {node}.{key} the module parameter {name}", node=node_id, key=key, name=name), [
            SetModuleParams(graph.name, [*graph.params, declared]),
            SetNode(graph.name, changed, tr("link {node}.{key} to {name}", node=node_id, key=key, name=name))]))

    def link(self, node_id: str, key: str, name: str | None) -> None:
        """Block `node_id`'s `key` takes the module parameter `name`'s value; None: its own value again (the
        module parameter's default, so nothing changes until it is edited)."""
        editor, graph = self.editor, self.editor.graph
        node = graph.node(node_id)
        param = self._linkable(node, key)
        current = ref_name(node.params.get(key))
        if name == current:
            return
        changed = node.copy()
        if name is None:
            declared = next((p for p in graph.params if p.name == current), None)
            changed.params[key] = copy.deepcopy(declared.default if declared is not None else param.default)
        else:
            declared = next((p for p in graph.params if p.name == name), None)
            if declared is None:
                raise self._error(tr("{module} has no parameter '{name}'", module=graph.name, name=name))
            _value, error = param.validate(declared.default)
            if LINKABLE[param.kind] != declared.kind or error:
                raise self._error(tr("{key} is {kind}; {name} is {declared}: they cannot be linked", key=key,
                                     kind=param.kind_text(), name=name, declared=declared.kind))
            changed.params[key] = {REF: name}
        editor._execute(SetNode(graph.name, changed,
                                tr("link {node}.{key} to {name}", node=node_id, key=key, name=name) if name
                                else tr("unlink {node}.{key}", node=node_id, key=key)))

    def set_default(self, name: str, value: Any) -> None:
        editor, graph = self.editor, self.editor.graph
        declared = self._declared(graph, name)
        normal, error = param_of(declared).validate(value)
        if error:
            raise self._error(error)
        params = [ModuleParam(p.name, p.kind, normal if p.name == name else p.default, p.help, p.min, p.max)
                  for p in graph.params]
        if params != graph.params:
            editor._execute(SetModuleParams(graph.name, params,
                                            tr("set {module}'s {name} default", module=graph.name, name=name)))

    def rename(self, old: str, new: str) -> None:
        """The parameter, the blocks referring to it and every use's value, renamed together."""
        editor, graph = self.editor, self.editor.graph
        new = new.strip()
        declared = self._declared(graph, old)
        if new == old:
            return
        if not new.isidentifier() or new.startswith("_"):
            raise self._error(tr("'{name}' cannot name a parameter: use letters, digits and _ (planes, stride)",
                                 name=new))
        if any(p.name == new for p in graph.params):
            raise self._error(tr("{module} already has a parameter '{name}'", module=graph.name, name=new))
        params = [ModuleParam(new, p.kind, p.default, p.help, p.min, p.max) if p is declared else p
                  for p in graph.params]
        text = tr("rename {module}'s {old} to {new}", module=graph.name, old=old, new=new)
        commands: list[Command] = [SetModuleParams(graph.name, params, text)]
        commands += _retarget(graph, old, {REF: new})
        commands += _rekey_uses(self._models.values(), graph.name, old, new)
        editor._execute(Macro(text, commands))

    def remove(self, name: str) -> None:
        """The parameter gone: its blocks keep its default as their own value, uses drop their values."""
        editor, graph = self.editor, self.editor.graph
        declared = self._declared(graph, name)
        commands: list[Command] = [SetModuleParams(graph.name, [p for p in graph.params if p is not declared])]
        commands += _retarget(graph, name, declared.default)
        commands += _rekey_uses(self._models.values(), graph.name, name, None)
        editor._execute(Macro(tr("remove {module}'s parameter {name}", module=graph.name, name=name), commands))

    def _declared(self, graph: ModelGraph, name: str) -> ModuleParam:
        declared = next((p for p in graph.params if p.name == name), None)
        if declared is None:
            raise self._error(tr("{module} has no parameter '{name}'", module=graph.name, name=name))
        return declared

    def _linkable(self, node: Node, key: str) -> Param:
        spec = BLOCKS.get(node.type)
        if spec is None:
            use = self.use_param(node, key)
            if use is None:
                raise self._error(tr("'{node}' is an unknown block", node=node.id))
            return use
        param = spec.param(key)
        if param.kind not in LINKABLE or param.inferred:
            raise self._error(tr("{node}.{key} cannot take a module parameter: only numbers and on/off values can",
                                 node=node.id, key=key))
        return param

    def _current(self, node: Node, key: str, param: Param) -> Any:
        value = node.params.get(key, param.default)
        if ref_name(value) is not None or value is None:
            raise self._error(tr("{node}.{key} has no value of its own to start the parameter from: set one first",
                                 node=node.id, key=key))
        normal, error = param.validate(value)
        return list(normal) if isinstance(normal, tuple) else (value if error else normal)


def _retarget(graph: ModelGraph, name: str, value: Any) -> list[SetNode]:
    """Every param of the model's nodes referring to `name` given `value` instead (another ref, or a value)."""
    commands = []
    for node in graph.nodes:
        if any(ref_name(v) == name for v in node.params.values()):
            changed = node.copy()
            changed.params = {k: (copy.deepcopy(value) if ref_name(v) == name else v) for k, v in node.params.items()}
            commands.append(SetNode(graph.name, changed, tr("relink {node}", node=node.id)))
    return commands


def _rekey_uses(models: Any, module: str, old: str, new: str | None) -> list[SetNode]:
    """Each use of `module` that sets `old`: the value moved to `new`, or dropped (None)."""
    commands = []
    for graph in models:
        for node in graph.nodes:
            if node.type == module and old in node.params:
                changed = node.copy()
                value = changed.params.pop(old)
                if new is not None:
                    changed.params[new] = value
                commands.append(SetNode(graph.name, changed, tr("rekey {node}", node=node.id)))
    return commands
