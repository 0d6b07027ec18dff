"""Models used as blocks inside other models: their ports, their declared parameters, and the values
a use gives them (`BasicBlock(planes=128, stride=2)`)."""

from __future__ import annotations

import json
from typing import Any

from builder.blocks.params import Param, unknown_param_message
from builder.core.graph import ModelGraph, ModuleParam, Node, ref_name
from builder.core.i18n import tr

SEPARATOR = " › "  # between the levels of a path: `layer2.0 › conv1`


def module_inputs(model: ModelGraph) -> list[str]:
    """A module's input ports, in order: its Input blocks in document order."""
    return [n.id for n in model.nodes if n.type == "Input"]


def module_outputs(model: ModelGraph) -> list[str]:
    """A module's output ports, in order: its Output blocks in document order."""
    return [n.id for n in model.nodes if n.type == "Output"]


def param_of(declared: ModuleParam) -> Param:
    """A module parameter as a block parameter: validated, edited and documented the same way. Its help is the
    project's own text, or one made in the language in use (tr on either leaves it as it is)."""
    return Param(declared.name, declared.kind, declared.help or tr("The module's {name}.", name=declared.name),
                 default=declared.default, min=declared.min, max=declared.max)


def declaration_problems(model: ModelGraph) -> list[str]:
    """A declared default that its own declaration refuses (stride 0 with min 1, say)."""
    problems = []
    for declared in model.params:
        _value, error = param_of(declared).validate(declared.default)
        if error:
            problems.append(tr("the model declares {name} with a default that is not valid: {error}",
                               name=declared.name, error=error))
    return problems


def use_args(model: ModelGraph, node: Node) -> tuple[dict[str, Any] | None, list[str]]:
    """The values a use gives the module's parameters, defaults filled in; or None and what is wrong."""
    known = [p.name for p in model.params]
    problems = [f"{model.name}: {unknown_param_message(name, known)}" for name in node.params if name not in known]
    values: dict[str, Any] = {}
    for declared in model.params:
        param = param_of(declared)
        raw = node.params.get(declared.name, declared.default)
        if ref_name(raw) is not None:
            problems.append(tr("{name} refers to a module parameter, but only blocks inside a module can",
                               name=declared.name))
            continue
        value, error = param.validate(raw)
        if error:
            problems.append(error)
        else:
            values[declared.name] = value
    return (None if problems else values), problems


def default_args(model: ModelGraph) -> dict[str, Any]:
    values = {}
    for declared in model.params:
        value, error = param_of(declared).validate(declared.default)
        values[declared.name] = declared.default if error else value
    return values


def substitute(model: ModelGraph, node: Node, args: dict[str, Any]) -> tuple[Node, list[str]]:
    """The node with each `{"ref": name}` parameter replaced by the module's value for it."""
    params: dict[str, Any] = {}
    problems = []
    for key, value in node.params.items():
        name = ref_name(value)
        if name is None:
            params[key] = value
        elif name in args:
            params[key] = args[name]
        else:
            declared = ", ".join(p.name for p in model.params) or tr("none")
            problems.append(tr("{key} refers to the module parameter '{name}', which {model} does not declare "
                               "(it declares: {declared})", key=key, name=name, model=model.name, declared=declared))
    return Node(node.id, node.type, params, node.ui), problems


def args_key(args: dict[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, default=str)
