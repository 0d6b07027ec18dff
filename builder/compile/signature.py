"""A module class's `__init__` arguments, found from the uses of the module.

Inside a module, a block's parameter is written as a literal when every use gives it the same value, as
the module parameter it refers to (`stride=stride`), and otherwise as the argument that explains it in every
use: a declared parameter with the same value in each (`planes`), the channels of the module's input
(`in_channels`, what the wires give), or else an argument of its own (`conv1_groups`). Every argument has
a default (the module checked on its own, or its first use), so the class also builds with no arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from builder.blocks.check import ModelReport
from builder.blocks.code import Symbol
from builder.compile.names import Namer
from builder.core.graph import ref_name


@dataclass
class Signature:
    arguments: list[tuple[str, Any]] = field(default_factory=list)  # (name, default), in order
    declared: set[str] = field(default_factory=set)  # the arguments that are the model's own parameters
    # (node, parameter) -> the Symbol or value the code writes for it
    values: dict[tuple[str, str], Any] = field(default_factory=dict)
    # argument -> how a use's value is read from its report: ("arg", name) | ("input", input id, dim)
    # | ("param", node, key)
    sources: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    values_of: Callable[[ModelReport, str], dict[str, Any]] | None = None

    def call_values(self, inner: ModelReport) -> list[tuple[str, Any, Any]]:
        """(argument, this use's value, the default) for a use whose check is `inner`."""
        return [(name, self.read(inner, self.sources[name]), default) for name, default in self.arguments]

    def read(self, report: ModelReport, source: tuple[Any, ...]) -> Any:
        kind = source[0]
        if kind == "arg":
            return report.args[source[1]]
        if kind == "input":
            return report.infos[source[1]].shape[source[2]]
        return self.values_of(report, source[1])[source[2]]


# values_of(report, node) -> what the node's code is written from: a block's resolved parameters, the call
# arguments of a use of a module.
ValuesOf = Callable[[ModelReport, str], dict[str, Any]]


# from_wires(node, key) -> whether a value left out of the node is given by the wires (in_channels), rather
# than being its default.
FromWires = Callable[[str, str], bool]


def signature(instances: list[ModelReport], is_module: bool, layered: list[str], values_of: ValuesOf,
              from_wires: FromWires) -> Signature:
    """`instances`: the checks of the model for each use (and on its own), all without errors; `layered`: the
    nodes whose parameters reach the code. A top-level model that no other uses keeps its literals."""
    base = instances[0]
    model = base.model
    sig = Signature(values_of=values_of)
    namer = Namer()
    renamed = {}
    for declared in model.params:
        name = renamed[declared.name] = namer.name(declared.name)
        sig.arguments.append((name, base.args[declared.name]))
        sig.declared.add(name)
        sig.sources[name] = ("arg", declared.name)
    nodes = {n.id: n for n in model.nodes}  # model.node() looks through the list: quadratic for a big model
    if not is_module:
        for node_id in layered:
            for key, value in values_of(base, node_id).items():
                ref = ref_name(nodes[node_id].params.get(key))
                sig.values[(node_id, key)] = Symbol(renamed[ref]) if ref in renamed else value
        return sig
    candidates = [(name, sig.sources[name]) for name, _ in sig.arguments]
    inputs = [i for i in base.inputs if base.infos[i].shape]
    for input_id in inputs:
        single = len(inputs) == 1
        noun = "channels" if len(base.infos[input_id].shape) > 1 else "features"
        candidates.append((f"in_{noun}" if single else f"{input_id}_{noun}", ("input", input_id, 0)))
    for node_id in layered:
        for key in values_of(base, node_id):
            ref = ref_name(nodes[node_id].params.get(key))
            if ref in renamed:
                sig.values[(node_id, key)] = Symbol(renamed[ref])
                continue
            seen = [values_of(r, node_id)[key] for r in instances]
            constant = all(_same(v, seen[0]) for v in seen)
            if constant and nodes[node_id].params.get(key) is None and from_wires(node_id, key):
                # Taken from the wires (in_channels, num_features): the module parameter it equals says why.
                declared = [c for c in candidates if c[1][0] == "arg"]
                name = _match(sig, declared, instances, seen)
                sig.values[(node_id, key)] = Symbol(name) if name else seen[0]
                continue
            if constant:
                sig.values[(node_id, key)] = seen[0]
                continue
            sig.values[(node_id, key)] = Symbol(_explain(sig, namer, candidates, instances, seen, node_id, key))
    order = {"input": 0, "arg": 1, "param": 2}  # as people write them: BasicBlock(in_channels, planes, stride)
    sig.arguments.sort(key=lambda item: order[sig.sources[item[0]][0]])
    return sig


def _match(sig: Signature, candidates: list[tuple[str, tuple[Any, ...]]], instances: list[ModelReport],
           seen: list[Any]) -> str | None:
    """The first declared argument with the node's value in every instance."""
    for name, source in candidates:
        if all(_same(sig.read(r, source), v) for r, v in zip(instances, seen)):
            return name
    return None


def _explain(sig: Signature, namer: Namer, candidates: list[tuple[str, tuple[Any, ...]]],
             instances: list[ModelReport], seen: list[Any], node_id: str, key: str) -> str:
    for name, source in candidates:
        if all(_same(sig.read(r, source), v) for r, v in zip(instances, seen)):
            taken = next((n for n, s in sig.sources.items() if s == source), None)
            if taken is None:  # an input's channels, first needed now
                taken = namer.name(name)
                sig.arguments.append((taken, sig.read(instances[0], source)))
                sig.sources[taken] = source
            return taken
    name = namer.name(f"{node_id}_{key}")
    sig.arguments.append((name, seen[0]))
    sig.sources[name] = ("param", node_id, key)
    candidates.append((name, ("param", node_id, key)))
    return name


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b
