"""From traced instances to the project's models: one definition per class and structure, with module
parameters where the instances differ only in numbers.

Instances of one class whose graphs have the same nodes and wires share a definition. A number that differs
between them becomes a module parameter, named after the constructor argument that holds the same value in
every instance (`BasicBlock(64, 128, stride=2)`: conv1's out_channels is `planes`, its stride is `stride`),
else after the block's parameter; a number every instance gives the same value stays a literal, unless the
constructor has an argument of the very same name holding it (DownBlock's `stride`). Values a module
parameter cannot hold (a choice, a list) split the instances into definitions of their own.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from builder.blocks.modules import param_of
from builder.blocks.registry import BLOCKS
from builder.core.graph import Edge, ModelGraph, ModuleParam, Node
from builder.core.i18n import tr
from builder.core.project import MODULE_PARAM_KINDS
from builder.importer.mapping import project_value
from builder.importer.trace import Instance, RawNode

Position = tuple[str, str]  # (node id, parameter)
# The sizes a layer makes, which a constructor argument of another name may give (num_classes, width).
_SIZES = ("out_channels", "out_features")


@dataclass
class _Declared:
    """What a definition's uses may set, as the instances of its group give it."""

    params: list[ModuleParam]
    refs: dict[Position, str]  # the positions that refer to a module parameter


