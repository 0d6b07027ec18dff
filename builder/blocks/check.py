"""Checking a model: structure, parameters, ports, and shape inference over the graph order.

Every problem is reported, each pinned to its node, in words a learner understands. The report
also carries what code generation needs: the order, each node's resolved parameters and inputs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from builder.blocks.modules import (
    SEPARATOR,
    args_key,
    declaration_problems,
    default_args,
    module_inputs,
    substitute,
    use_args,
)
from builder.blocks.params import unknown_param_message
from builder.blocks.registry import BLOCKS
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, product
from builder.core.graph import Edge, ModelGraph, ModuleParam, Node
from builder.core.i18n import language, tr
from builder.core.problems import Fix, Problem
from builder.core.project import Project
from builder.core.shapes import Shape, format_shape
from builder.core.structure import analyze_structure

# torch counts a tensor's values in a signed 64-bit integer. Refusing larger outputs here also keeps every
# size after them small enough to compute and print (sizes would otherwise grow without bound, layer by layer).
MAX_VALUES = 2**63 - 1


@dataclass(frozen=True)
class NodeInfo:
    shape: Shape  # the output (the first, for a module with several Outputs)
    params: int
    macs: int
    resolved: dict[str, Any]  # every parameter: given, default or inferred from the wires
    shapes: tuple[Shape, ...] = ()  # every output port's shape, where there are several
    inner: ModelReport | None = None  # a use of a module: its check with the shapes and values of this use

    @property
    def outputs(self) -> tuple[Shape, ...]:
        return self.shapes or (self.shape,)


@dataclass
class ModelReport:
    model: ModelGraph
    order: list[str]  # nodes off any cycle, in graph order
    sources: dict[str, list[str]]  # node -> the nodes wired into it, in port order
    consumers: dict[str, list[str]]
    infos: dict[str, NodeInfo] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)  # nodes an Output depends on
    problems: list[Problem] = field(default_factory=list)
    source_ports: dict[str, list[int]] = field(default_factory=dict)  # node -> output port of each source
    uses: dict[str, str] = field(default_factory=dict)  # node -> the model it uses, for uses of modules
    args: dict[str, Any] = field(default_factory=dict)  # the values of the model's own parameters in this check
    inner: dict[str, ModelReport] = field(default_factory=dict)  # use -> its module's check, even a failed one
    state: CheckState | None = field(default=None, compare=False, repr=False)  # for the next check, after an edit

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
        """The live Inputs in document order: forward's arguments, a module's input ports."""
        return [n.id for n in self.model.nodes if n.type == "Input" and n.id in self.live]

    @property
    def outputs(self) -> list[str]:
        """The live Outputs in document order: what forward returns, a module's output ports."""
        return [n.id for n in self.model.nodes if n.type == "Output" and n.id in self.live]

    def source_shapes(self, node_id: str) -> list[Shape] | None:
        """The shapes wired into a node, in port order; None while one of them is unknown."""
        shapes = []
        for source, port in zip(self.sources[node_id], self.source_ports[node_id]):
            info = self.infos.get(source)
            if info is None or port >= len(info.outputs):
                return None
            shapes.append(info.outputs[port])
        return shapes

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


def check_model(model: ModelGraph, project: Project | None = None) -> ModelReport:
    """Check one model of a project on its own: its Inputs' shapes, its parameters' defaults. Uses of the
    project's other models are checked through with the shapes and values that reach them."""
    return _Checker(project).check(model)


def check_use(use_of: ModelReport, node_id: str) -> ModelReport | None:
    """The report of a module as one of its uses sees it (None when the use could not be checked through)."""
    return use_of.inner.get(node_id)


def model_frame(model: ModelGraph) -> tuple:
    """A model as a check reads it, cheap to make and compare: edits replace nodes and wires, never change them."""
    return model, tuple(model.nodes), tuple(model.edges), tuple(model.params)


