"""Python source of real nn.Modules from checked graphs.

`__init__` creates one attribute per layer in graph order; `forward` takes the Inputs in order and
reads like hand-written PyTorch: a chain reuses its variable (`x = self.conv1(x)`), a branch point
gets a name of its own, and each line says the shape it produces.

Nothing from a project file reaches the source except validated numbers, booleans and declared
choices (written with repr), sanitized identifiers, and node ids that no identifier can hold (`block1-0`) as
string literals written with repr; nothing from the data but a trained classifier's
class names, as escaped JSON strings in the docstring.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, replace
from typing import Any

import torch.nn as nn

from builder.blocks.check import ModelReport, check_model
from builder.blocks.code import Symbol, literal
from builder.blocks.registry import BLOCKS
from builder.blocks.spec import call_layer
from builder.compile.names import RESERVED, Namer, sanitize
from builder.compile.signature import Signature, signature
from builder.core.problems import Problem
from builder.core.project import Project

INDENT = "    "

# Per-channel (or per-feature) mean and std applied to an Input inside forward, so that the
# exported model takes raw data: {model name: {input node id: (mean, std)}}.
Normalization = dict[str, dict[str, tuple[list[float], list[float]]]]


class CompileError(Exception):
    """The graph has problems; each is paired with the name of its model."""

    def __init__(self, problems: list[tuple[str, Problem]]):
        self.problems = problems
        super().__init__("\n".join(f"{model}: {problem}" for model, problem in problems))


@dataclass(frozen=True)
class GeneratedCode:
    source: str
    class_names: dict[str, str]  # model name -> class name in the source
    attributes: dict[str, dict[str, str]]  # model name -> node id -> identifier used for it


def generate_code(project: Project, model_names: list[str] | None = None,
                  normalization: Normalization | None = None,
                  checked: dict[str, ModelReport] | None = None) -> GeneratedCode:
    """Source for the named models (all by default) and the modules they use, one class per model, used
    models first; raises CompileError if any has errors. `checked` may hold models' own checks already made
    (the editor's of the model shown), for a graph of thousands of blocks not to be checked twice."""
    wanted = model_names or [m.name for m in project.models]
    known = checked or {}
    reports = {name: known[name] if name in known and known[name].model is project.model(name)
               else check_model(project.model(name), project) for name in wanted}
    errors = [(name, p) for name, r in reports.items() for p in r.errors]
    if errors:
        raise CompileError(errors)
    order, instances = _modules(project, [reports[name] for name in wanted])
    class_namer = Namer()
    class_names = {name: class_namer.name(name) for name in order}
    blocks: list[str] = []
    attributes: dict[str, dict[str, str]] = {}
    signatures: dict[str, Signature] = {}
    uses_functional = False
    for name in order:
        used = any(r is not reports.get(name) for r in instances[name])
        writer = _ClassWriter(instances[name], used, class_names, signatures)
        norm = (normalization or {}).get(name, {})
        lines, names, functional = writer.lines(norm)
        signatures[name] = writer.signature
        attributes[name] = names
        uses_functional |= functional
        blocks.append("\n".join(lines))
    body = "\n\n\n".join(blocks)
    header = [_docstring({n: class_names[n] for n in order}), ""]
    if re.search(r"\btorch\.", body):  # import only what the code uses, so the file is lint-clean
        header.append("import torch")
    if uses_functional:
        header.append("import torch.nn.functional as F")
    if "OrderedDict([" in body:
        header.insert(2, "from collections import OrderedDict\n")
    header.append("from torch import nn")
    source = "\n".join(header) + "\n\n\n" + body + "\n"
    return GeneratedCode(source, {n: class_names[n] for n in order}, attributes)


def order_of_uses(project: Project, tops: list[ModelReport]) -> list[str]:
    """The models the tops use, directly or not (what the check went through)."""
    found: list[str] = []
    stack = list(tops)
    visited: set[int] = set()
    while stack:
        report = stack.pop()
        if id(report) in visited:
            continue
        visited.add(id(report))
        for node_id, name in report.uses.items():
            inner = report.infos[node_id].inner if node_id in report.infos else None
            if name not in found:
                found.append(name)
            if inner is not None:
                stack.append(inner)
    return found


def _modules(project: Project, tops: list[ModelReport]) -> tuple[list[str], dict[str, list[ModelReport]]]:
    """Every model the code needs, used ones before their users, with each one's checks: on its own first
    (where it checks clean: it gives the defaults), then one per distinct use."""
    instances: dict[str, list[ModelReport]] = {r.model.name: [r] for r in tops}  # a top model: on its own first
    for name in order_of_uses(project, tops):
        if name not in instances:
            alone = check_model(project.model(name), project)
            instances[name] = [alone] if alone.ok else []
    order: list[str] = []
    seen: set[int] = {id(r) for r in tops}

    def add(report: ModelReport) -> None:
        for node_id in sorted(report.uses, key=report.order.index):
            inner = report.infos[node_id].inner if node_id in report.live else None
            if inner is not None and id(inner) not in seen:
                seen.add(id(inner))
                instances[inner.model.name].append(inner)
                add(inner)
            if inner is not None and inner.model.name not in order:
                order.append(inner.model.name)  # after everything it uses

    for report in tops:
        add(report)
        if report.model.name not in order:
            order.append(report.model.name)
    return order, instances


def _docstring(class_names: dict[str, str], note: str = "") -> str:
    title = f"{', '.join(class_names.values())}: generated by NN Builder. Plain PyTorch: use and edit it freely."
    return f'"""{title}\n\n{note}\n"""' if note else f'"""{title}"""'


def with_class_names(code: GeneratedCode, model_name: str, classes: list[str],
                     single_output: bool = False) -> GeneratedCode:
    """The same code, its docstring saying which class each of `model_name`'s outputs stands for (for a trained
    classifier; `single_output`: one output for two classes, as BCE losses train it). The names come from the
    data (folder names, CSV labels), so each is written as a JSON string with every quote, backslash and
    non-ASCII character escaped: valid in the docstring, never able to end it."""
    before = _docstring(code.class_names)
    if not code.source.startswith(before):
        raise ValueError("not the source generate_code wrote")
    cls = code.class_names[model_name]
    listing = "\n".join(f"    {label}: {json.dumps(name)}" for label, name in enumerate(classes))
    if single_output:
        rule = (f"{cls} is a binary classifier with one output: class 1 when it is above 0 (a raw score, as "
                f"BCEWithLogitsLoss trains it) or above 0.5 (after a Sigmoid, for BCELoss), else class 0")
    else:
        rule = f"{cls} is a classifier: output i scores class i, and the largest score is the prediction"
    note = f"{textwrap.fill(rule + '. The classes:', 100)}\n\n{listing}"
    return replace(code, source=_docstring(code.class_names, note) + code.source[len(before):])


_NUMBERED = re.compile(r"^(.+)\.(\d+)$")
_SEQUENTIAL_MEMBERS = frozenset(dir(nn.Sequential()))  # what nn.Sequential.add_module refuses as a name


class _ClassWriter:
    """One model's class: `__init__` with an attribute per layer (a numbered chain `layer1.0`, `layer1.1`
    as one nn.Sequential), `forward` in graph order."""

    def __init__(self, instances: list[ModelReport], used: bool, class_names: dict[str, str],
                 signatures: dict[str, Signature]) -> None:
        self.report = report = instances[0]
        self.instances = instances
        self.class_names = class_names
        self.signatures = signatures
        self.nodes = {n.id: n for n in report.model.nodes}
        self.live = [n for n in report.order if n in report.live]
        self.layered = [n for n in self.live if n in report.uses or BLOCKS[self.nodes[n].type].layer is not None]
        coded = [n for n in self.live if n in report.uses or self.nodes[n].type not in ("Input", "Output")]
        self.signature = signature(instances, used, coded, self._values, self._from_wires)

    def _from_wires(self, node_id: str, key: str) -> bool:
        """A value left out of the node that the wires give: a block's in_channels, a use's argument that is
        its module's input channels. Anything else left out is a default, which no module parameter explains
        (a groups of 1 is not `groups=stride` because stride is 1)."""
        if node_id in self.report.uses:
            return self.signatures[self.report.uses[node_id]].sources[key][0] == "input"
        return any(p.name == key and p.inferred for p in BLOCKS[self.nodes[node_id].type].params)

    def _values(self, report: ModelReport, node_id: str) -> dict[str, Any]:
        """What a node's code is written from: a block's resolved parameters, a use's call arguments."""
        info = report.infos[node_id]
        if node_id not in report.uses:
            return info.resolved
        used = self.signatures[report.uses[node_id]]
        return {name: value for name, value, _default in used.call_values(info.inner)}

    def lines(self, norm: dict[str, tuple[list[float], list[float]]]) -> tuple[list[str], dict[str, str], bool]:
        report = self.report
        chain = self._numbered_chain() if not norm else None
        if chain is not None:
            return self._sequential_lines(chain), {n: n for n in self.live}, False
        groups = self._groups()
        lists = self._lists(groups)
        namer = Namer()
        group_names = {prefix: namer.name(prefix) for prefix in [*groups, *lists]}
        names: dict[str, str] = {}
        member_of: dict[str, str] = {}
        listed: dict[str, str] = {}  # node -> `layers[2]`, how forward calls a member of an nn.ModuleList
        for prefix, members in groups.items():
            for index, node_id in enumerate(members):
                names[node_id] = f"{group_names[prefix]}.{index}"
                member_of[node_id] = prefix
        for prefix, members in lists.items():
            for index, node_id in enumerate(members):
                names[node_id] = f"{group_names[prefix]}.{index}"
                listed[node_id] = f"{group_names[prefix]}[{index}]"
        for node_id in self.live:
            if node_id not in names:
                names[node_id] = namer.name(node_id)
        arguments = "".join(f", {name}={literal(default)}" for name, default in self.signature.arguments)
        init = [f"class {self.class_names[report.model.name]}(nn.Module):", f"{INDENT}def __init__(self{arguments}):",
                f"{INDENT * 2}super().__init__()"]
        kept = self._kept_arguments(namer)
        init += [f"{INDENT * 2}self.{attribute} = {argument}" for argument, attribute in kept.items()]
        for input_id, (mean, std) in norm.items():
            shape = (1, len(mean)) + (1,) * (len(report.infos[input_id].shape) - 1)
            for stat, values in (("mean", mean), ("std", std)):
                init.append(f'{INDENT * 2}self.register_buffer("{names[input_id]}_{stat}", '
                            f"torch.tensor({literal(list(map(float, values)))}).view{literal(shape)})")

        forward: list[str] = []
        variables = _Variables(report, self.live, names)
        uses_functional = False
        for node_id in self.live:
            spec = BLOCKS.get(self.nodes[node_id].type)
            if spec is not None and spec.is_output:
                continue
            if spec is not None and spec.is_input:
                v = variables.assign_input(node_id)
                if node_id in norm:
                    forward.append(f"{INDENT * 2}{v} = ({v} - self.{v}_mean) / self.{v}_std  # normalized as in training")
                continue
            prefix = member_of.get(node_id)
            if prefix is not None:
                members = groups[prefix]
                if node_id != members[0]:
                    continue
                layers = [self._layer(m) for m in members]
                init.append(f"{INDENT * 2}self.{group_names[prefix]} = nn.Sequential(")
                init.extend(f"{INDENT * 3}{layer},{self._comment(m)}" for m, layer in zip(members, layers))
                init.append(f"{INDENT * 2})")
                args = [variables.of(node_id, 0)]
                for member in members:
                    target = variables.assign(member)
                forward.append(f"{INDENT * 2}{target} = self.{group_names[prefix]}({args[0]}){self._shape(members[-1])}")
                continue
            attribute = listed.get(node_id, names[node_id])
            if node_id in listed:
                prefix = next(p for p, members in lists.items() if node_id in members)
                if node_id == next(n for n in self.live if n in lists[prefix]):  # the list, where it is first used
                    init.append(f"{INDENT * 2}self.{group_names[prefix]} = nn.ModuleList([")
                    init.extend(f"{INDENT * 3}{self._layer(m)},{self._comment(m)}" for m in lists[prefix])
                    init.append(f"{INDENT * 2}])")
            elif node_id in self.layered:
                init.append(f"{INDENT * 2}self.{names[node_id]} = {self._layer(node_id)}{self._comment(node_id)}")
            args = [variables.of(node_id, i) for i in range(len(report.sources[node_id]))]
            if node_id in report.uses:
                expression = f"self.{attribute}({', '.join(args)})"
            else:
                written = {key: Symbol(f"self.{kept[value.name]}") if isinstance(value, Symbol) and
                           node_id not in self.layered else value for key, value in self._written(node_id).items()}
                expression = spec.forward(attribute, args, written)
            uses_functional |= expression.startswith("F.")
            inner = report.infos[node_id].inner
            ports = inner.outputs if inner is not None and len(inner.outputs) > 1 else None
            target = variables.assign(node_id, ports)
            forward.append(f"{INDENT * 2}{target} = {expression}{self._shape(node_id)}")

        arguments = ", ".join(["self", *(names[i] for i in report.inputs)])
        results = [variables.of(o, 0) for o in report.outputs]
        forward.append(f"{INDENT * 2}return {', '.join(results)}")
        lines = [*init, "", f"{INDENT}def forward({arguments}):", *forward]
        return lines, names, uses_functional

    def _kept_arguments(self, namer: Namer) -> dict[str, str]:
        """`__init__` arguments that forward's calculations read (a Mean's keepdim, a StochasticDepth's p, linked to
        a module parameter), each kept in an attribute of its own: forward cannot see `__init__`'s names."""
        kept: dict[str, str] = {}
        for node_id in self.live:
            if node_id in self.layered or node_id in self.report.uses or \
                    self.nodes[node_id].type in ("Input", "Output"):
                continue
            for value in self._written(node_id).values():
                if isinstance(value, Symbol) and value.name not in kept:
                    kept[value.name] = namer.name(value.name)
        return kept

    def _numbered_chain(self) -> list[str] | None:
        """The layers `0`, `1`, ... of a model that is one chain of them from its Input to its Output (as an
        nn.Sequential holds its layers), or None."""
        report = self.report
        coded = [n for n in self.live if self.nodes[n].type not in ("Input", "Output") or n in report.uses]
        numbered = coded == [str(i) for i in range(len(coded))]
        # `block1-0`, as RegNet names its blocks: no attribute can hold the name, nn.Sequential's OrderedDict can
        unnameable = any(sanitize(n) != n or n in RESERVED for n in coded) and all(
            n and "." not in n and n not in _SEQUENTIAL_MEMBERS for n in coded)
        if not coded or not (numbered or unnameable) or len(report.inputs) != 1 \
                or len(report.outputs) != 1 or not all(n in self.layered and self._single(n) for n in coded):
            return None
        feeds = [report.inputs[0], *coded]
        for source, node_id in zip(feeds, [*coded, report.outputs[0]]):
            if report.sources[node_id] != [source] or \
                    [c for c in report.consumers.get(source, []) if c in report.live] != [node_id]:
                return None
        return coded

    def _sequential_lines(self, chain: list[str]) -> list[str]:
        """`class ConvBNReLU(nn.Sequential)`, its layers passed to nn.Sequential's constructor, as torchvision
        writes it: the layers keep their names (`features.0.0.weight`), numbered, or named in an OrderedDict
        where a name is no Python identifier (`trunk_output.block1.block1-0.f.a.0.weight`)."""
        arguments = "".join(f", {name}={literal(default)}" for name, default in self.signature.arguments)
        head = [f"class {self.class_names[self.report.model.name]}(nn.Sequential):",
                f"{INDENT}def __init__(self{arguments}):"]
        if chain == [str(i) for i in range(len(chain))]:
            return [*head, f"{INDENT * 2}super().__init__(",
                    *(f"{INDENT * 3}{self._layer(n)},{self._comment(n)}" for n in chain), f"{INDENT * 2})"]
        return [*head, f"{INDENT * 2}super().__init__(OrderedDict([",
                *(f"{INDENT * 3}({literal(n)}, {self._layer(n)}),{self._comment(n)}" for n in chain),
                f"{INDENT * 2}]))"]

    def _written(self, node_id: str) -> dict[str, Any]:
        return {key: self.signature.values[(node_id, key)] for key in self._values(self.report, node_id)}

    def _layer(self, node_id: str) -> str:
        values = self._written(node_id)
        if node_id not in self.report.uses:
            return BLOCKS[self.nodes[node_id].type].layer(values)
        used = self.signatures[self.report.uses[node_id]]
        parts = []
        positional = True  # the leading arguments the wires give (in_channels), until the first declared one
        for name, default in used.arguments:
            value = values[name]
            positional = positional and name not in used.declared
            if positional:
                parts.append(literal(value))
            elif isinstance(value, Symbol) or not (type(value) is type(default) and value == default):
                parts.append(f"{name}={literal(value)}")
        return f"{self.class_names[self.report.uses[node_id]]}({', '.join(parts)})"

    def _comment(self, node_id: str) -> str:
        spec = BLOCKS.get(self.nodes[node_id].type)
        return f"  # {spec.comment}" if spec is not None and spec.comment else ""

    def _shape(self, node_id: str) -> str:
        """`  # (N, 16, 14, 14)`, where every use of the module gives the node the same shape."""
        shapes = {tuple(r.infos[node_id].outputs) for r in self.instances}
        if len(shapes) != 1:
            return ""
        (outputs,) = shapes
        return "  # " + ", ".join(f"({', '.join(['N', *map(str, shape)])})" for shape in outputs)

    def _groups(self) -> dict[str, list[str]]:
        """Numbered chains (`layer1.0` → `layer1.1` → ...) of layers with one input and one output each."""
        report = self.report
        candidates: dict[str, dict[int, str]] = {}
        for node_id in self.layered:
            match = _NUMBERED.match(node_id)
            if match and self._single(node_id):
                candidates.setdefault(match.group(1), {})[int(match.group(2))] = node_id
        groups = {}
        taken = set(self.live)
        for prefix, numbered in candidates.items():
            members = [numbered.get(i) for i in range(len(numbered))]
            if None in members or prefix in taken:
                continue
            chained = all(report.sources[b] == [a] and report.source_ports[b] == [0]
                          and [c for c in report.consumers.get(a, []) if c in report.live] == [b]
                          for a, b in zip(members, members[1:]))
            if chained:
                groups[prefix] = members
        return groups

    def _lists(self, chains: dict[str, list[str]]) -> dict[str, list[str]]:
        """Numbered layers (`layers.0`, `layers.1`...) that are not a chain, as in a dense block where each
        takes what all before it made: an nn.ModuleList, its members called by index."""
        numbered: dict[str, dict[int, str]] = {}
        for node_id in self.layered:
            match = _NUMBERED.match(node_id)
            if match and match.group(1) not in chains:
                numbered.setdefault(match.group(1), {})[int(match.group(2))] = node_id
        taken = set(self.live)
        lists = {}
        for prefix, members in numbered.items():
            ordered = [members.get(i) for i in range(len(members))]
            if None not in ordered and prefix not in taken and len(ordered) > 1:
                lists[prefix] = ordered
        return lists

    def _single(self, node_id: str) -> bool:
        report = self.report
        if len(report.sources[node_id]) != 1 or report.source_ports[node_id] != [0]:
            return False
        if node_id in report.uses:
            return len(report.infos[node_id].outputs) == 1
        return BLOCKS[self.nodes[node_id].type].forward is call_layer


class _Variables:
    """Chooses forward's local variables the way people write them.

    A value read by several nodes keeps the node's own name (`act1`); a chain flows through one
    variable (`x = self.conv(x)`), reusing its input's variable once that value is dead, else the
    first free of the model's input name and `out` (`out = self.conv1(x) ... out = out + x`).
    """

    def __init__(self, report: ModelReport, live: list[str], names: dict[str, str]) -> None:
        self._names = {n: sanitize(name) for n, name in names.items()}
        self._sources = report.sources
        self._ports = report.source_ports
        self._report = report
        outputs = set(report.outputs)
        live_set = set(live)
        consumers = {n: [c for c in report.consumers.get(n, []) if c in live_set] for n in live}
        # Values an Output returns stay alive to the end; others die after their last reader.
        self._pending = {n: sum(c not in outputs for c in consumers[n]) for n in live}
        self._pinned = {n for n in live if any(c in outputs for c in consumers[n])}
        self._fanout = {n: len(consumers[n]) for n in live}
        self._flow = [names[i] for i in report.inputs][:1] + ["out"]
        self._var: dict[Any, str] = {}  # node, or (node, output port) for a module's several outputs -> variable
        self._holder: dict[str, str] = {}  # variable -> node whose value it holds

    def of(self, node_id: str, port: int) -> str:
        """The variable of the node's input `port` (wired from some source's output)."""
        source, src_port = self._sources[node_id][port], self._ports[node_id][port]
        return self._var[(source, src_port)] if (source, src_port) in self._var else self._var[source]

    def assign_input(self, node_id: str) -> str:
        return self._put(node_id, self._names[node_id])

    def assign(self, node_id: str, ports: list[str] | None = None) -> str:
        """The variable the node's value goes into; `ports`: the names of a module's several outputs, each
        given a variable of its own (`features, skip = self.down1(x)`) that is never reused."""
        sources = self._sources[node_id]
        for source in sources:
            self._pending[source] -= 1
        if ports:
            self._pinned.add(node_id)
            names = []
            for port, wanted_name in enumerate(ports):
                name, counter = sanitize(wanted_name), 0
                while not self._free(name if not counter else f"{name}_{counter}"):
                    counter += 1
                name = name if not counter else f"{name}_{counter}"
                self._var[(node_id, port)] = name
                self._holder[name] = node_id
                names.append(name)
            return ", ".join(names)
        if self._fanout[node_id] > 1:
            wanted = [self._names[node_id]]
        else:
            wanted = [self.of(node_id, 0) if sources else self._names[node_id], *self._flow, self._names[node_id]]
        for name in wanted:
            if self._free(name):
                return self._put(node_id, name)
        base, counter = self._names[node_id], 1
        while not self._free(f"{base}_{counter}"):
            counter += 1
        return self._put(node_id, f"{base}_{counter}")

    def _free(self, name: str) -> bool:
        holder = self._holder.get(name)
        if holder is None:
            return True
        return self._pending[holder] <= 0 and holder not in self._pinned

    def _put(self, node_id: str, name: str) -> str:
        self._var[node_id] = name
        self._holder[name] = node_id
        return name