class Definitions:
    def __init__(self, top: Instance) -> None:
        self.top = top
        self.models: dict[str, ModelGraph] = {}
        self.declared: dict[str, _Declared] = {}
        self.order: list[Instance] = []  # every instance below the top, parents before children
        self._walk(top)

    def _walk(self, instance: Instance) -> None:
        for node in instance.nodes:
            if node.use is not None:
                self.order.append(node.use)
                self._walk(node.use)

    def build(self, taken: set[str]) -> list[ModelGraph]:
        """The top model and the definitions its uses need, top first, each definition once."""
        classes: dict[str, list[Instance]] = {}
        for instance in self.order:
            classes.setdefault(instance.class_name, []).append(instance)
        # Children before parents: a parent's structure names its children's definitions.
        for name in sorted(classes, key=lambda c: max(i.height() for i in classes[c])):
            self._define(name, classes[name], taken)
        # The top class built with no arguments must be the network imported: its parameters default to the
        # values it was constructed with.
        top = self._graph(self.top, self.top.class_name, self._declare([self.top], own_defaults=False),
                          own_inputs=False)
        seen: list[str] = []
        for instance in self.order:
            if instance.definition not in seen:
                seen.append(instance.definition)
        return [top, *(self.models[name] for name in seen)]

    def _define(self, class_name: str, instances: list[Instance], taken: set[str]) -> None:
        groups: dict[Any, list[Instance]] = {}
        for instance in instances:
            groups.setdefault(self._structure(instance), []).append(instance)
        for index, group in enumerate(groups.values()):
            name = _free(class_name if index == 0 else f"{class_name}{index + 1}", taken)
            taken.add(name)
            declared = self._declare(group)
            self.declared[name] = declared
            for instance in group:
                instance.definition = name
                values = {p.name: self._value_at(instance, position) for position, p in _by_position(declared)}
                instance.use_params = {k: v for k, v in values.items()
                                       if not _same(v, next(p.default for p in declared.params if p.name == k))}
            self.models[name] = self._graph(group[0], name, declared)

    # -- what the instances of a class share ---------------------------------------------------------

    def _structure(self, instance: Instance) -> Any:
        """What instances sharing a definition must have in common: nodes, types, wires, and every value
        that a module parameter could not stand for."""
        parts = []
        for node in instance.nodes:
            kind_of = self._kinds(node)
            fixed = () if node.type == "Input" else tuple(sorted(
                (k, repr(v)) for k, v in self._values(node).items()
                if kind_of.get(k) not in MODULE_PARAM_KINDS or v is None))
            parts.append((node.id, self._type(node), tuple(node.sources), fixed))
        return tuple(parts), tuple(instance.outputs)

    def _type(self, node: RawNode) -> str:
        return node.use.definition if node.use is not None else node.type

    def _values(self, node: RawNode) -> dict[str, Any]:
        """Every parameter the node can be given, defaults filled in (what the project would leave out)."""
        if node.use is not None:
            declared = self.declared[node.use.definition]
            return {p.name: node.use.use_params.get(p.name, p.default) for p in declared.params}
        spec = BLOCKS[node.type]
        values = {p.name: p.default for p in spec.params if not p.required and not p.inferred}
        values.update(node.params)
        return values

    def _kinds(self, node: RawNode) -> dict[str, str]:
        if node.use is not None:
            return {p.name: p.kind for p in self.declared[node.use.definition].params}
        if node.type == "Input":
            return {}
        return {p.name: p.kind for p in BLOCKS[node.type].params}

    def _value_at(self, instance: Instance, position: Position) -> Any:
        node = next(n for n in instance.nodes if n.id == position[0])
        return self._values(node)[position[1]]

    def _declare(self, group: list[Instance], own_defaults: bool = True) -> _Declared:
        first = group[0]
        params: list[ModuleParam] = []
        holds: dict[str, list[Any]] = {}  # module parameter -> its value in each instance
        refs: dict[Position, str] = {}
        for node in first.nodes:
            kinds = self._kinds(node)
            for key, value in self._values(node).items():
                if kinds.get(key) not in MODULE_PARAM_KINDS or value is None:
                    continue
                position = (node.id, key)
                seen = [self._value_at(i, position) for i in group]
                varying = any(not _same(v, seen[0]) for v in seen)
                name = self._argument(group, seen, key, varying, self._default(node, key))
                if name is None and not varying:
                    continue
                name = name or key
                if name in holds and not all(_same(a, b) for a, b in zip(holds[name], seen)):
                    name = _free(f"{node.id}_{key}".replace(".", "_"), set(holds))
                if name not in holds:
                    holds[name] = seen
                    params.append(self._param(name, kinds[key], first, seen[0], node, key, own_defaults))
                refs[position] = name
        order = list(first.args)  # as the constructor declares them: BasicBlock(inplanes, planes, stride)
        params.sort(key=lambda p: order.index(p.name) if p.name in order else len(order))
        return _Declared(params, refs)

    def _default(self, node: RawNode, key: str) -> Any:
        if node.use is not None:
            return next(p.default for p in self.declared[node.use.definition].params if p.name == key)
        return BLOCKS[node.type].param(key).default

    def _argument(self, group: list[Instance], seen: list[Any], key: str, varying: bool, default: Any) -> str | None:
        """The constructor argument holding the value in every instance: the one of the parameter's own name
        (stride) first; then, as a value often has several names (a block's inplanes and planes are equal where
        its channels stay), the later one, the output's. A value that does not vary is linked only when it is not
        the block's default (the stride of 2 a DownBlock is given, not the stride of 1 every plain conv has)
        and, for a size a layer makes, no other argument holds the same value (ResNet's num_classes of 10 is its
        fc's out_features; a kernel_size of 1 is not a channel count of 1)."""
        def holds(name: str) -> bool:
            return all(name in i.args and _same(project_value(i.args[name]), v) for i, v in zip(group, seen))

        if holds(key) and (varying or not _same(seen[0], default)):
            return key
        candidates = [name for name in reversed(group[0].args) if holds(name)]
        if varying:
            return candidates[0] if candidates else None
        if key not in _SIZES or _same(seen[0], default) or len(candidates) != 1:
            return None
        return candidates[0]

    def _param(self, name: str, kind: str, first: Instance, value: Any, node: RawNode, key: str,
               own_defaults: bool) -> ModuleParam:
        """`own_defaults`: the constructor's default where it declares one, else the first instance's value."""
        default = _signature_default(first, name) if own_defaults else None
        if default is None or param_of(ModuleParam(name, kind, default)).validate(default)[1]:
            default = value
        spec = BLOCKS.get(node.type) if node.use is None else None
        block_param = spec.param(key) if spec is not None else None
        low = block_param.min if block_param is not None else None
        high = block_param.max if block_param is not None else None
        # The help a person reads in the Inspector, kept in the project: written in the language in use.
        if node.use is None:
            help_text = tr("The {parameter} of {node} (imported from the constructor's {argument}).", parameter=key,
                           node=node.id, argument=name)
        else:
            help_text = tr("The {parameter} of the {module} {node} (imported from the constructor's {argument}).",
                           parameter=key, module=node.use.definition, node=node.id, argument=name)
        return ModuleParam(name, kind, default, help_text, min=low, max=high)

    def _own_shape(self, instance: Instance, raw: RawNode) -> list[int]:
        """A definition's Input shape: its first use's, with the channels the constructor declares by default
        where an argument of it gives the channels (`in_channels=1`), so the class built with no arguments is
        the class the code was written with."""
        shape = list(raw.params["shape"])
        group = [i for i in self.order if i.definition == instance.definition]
        for name in instance.args:
            default = _signature_default(instance, name)
            if isinstance(default, int) and not isinstance(default, bool) and default > 0 and all(
                    _same(i.args.get(name), _input_shape(i, raw.id)[0]) for i in group):
                return [default, *shape[1:]]
        return shape

    # -- the project's model -----------------------------------------------------------------------

    def _graph(self, instance: Instance, name: str, declared: _Declared, own_inputs: bool = True) -> ModelGraph:
        nodes: list[Node] = []
        edges: list[Edge] = []
        for raw in instance.nodes:
            params = dict(raw.params) if raw.use is None else dict(raw.use.use_params)
            if raw.type == "Input" and own_inputs:
                params["shape"] = self._own_shape(instance, raw)
            for (node_id, key), ref in declared.refs.items():
                if node_id == raw.id:
                    params[key] = {"ref": ref}
            nodes.append(Node(raw.id, self._type(raw), params))
            edges += [Edge(src, raw.id, port, src_port) for port, (src, src_port) in enumerate(raw.sources)]
        ids = {n.id for n in nodes}
        outputs = ["out"] if len(instance.outputs) == 1 else [f"out{i}" for i in range(len(instance.outputs))]
        for out, (src, src_port) in zip(outputs, instance.outputs):
            out_id = _free(out, ids)
            ids.add(out_id)
            nodes.append(Node(out_id, "Output"))
            edges.append(Edge(src, out_id, 0, src_port))
        return ModelGraph(name, nodes, edges, params=list(declared.params))


def _by_position(declared: _Declared) -> list[tuple[Position, ModuleParam]]:
    """Each module parameter with the first position that refers to it."""
    found = []
    for param in declared.params:
        position = next(p for p, n in declared.refs.items() if n == param.name)
        found.append((position, param))
    return found


def _input_shape(instance: Instance, input_id: str) -> list[int]:
    return next(n.params["shape"] for n in instance.nodes if n.id == input_id)


def _signature_default(instance: Instance, name: str) -> Any:
    """The default the class's constructor declares for the argument, if it declares one."""
    try:
        parameter = inspect.signature(type(instance.module).__init__).parameters.get(name)
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return project_value(parameter.default)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _free(name: str, taken: set[str]) -> str:
    """The name, or the name with a number after it, not yet taken and not a block type."""
    candidate, counter = name, 1
    while candidate in taken or BLOCKS.get(candidate) is not None:
        counter += 1
        candidate = f"{name}{counter}"
    return candidate