class _Checker:
    """One check of a model and, through its uses, of the modules it uses: each module once per distinct
    set of input shapes and parameter values."""

    def __init__(self, project: Project | None) -> None:
        self.models = {m.name: m for m in project.models} if project is not None else {}
        self.memo: dict[tuple[str, tuple[Shape, ...], str], ModelReport] = {}
        self.stack: list[str] = []
        # What the project's models were, for a later check that wants to reuse this one's memo and results.
        self.frames = {name: model_frame(m) for name, m in self.models.items()}
        self.language = language()  # the problems' words

    def check(self, model: ModelGraph, input_shapes: list[Shape] | None = None,
              args: dict[str, Any] | None = None) -> ModelReport:
        self.stack.append(model.name)
        try:
            return self._check(model, input_shapes, default_args(model) if args is None else args)
        finally:
            self.stack.pop()

    def _check(self, model: ModelGraph, input_shapes: list[Shape] | None, args: dict[str, Any]) -> ModelReport:
        structure = analyze_structure(model)
        ports = {n.id: structure.inputs.get(n.id, {}) for n in model.nodes}
        sources = {n: [wired[p] for p in sorted(wired)] for n, wired in ports.items()}
        source_ports = {n: [structure.source_ports[n][p] for p in sorted(wired)] for n, wired in ports.items()}
        report = ModelReport(model, structure.order, sources, structure.consumers, source_ports=source_ports,
                             args=args)
        state = CheckState(self, list(model.nodes), list(model.edges), list(model.params), ports,
                           given=dict(zip(module_inputs(model), input_shapes or [])), stack=tuple(self.stack))
        state.head = [*structure.problems, *(Problem(None, m) for m in declaration_problems(model))]
        state.prepared = [self.prepare(report, state, node) for node in model.nodes]
        types = {spec.type for spec in state.specs.values()}
        if "Input" not in types:
            state.middle.append(Problem(None, tr("the model has no Input block")))
        if "Output" not in types:
            state.middle.append(Problem(None, tr("the model has no Output block")))
        for node_id in structure.order:
            state.inferred[node_id] = self.infer(report, state, node_id)
        state.tail = _mark_live(report, structure.predecessors, state.specs, set(report.uses))
        report.problems = state.problems(report.order)
        report.state = state
        return report

    def prepare(self, report: ModelReport, state: CheckState, original: Node) -> list[Problem]:
        """A node's own part of the check: its type, its parameters and its wired ports. Returns its problems;
        what it resolved to goes into the state (and report.uses, for a use of a module)."""
        problems: list[Problem] = []
        state.specs.pop(original.id, None)
        state.resolved.pop(original.id, None)
        node, unresolved = substitute(report.model, original, report.args)
        problems.extend(Problem(node.id, m) for m in unresolved)
        spec = BLOCKS.get(node.type)
        if spec is None and node.type in self.models:
            used = self.models[node.type]
            report.uses[node.id] = used.name
            values, wrong = use_args(used, node)
            problems.extend(Problem(node.id, m) for m in wrong)
            ports_ok = _check_ports(_use_spec(used), node.id, state.ports[node.id], problems)
            if ports_ok and values is not None and not unresolved:
                state.resolved[node.id] = values
            return problems
        if spec is None:
            problems.append(Problem(node.id, _unknown_type(node.type, self.models)))
            return problems
        state.specs[node.id] = spec
        if unresolved:
            return problems
        params, wrong = resolve_params(spec, node)
        problems.extend(Problem(node.id, m) for m in wrong)
        ports_ok = _check_ports(spec, node.id, state.ports[node.id], problems)
        if params is not None and ports_ok:
            state.resolved[node.id] = params
        return problems

    def infer(self, report: ModelReport, state: CheckState, node_id: str) -> list[Problem]:
        """A node's output shape from the shapes wired into it (report.infos), and its problems."""
        problems: list[Problem] = []
        if node_id not in state.resolved:
            return problems
        ins = report.source_shapes(node_id)
        if ins is None:
            _missing_port(report, node_id, problems)
            return problems  # an upstream node has a problem of its own; don't pile up messages
        params = dict(state.resolved[node_id])
        if node_id in report.uses:
            self._infer_use(report, node_id, ins, params, problems)
            return problems
        if node_id in state.given:
            params["shape"] = state.given[node_id]
        try:
            inferred = state.specs[node_id].infer(params, ins)
        except ShapeError as exc:
            problems.append(Problem(node_id, str(exc)))
            return problems
        if product(inferred.shape) > MAX_VALUES:
            problems.append(Problem(node_id, tr(
                "its output, {shape}, has more values than a tensor can hold ({limit:,})",
                shape=format_shape(inferred.shape), limit=MAX_VALUES)))
            return problems
        report.infos[node_id] = NodeInfo(inferred.shape, inferred.params, inferred.macs, params)
        if inferred.advice is not None:
            advice = inferred.advice
            fix = Fix(advice.insert_before, node_id) if advice.insert_before else None
            problems.append(Problem(node_id, advice.message, warning=True, fix=fix))
        return problems

    def _infer_use(self, report: ModelReport, node_id: str, ins: list[Shape], args: dict[str, Any],
                   problems: list[Problem]) -> None:
        name = report.uses[node_id]
        if name in self.stack:
            chain = SEPARATOR.join([*self.stack[self.stack.index(name):], name])
            problems.append(Problem(node_id, tr("{name} uses itself: {chain}; a module cannot contain itself",
                                                name=name, chain=chain)))
            return
        key = (name, tuple(ins), args_key(args))
        inner = self.memo.get(key)
        if inner is None:
            inner = self.check(self.models[name], ins, args)
            self.memo[key] = inner
        report.inner[node_id] = inner
        for problem in inner.errors:
            path = (problem.node, *problem.path) if problem.node is not None else problem.path
            problems.append(Problem(node_id, problem.message, path=path))
        if not inner.ok:
            return
        shapes = tuple(inner.infos[inner.sources[o][0]].outputs[inner.source_ports[o][0]] for o in inner.outputs)
        report.infos[node_id] = NodeInfo(shapes[0], inner.total_params, inner.total_macs, args,
                                         shapes if len(shapes) > 1 else (), inner)


