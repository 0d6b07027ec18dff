"""Checking a model: structure, parameters, ports, and shape inference over the graph order.

Every problem is reported, each pinned to its node, in words a learner understands. The report
also carries what code generation needs: the order, each node's resolved parameters and inputs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from builder.blocks.params import unknown_param_message
from builder.blocks.registry import BLOCKS
from builder.blocks.spec import BlockSpec, ShapeError, product
from builder.core.graph import ModelGraph, Node
from builder.core.problems import Fix, Problem
from builder.core.shapes import Shape, format_shape
from builder.core.structure import analyze_structure

# torch counts a tensor's values in a signed 64-bit integer. Refusing larger outputs here also keeps every
# size after them small enough to compute and print (sizes would otherwise grow without bound, layer by layer).
MAX_VALUES = 2**63 - 1


@dataclass(frozen=True)
class NodeInfo:
    shape: Shape
    params: int
    macs: int
    resolved: dict[str, Any]  # every parameter: given, default or inferred from the wires


@dataclass
class ModelReport:
    model: ModelGraph
    order: list[str]  # nodes off any cycle, in graph order
    sources: dict[str, list[str]]  # node -> the nodes wired into it, in port order
    consumers: dict[str, list[str]]
    infos: dict[str, NodeInfo] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)  # nodes an Output depends on
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def ok(self) -> bool:
        return not self.errors

    def of_type(self, type_name: str) -> list[str]:
        return [n for n in self.order if n in self.live and self.type_of(n) == type_name]

    def type_of(self, node_id: str) -> str:
        return self._types[node_id]

    @property
    def inputs(self) -> list[str]:
        return self.of_type("Input")

    @property
    def outputs(self) -> list[str]:
        return self.of_type("Output")

    @property
    def total_params(self) -> int:
        return sum(self.infos[n].params for n in self.live if n in self.infos)

    @property
    def total_macs(self) -> int:
        return sum(self.infos[n].macs for n in self.live if n in self.infos)

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node == node_id or node_id in p.related]

    def __post_init__(self) -> None:
        self._types = {node.id: node.type for node in self.model.nodes}


def check_model(model: ModelGraph) -> ModelReport:
    structure = analyze_structure(model)
    sources = {n.id: [structure.inputs.get(n.id, {})[p] for p in sorted(structure.inputs.get(n.id, {}))]
               for n in model.nodes}
    report = ModelReport(model, structure.order, sources, structure.consumers, problems=list(structure.problems))
    specs: dict[str, BlockSpec] = {}
    resolved: dict[str, dict[str, Any]] = {}
    for node in model.nodes:
        spec = BLOCKS.get(node.type)
        if spec is None:
            report.problems.append(Problem(node.id, _unknown_type(node.type)))
            continue
        specs[node.id] = spec
        params, problems = resolve_params(spec, node)
        report.problems.extend(Problem(node.id, m) for m in problems)
        ports_ok = _check_ports(spec, node.id, structure.inputs.get(node.id, {}), report)
        if params is not None and ports_ok:
            resolved[node.id] = params

    for type_name in ("Input", "Output"):
        if not any(spec.type == type_name for spec in specs.values()):
            report.problems.append(Problem(None, f"the model has no {type_name} block"))

    for node_id in structure.order:
        if node_id not in resolved:
            continue
        ins = [report.infos[s].shape for s in sources[node_id] if s in report.infos]
        if len(ins) != len(sources[node_id]):
            continue  # an upstream node has a problem of its own; don't pile up messages
        params = dict(resolved[node_id])
        try:
            inferred = specs[node_id].infer(params, ins)
        except ShapeError as exc:
            report.problems.append(Problem(node_id, str(exc)))
            continue
        if product(inferred.shape) > MAX_VALUES:
            report.problems.append(Problem(node_id, f"its output, {format_shape(inferred.shape)}, has more values "
                                                    f"than a tensor can hold ({MAX_VALUES:,})"))
            continue
        report.infos[node_id] = NodeInfo(inferred.shape, inferred.params, inferred.macs, params)
        if inferred.advice is not None:
            advice = inferred.advice
            fix = Fix(advice.insert_before, node_id) if advice.insert_before else None
            report.problems.append(Problem(node_id, advice.message, warning=True, fix=fix))

    _mark_live(report, structure.graph, specs)
    return report


def resolve_params(spec: BlockSpec, node: Node) -> tuple[dict[str, Any] | None, list[str]]:
    """The node's parameters validated against the declaration, with defaults filled in."""
    problems = []
    known = [p.name for p in spec.params]
    for name in node.params:
        if name not in known:
            problems.append(unknown_param_message(name, known))
    values: dict[str, Any] = {}
    for param in spec.params:
        if param.name not in node.params:
            if param.required:
                problems.append(f"{param.name} is required: {param.help[0].lower()}{param.help[1:]}")
                continue
            values[param.name] = param.default
            continue
        value, error = param.validate(node.params[param.name])
        if error:
            problems.append(error)
        else:
            values[param.name] = value
    if problems:
        return None, problems
    if spec.check_params:
        problems = spec.check_params(values)
    return (None if problems else values), problems


def _check_ports(spec: BlockSpec, node_id: str, ports: dict[int, str], report: ModelReport) -> bool:
    before = len(report.problems)

    def fail(message: str) -> None:
        report.problems.append(Problem(node_id, message))

    if spec.max_inputs == 0:
        if ports:
            fail(f"{spec.type} takes no inputs, but '{ports[min(ports)]}' is wired into it")
    elif spec.max_inputs is not None:
        for port in sorted(ports):
            if port >= spec.max_inputs:
                fail(f"port {port} is wired from '{ports[port]}', but {spec.type} takes "
                     f"{'one input' if spec.max_inputs == 1 else f'{spec.max_inputs} inputs'}")
        for port in range(spec.max_inputs):
            if port not in ports:
                fail("its input is not connected" if spec.max_inputs == 1 else f"input port {port} is not connected")
    else:
        wired = len(ports)
        if wired < spec.min_inputs:
            fail(f"needs at least {spec.min_inputs} inputs, has {wired}")
        elif ports and max(ports) >= wired:
            gap = min(p for p in range(max(ports)) if p not in ports)
            fail(f"input port {gap} is empty but port {max(ports)} is wired; wire the ports in order")
    return len(report.problems) == before


def _mark_live(report: ModelReport, graph: nx.DiGraph, specs: dict[str, BlockSpec]) -> None:
    outputs = [n for n in report.order if n in specs and specs[n].is_output]
    live = _feeding(graph, outputs)
    report.live = live & set(report.order)
    if not outputs:
        return
    for node_id in report.order:
        if node_id not in live:
            report.problems.append(Problem(
                node_id, "its output reaches no Output block, so it is left out of the generated code",
                warning=True))


def _feeding(graph: nx.DiGraph, targets: list[str]) -> set[str]:
    """The targets and every node with a path to one of them.

    One walk backwards from all targets at once: the ancestors of each target in turn cost
    outputs × nodes, minutes for a file with thousands of Outputs after a long chain."""
    found = set(targets)
    stack = list(targets)
    while stack:
        for source in graph.predecessors(stack.pop()):
            if source not in found:
                found.add(source)
                stack.append(source)
    return found


def _unknown_type(type_name: str) -> str:
    close = difflib.get_close_matches(type_name, BLOCKS.names(), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown block type '{type_name}'{hint}"
