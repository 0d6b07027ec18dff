"""Project files (format "nn-builder-project"): loading with every problem reported, and saving
atomically so that what is saved loads back to the same document.

Version 2 adds modules inside modules: a model's `params` (what its uses may set) and an edge's
`src_port` (an output of a module with several Outputs). A project that uses neither is written as
version 1, byte for byte as before, so older NN Builders still open it.

A project file is data. Nothing in it is ever evaluated; values reach generated code only after
`builder.blocks` has validated them.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.core.atomic import atomic_write_text
from builder.core.graph import Edge, ModelGraph, ModuleParam, Node, edge_to_dict
from builder.core.i18n import tr
from builder.core.problems import printable

FORMAT = "nn-builder-project"
VERSION = 2
MAX_ID_LENGTH = 100
# Lists and objects inside each other: a project needs fewer than 10 levels. Deeper ones are refused with
# their place, before json (which recurses once per level) or any code after it can run out of stack.
MAX_NESTING = 100
# A whole number this long means nothing in a project (Python itself refuses to read 4,300 digits).
MAX_DIGITS = 100

_PROJECT_KEYS = {"format", "version", "models", "data", "training", "runs"}
_MODEL_KEYS = {"name", "nodes", "edges", "ui", "params"}
_NODE_KEYS = {"id", "type", "params", "ui"}
_EDGE_KEYS = {"src", "dst", "port", "src_port"}
_MODULE_PARAM_KEYS = {"name", "kind", "default", "help", "min", "max"}
# The kinds a module parameter may have: the block parameter kinds that are plain values.
MODULE_PARAM_KINDS = ("int", "float", "bool", "int_or_pair", "float_or_pair")


@dataclass
class Project:
    models: list[ModelGraph] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    runs: list[Any] = field(default_factory=list)
    path: Path | None = None  # the file it was loaded from or saved to

    @property
    def folder(self) -> Path:
        """Relative paths inside the project resolve against the project file's folder."""
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, relative: str | os.PathLike) -> Path:
        return (self.folder / Path(relative)).resolve()

    def model(self, name: str) -> ModelGraph:
        for model in self.models:
            if model.name == name:
                return model
        known = ", ".join(m.name for m in self.models) or tr("none")
        raise KeyError(tr("no model named '{name}' (models: {models})", name=name, models=known))


class ProjectError(Exception):
    """A project file that cannot be loaded, with every problem found and where it is."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def load_project(path: str | os.PathLike) -> Project:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(str(path), [tr("no such file")]) from None
    except IsADirectoryError:
        raise ProjectError(str(path), [tr("is a folder, not a project file")]) from None
    except UnicodeDecodeError:
        raise ProjectError(str(path), [tr("is not a text file (expected JSON)")]) from None
    except OSError as exc:
        raise ProjectError(str(path), [tr("cannot be read: {reason}", reason=exc.strerror)]) from None
    project = parse_project(text, source=str(path))
    project.path = path.resolve()
    return project


def parse_project(text: str, source: str = "<project>") -> Project:
    return project_from_dict(_decode(text, source), source)


def _decode(text: str, source: str) -> Any:
    try:
        return json.loads(text, parse_int=_whole_number)
    except json.JSONDecodeError as exc:
        raise ProjectError(source, [tr("line {line}, column {column}: not valid JSON: {error}", line=exc.lineno,
                                       column=exc.colno, error=exc.msg)]) from None
    except RecursionError:
        line, column = _line_and_column(text, _too_deep_at(text))
        raise ProjectError(source, [tr("line {line}, column {column}: lists and objects are nested more than {count} "
                                       "deep", line=line, column=column, count=MAX_NESTING)]) from None


class _LongNumber:
    """A whole number of more than MAX_DIGITS digits, as read: refused with its place once the document is read."""

    def __init__(self, digits: int):
        self.digits = digits


def _whole_number(text: str) -> int | _LongNumber:
    digits = len(text.lstrip("-"))
    return _LongNumber(digits) if digits > MAX_DIGITS else int(text)


def _too_deep() -> str:
    return tr("lists and objects are nested more than {count} deep", count=MAX_NESTING)


# A JSON string (skipped whole, brackets in it do not count) or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _too_deep_at(text: str) -> int:
    """Where in the text the nesting first goes past MAX_NESTING (0 if it never does)."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return match.start()
        elif token in "]}":
            depth -= 1
    return 0


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """1-based, as json's own messages count them."""
    return text.count("\n", 0, position) + 1, position - text.rfind("\n", 0, position)