@dataclass
class CheckState:
    """What one check found node by node, kept with its report: after an edit of parameters only, the next
    check redoes the edited nodes and what their shapes reach, and puts the rest together from here
    (builder.blocks.recheck). The problems are kept in the pieces the full check lists them in."""

    checker: _Checker  # with its memo of the modules' checks, valid while no other model changes
    nodes: list[Node]  # the model's nodes as checked: an edit replaces a node object, so a changed one shows
    edges: list[Edge]
    params: list[ModuleParam]
    ports: dict[str, dict[int, str]]  # node -> {input port: source}
    given: dict[str, Shape]  # Input -> the shape a use gives it
    specs: dict[str, BlockSpec] = field(default_factory=dict)
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)  # nodes whose parameters are fine
    head: list[Problem] = field(default_factory=list)  # the wiring's and the declared parameters'
    prepared: list[list[Problem]] = field(default_factory=list)  # each node's own, in document order
    middle: list[Problem] = field(default_factory=list)  # no Input, no Output
    inferred: dict[str, list[Problem]] = field(default_factory=dict)  # the shapes', listed in graph order
    tail: list[Problem] = field(default_factory=list)  # nodes that reach no Output
    stack: tuple[str, ...] = ()  # the models being checked around this one, the innermost last (this one)
    order_position: dict[str, int] | None = None  # node -> its place in the graph order, made when needed

    def position(self, order: list[str]) -> dict[str, int]:
        if self.order_position is None:
            self.order_position = {node_id: index for index, node_id in enumerate(order)}
        return self.order_position

    def problems(self, order: list[str]) -> list[Problem]:
        found = list(self.head)
        for own in self.prepared:
            found += own
        found += self.middle
        for node_id in order:
            found += self.inferred[node_id]
        return found + self.tail