def project_from_dict(raw: Any, source: str = "<project>") -> Project:
    unusable = _unusable_values(raw) if isinstance(raw, dict) else []
    if unusable:
        # Until these are fixed the document is not data that the rest can be read from safely.
        raise ProjectError(source, unusable)
    reader = _Reader()
    project = reader.project(raw)
    if reader.problems:
        raise ProjectError(source, reader.problems)
    return project


def project_to_dict(project: Project) -> dict[str, Any]:
    out: dict[str, Any] = {"format": FORMAT, "version": file_version(project), "models": []}
    for model in project.models:
        nodes = []
        for node in model.nodes:
            item: dict[str, Any] = {"id": node.id, "type": node.type, "params": node.params}
            if node.ui is not None:
                item["ui"] = node.ui
            nodes.append(item)
        edges = [edge_to_dict(e) for e in model.edges]
        item = {"name": model.name, "nodes": nodes, "edges": edges}
        if model.params:
            item["params"] = [p.to_dict() for p in model.params]
        if model.ui is not None:
            item["ui"] = model.ui
        out["models"].append(item)
    out["data"] = project.data
    out["training"] = project.training
    if project.runs:
        out["runs"] = project.runs
    return out


def file_version(project: Project) -> int:
    """2 where the project uses modules (a model used as a block, module params, a second output port)."""
    names = {m.name for m in project.models}
    for model in project.models:
        if model.params or any(e.src_port for e in model.edges) or any(n.type in names for n in model.nodes):
            return 2
    return 1


def project_to_json(project: Project) -> str:
    return json.dumps(project_to_dict(project), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_project(project: Project, path: str | os.PathLike) -> None:
    atomic_write_text(path, project_to_json(project))
    project.path = Path(path).resolve()


def _unusable_values(document: dict[str, Any]) -> list[str]:
    """Values no project may hold, each with its place: NaN and infinities (not JSON; a project holding them
    could not be saved back), whole numbers too long to mean anything, nesting deeper than MAX_NESTING.

    Only the sections a project uses are walked; unknown top-level keys are reported by the reader."""
    problems = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document[key], (key,)) for key in reversed(document)
                                                      if key in _PROJECT_KEYS]
    while stack:
        value, path = stack.pop()
        if isinstance(value, (dict, list)) and len(path) >= MAX_NESTING:  # the document itself is level 1
            problems.append(f"{_place(path)}: {_too_deep()}")
        elif isinstance(value, dict):
            stack.extend((value[key], (*path, key)) for key in reversed(value))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{_place(path)}: {_non_finite(value)}")
        elif isinstance(value, _LongNumber):
            problems.append(f"{_place(path)}: " + tr("a whole number of {count} digits is too long to mean anything",
                                                      count=value.digits))
    return problems


def _non_finite(value: float) -> str:
    """Why NaN or an infinity cannot stay in a project."""
    if math.isnan(value):
        return tr("NaN is not a number JSON allows; write a number or null")
    return tr("{value} (or a number beyond ±1.8e308) is not a number JSON allows; write a number or null",
              value=json.dumps(value))


def _place(path: tuple[str | int, ...], shown: int = 12) -> str:
    """`models[0].nodes[3].params` (the first key is a section's); a very deep place is cut short."""
    first, *rest = path[:shown]
    parts = [f"[{part}]" if isinstance(part, int) else f".{_key(part)}" for part in rest]
    return f"{first}{''.join(parts)}" + ("..." if len(path) > shown else "")


def _key(key: str) -> str:
    return printable(key, 40) if key else '""'


class _Reader:
    """Walks a decoded JSON document, collecting every problem with its location."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def project(self, raw: Any) -> Project:
        if not isinstance(raw, dict):
            self.fail("", tr("expected a JSON object at the top, found {kind}", kind=_kind(raw)))
            return Project()
        fmt = raw.get("format")
        if fmt != FORMAT:
            self.fail("format", tr('expected "{format}", found {value}: this is not an NN Builder project', format=FORMAT,
                                   value=_json_value(fmt)))
            return Project()
        version = raw.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.fail("version", tr("expected a whole number, found {value}", value=_json_value(version)))
            return Project()
        if version > VERSION:
            self.fail("version", tr("the file is version {version}, newer than this NN Builder reads ({supported}); "
                                    "update NN Builder", version=version, supported=VERSION))
            return Project()
        self.unknown_keys("", raw, _PROJECT_KEYS)
        models_raw = raw.get("models")
        models = []
        if not isinstance(models_raw, list):
            self.fail("models", tr("expected a list of models, found {kind}", kind=_kind(models_raw)))
        else:
            names: set[str] = set()
            for i, item in enumerate(models_raw):
                model = self.model(f"models[{i}]", item)
                if model is None:
                    continue
                if model.name in names:
                    self.fail(f"models[{i}].name", tr("two models are named '{name}'", name=model.name))
                names.add(model.name)
                models.append(model)
        data = self.section("data", raw.get("data", {}))
        training = self.section("training", raw.get("training", {}))
        runs = raw.get("runs", [])
        if not isinstance(runs, list):
            self.fail("runs", tr("expected a list, found {kind}", kind=_kind(runs)))
            runs = []
        return Project(models, data, training, runs)

    def section(self, where: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, tr("expected an object, found {kind}", kind=_kind(value)))
            return {}
        return value

    def model(self, where: str, raw: Any) -> ModelGraph | None:
        if not isinstance(raw, dict):
            self.fail(where, tr("expected an object, found {kind}", kind=_kind(raw)))
            return None
        self.unknown_keys(where, raw, _MODEL_KEYS)
        name = self.text(f"{where}.name", raw.get("name"))
        nodes: list[Node] = []
        ids: set[str] = set()
        for i, item in enumerate(self.list(f"{where}.nodes", raw.get("nodes"))):
            node = self.node(f"{where}.nodes[{i}]", item)
            if node is None:
                continue
            if node.id in ids:
                self.fail(f"{where}.nodes[{i}].id", tr("two nodes share the id '{id}'", id=node.id))
                continue
            ids.add(node.id)
            nodes.append(node)
        edges = []
        for i, item in enumerate(self.list(f"{where}.edges", raw.get("edges", []))):
            edge = self.edge(f"{where}.edges[{i}]", item, ids if len(ids) == len(nodes) else None)
            if edge is not None:
                edges.append(edge)
        ui = raw.get("ui")
        if ui is not None and not isinstance(ui, dict):
            self.fail(f"{where}.ui", tr("expected an object, found {kind}", kind=_kind(ui)))
            ui = None
        params = self.module_params(where, raw.get("params", []))
        return ModelGraph(name or "Model", nodes, edges, ui, params)

    def module_params(self, where: str, raw: Any) -> list[ModuleParam]:
        params: list[ModuleParam] = []
        for i, item in enumerate(self.list(f"{where}.params", raw)):
            place = f"{where}.params[{i}]"
            if not isinstance(item, dict):
                self.fail(place, tr("expected an object, found {kind}", kind=_kind(item)))
                continue
            self.unknown_keys(place, item, _MODULE_PARAM_KEYS)
            name = self.text(f"{place}.name", item.get("name"))
            if name is not None and not name.isidentifier():
                self.fail(f"{place}.name", tr("'{name}' is not a Python name: it becomes an __init__ argument", name=name))
                name = None
            kind = item.get("kind")
            if kind not in MODULE_PARAM_KINDS:
                self.fail(f"{place}.kind", tr("expected one of {kinds}, found {value}", kinds=", ".join(MODULE_PARAM_KINDS),
                                              value=_json_value(kind)))
                kind = None
            if "default" not in item:
                self.fail(place, tr("a module parameter needs a default (the value of a use that does not set it)"))
            bounds = [item.get(key) for key in ("min", "max")]
            for key, value in zip(("min", "max"), bounds):
                if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                    self.fail(f"{place}.{key}", tr("expected a number, found {value}", value=_json_value(value)))
            help_text = item.get("help", "")
            if not isinstance(help_text, str) or len(help_text) > 500:
                self.fail(f"{place}.help", tr("expected a short text"))
                help_text = ""
            if name is None or kind is None or "default" not in item:
                continue
            if any(p.name == name for p in params):
                self.fail(f"{place}.name", tr("two parameters are named '{name}'", name=name))
                continue
            params.append(ModuleParam(name, kind, item["default"], help_text, *bounds))
        return params

    def node(self, where: str, raw: Any) -> Node | None:
        if not isinstance(raw, dict):
            self.fail(where, tr("expected an object, found {kind}", kind=_kind(raw)))
            return None
        self.unknown_keys(where, raw, _NODE_KEYS)
        node_id = self.text(f"{where}.id", raw.get("id"))
        block = self.text(f"{where}.type", raw.get("type"))
        params = raw.get("params", {})
        if not isinstance(params, dict):
            self.fail(f"{where}.params", tr("expected an object of parameter values, found {kind}", kind=_kind(params)))
            params = {}
        ui = raw.get("ui")
        if ui is not None and not isinstance(ui, dict):
            self.fail(f"{where}.ui", tr("expected an object, found {kind}", kind=_kind(ui)))
            ui = None
        if node_id is None or block is None:
            return None
        return Node(node_id, block, params, ui)

    def edge(self, where: str, raw: Any, ids: set[str] | None) -> Edge | None:
        if not isinstance(raw, dict):
            self.fail(where, tr("expected an object, found {kind}", kind=_kind(raw)))
            return None
        self.unknown_keys(where, raw, _EDGE_KEYS)
        src = self.text(f"{where}.src", raw.get("src"))
        dst = self.text(f"{where}.dst", raw.get("dst"))
        port, src_port = raw.get("port", 0), raw.get("src_port", 0)
        for key, value in (("port", port), ("src_port", src_port)):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10_000:
                self.fail(f"{where}.{key}", tr("expected a port number (0, 1, ...), found {value}",
                                               value=_json_value(value)))
                return None
        if src is None or dst is None:
            return None
        if ids is not None:
            for key, value in (("src", src), ("dst", dst)):
                if value not in ids:
                    self.fail(f"{where}.{key}", tr("no node has the id '{id}'", id=value))
                    return None
        return Edge(src, dst, port, src_port)

    def text(self, where: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, tr("expected a non-empty string, found {kind}", kind=_kind(value)))
            return None
        if len(value) > MAX_ID_LENGTH or not value.isprintable():
            self.fail(where, tr("must be at most {count} printable characters", count=MAX_ID_LENGTH))
            return None
        return value

    def list(self, where: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, tr("expected a list, found {kind}", kind=_kind(value)))
            return []
        return value

    def unknown_keys(self, where: str, raw: dict[str, Any], allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.fail(f"{where}.{_key(key)}" if where else _key(key), tr("unknown key (expected one of: {keys})", keys=hint))


def _json_value(value: Any) -> str:
    """A scalar as the file writes it (`"other"`, `null`, `-1`), cut short; a list or object by its kind."""
    if value is None or isinstance(value, (bool, int, float, str)):
        text = json.dumps(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return _kind(value)


def _kind(value: Any) -> str:
    """What a JSON value is, as a message names it (`found the number 3`)."""
    if value is None:
        return tr("nothing")
    if isinstance(value, bool):
        return f"{json.dumps(value)}"
    if isinstance(value, (int, float)):
        return tr("the number {value}", value=repr(value))
    if isinstance(value, str):
        return tr("the text {text}", text=json.dumps(value)[:60])
    if isinstance(value, list):
        return tr("a list")
    if isinstance(value, dict):
        return tr("an object")
    return type(value).__name__