def _missing_port(report: ModelReport, node_id: str, problems: list[Problem]) -> None:
    """A wire from an output port its source does not have (the source itself checked fine)."""
    for source, port in zip(report.sources[node_id], report.source_ports[node_id]):
        info = report.infos.get(source)
        if info is not None and port >= len(info.outputs):
            count = len(info.outputs)
            if count == 1:
                message = tr("is wired from output {port} of '{source}', which has one output",
                             port=port, source=source)
            else:
                message = tr("is wired from output {port} of '{source}', which has {count} outputs",
                             port=port, source=source, count=count)
            problems.append(Problem(node_id, message))


def _use_spec(model: ModelGraph) -> BlockSpec:
    """What a use of a module looks like to the port and liveness checks: one input port per Input."""
    count = len(module_inputs(model))
    return BlockSpec(type=model.name, category="merge", description="", infer=_never, min_inputs=count,
                     max_inputs=count)


def _never(_p: dict[str, Any], _ins: list[Shape]) -> Inferred:
    raise AssertionError("a use is inferred through its module's check")


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
                text = tr(param.help)
                problems.append(tr("{name} is required: {help}", name=param.name, help=text[:1].lower() + text[1:]))
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


def _check_ports(spec: BlockSpec, node_id: str, ports: dict[int, str], problems: list[Problem]) -> bool:
    before = len(problems)

    def fail(message: str) -> None:
        problems.append(Problem(node_id, message))

    if spec.max_inputs == 0:
        if ports:
            fail(tr("{type} takes no inputs, but '{source}' is wired into it", type=spec.type,
                    source=ports[min(ports)]))
    elif spec.max_inputs is not None:
        for port in sorted(ports):
            if port >= spec.max_inputs:
                if spec.max_inputs == 1:
                    fail(tr("port {port} is wired from '{source}', but {type} takes one input", port=port,
                            source=ports[port], type=spec.type))
                else:
                    fail(tr("port {port} is wired from '{source}', but {type} takes {count} inputs", port=port,
                            source=ports[port], type=spec.type, count=spec.max_inputs))
        for port in range(spec.max_inputs):
            if port not in ports:
                fail(tr("its input is not connected") if spec.max_inputs == 1
                     else tr("input port {port} is not connected", port=port))
    else:
        wired = len(ports)
        if wired < spec.min_inputs:
            fail(tr("needs at least {count} inputs, has {wired}", count=spec.min_inputs, wired=wired))
        elif ports and max(ports) >= wired:
            gap = min(p for p in range(max(ports)) if p not in ports)
            fail(tr("input port {gap} is empty but port {last} is wired; wire the ports in order", gap=gap,
                    last=max(ports)))
    return len(problems) == before


def _mark_live(report: ModelReport, predecessors: dict[str, list[str]], specs: dict[str, BlockSpec],
               uses: set[str]) -> list[Problem]:
    """report.live, and a warning for each node that reaches no Output."""
    outputs = [n for n in report.order if n in specs and specs[n].is_output and n not in uses]
    live = _feeding(predecessors, outputs)
    report.live = live & set(report.order)
    if not outputs:
        return []
    message = tr("its output reaches no Output block, so it is left out of the generated code")
    return [Problem(node_id, message, warning=True) for node_id in report.order if node_id not in live]


def _feeding(predecessors: dict[str, list[str]], targets: list[str]) -> set[str]:
    """The targets and every node with a path to one of them.

    One walk backwards from all targets at once: the ancestors of each target in turn cost
    outputs × nodes, minutes for a file with thousands of Outputs after a long chain."""
    found = set(targets)
    stack = list(targets)
    while stack:
        for source in predecessors.get(stack.pop(), ()):
            if source not in found:
                found.add(source)
                stack.append(source)
    return found


def _unknown_type(type_name: str, models: dict[str, ModelGraph]) -> str:
    close = difflib.get_close_matches(type_name, [*BLOCKS.names(), *models], n=1)
    if close:
        return tr("unknown block type '{type}' (did you mean '{close}'?)", type=type_name, close=close[0])
    return tr("unknown block type '{type}'", type=type_name)
