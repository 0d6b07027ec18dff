"""Damaged project files, shared by tests/core/test_project_fuzz.py and scripts/fuzz_projects.py.

`damaged_projects()` draws the bytes of a broken project file: a valid project (the shipped templates and
example) with its structure damaged (wrong types, missing and unknown keys, extreme numbers, hostile text,
deep nesting, bad wiring, broken settings) or its bytes damaged (truncated, flipped, not UTF-8, empty).

`run_check` feeds one file through the real command line in this process, `builder check FILE`, and
`failures` judges the outcome: an empty list means the file ended as a damaged file must, with exit
status 0, 1 or 2, no traceback, no code from the file run, and every message saying where its problem is.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import io
import json
import os
import re
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from builder.blocks.modules import SEPARATOR
from builder.blocks.registry import BLOCKS
from builder.cli import main
from builder.core.project import Project, load_project
from builder.train.config import DATA_PARAMS, GAN_KEYS, TRAINING_PARAMS, ConfigError, parse_settings
from builder.train.optimizers import OPTION_NAMES
from builder.train.schedules import SCHEDULES

REPOSITORY = Path(__file__).resolve().parent.parent
# The shipped projects moved from assets/ into the package; look in both places.
SEED_FOLDERS = ("builder/assets/templates", "builder/assets/examples", "assets/templates", "assets/examples")

SLOW_SECONDS = 10.0  # one file taking longer than this to check is a pathological-input bug
MAX_LINE = 5000  # a longer printed line means a value from the file was echoed without being cut short

# The README's smallest project: small documents make each damage more likely to matter.
README_PROJECT = {
    "format": "nn-builder-project", "version": 1,
    "models": [{"name": "Net",
                "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 28, 28]}},
                          {"id": "c1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
                          {"id": "act", "type": "ReLU"},
                          {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2}},
                          {"id": "flat", "type": "Flatten"},
                          {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
                          {"id": "out", "type": "Output"}],
                "edges": [{"src": "x", "dst": "c1"}, {"src": "c1", "dst": "act"}, {"src": "act", "dst": "pool"},
                          {"src": "pool", "dst": "flat"}, {"src": "flat", "dst": "fc"}, {"src": "fc", "dst": "out"}]}],
    "data": {}, "training": {},
}


def seed_files() -> list[Path]:
    """The valid projects NN Builder ships, wherever this checkout keeps them."""
    files = sorted({path for folder in SEED_FOLDERS for path in (REPOSITORY / folder).glob("*.json")})
    if not files:
        raise FileNotFoundError(f"no shipped project files in any of {', '.join(SEED_FOLDERS)}")
    return files


SEEDS: tuple[dict[str, Any], ...] = (README_PROJECT, *(json.loads(p.read_text("utf-8")) for p in seed_files()))

# Hostile text: anything that ever eval'd, exec'd or formatted these into code would create the sentinel file.
SENTINEL = "NN_BUILDER_FUZZ_SENTINEL"
CODE_TEXTS = (
    f"__import__('os').system('touch {SENTINEL}')",
    f"\"); import os; os.system('touch {SENTINEL}') #",
    f"'); import os; os.system('touch {SENTINEL}') #",
    f"exec(\"open('{SENTINEL}', 'w').close()\")",
    f"eval(\"__import__('os').system('touch {SENTINEL}')\")",
    f"{{__import__('os').system('touch {SENTINEL}')}}",
    f"x\nimport os\nos.system('touch {SENTINEL}')",
    f"lambda: __import__('pathlib').Path('{SENTINEL}').touch()",
    f"__import__('pathlib').Path('{SENTINEL}').touch()",
)
ODD_TEXTS = (
    "", " ", "\t", "\x00", "\x1b[2J\x1b[31m", "a\nb", "a\rb", "\u202eevil", "\u200b", "\ud800", "\udfff", "\ufeff",
    "e\u0301", "\U0001d518\U0001d52b", "名前", "\u2028", "\x85", "null", "None", "__class__", "__dict__", "self",
    "0", "-1", "NaN", "Infinity", "../../etc/passwd", "C:\\con", "a" * 100, "a" * 101, "x" * 10_000,
)
BLOCK_TYPES = tuple(BLOCKS.names())
PARAM_NAMES = tuple(sorted({p.name for spec in BLOCKS for p in spec.params}))
SETTINGS_KEYS = {
    "data": (*(p.name for p in DATA_PARAMS), "source"),
    "training": (*(p.name for p in TRAINING_PARAMS), *GAN_KEYS, *OPTION_NAMES, "schedule"),
}
SOURCE_KINDS = ("synthetic", "image_folder", "npz", "npy", "idx", "csv")

EXTREME_NUMBERS = (
    0, 1, 2, 3, -1, -5, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63), 10**30, 10**400, -(10**400),
    0.0, -0.0, 0.5, 1.5, 1e-308, 5e-324, 1e308, -1e308, 1.7976931348623157e308,
    float("nan"), float("inf"), float("-inf"),
)
DEEP_LEVELS = (99, 100, 101, 500, 990, 1000, 3000, 100_000)
LONG_DIGITS = (400, 4300, 4301, 20_000)

texts = st.one_of(
    st.sampled_from(CODE_TEXTS + ODD_TEXTS),
    st.sampled_from(BLOCK_TYPES + PARAM_NAMES),
    st.text(max_size=30),
    st.text(st.characters(categories=("Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Mn")), min_size=1, max_size=8),
)
numbers = st.one_of(st.sampled_from(EXTREME_NUMBERS), st.integers(), st.floats())
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(texts, inner, max_size=4)), max_leaves=10)
# Paths a data source may name: ones the file system refuses to look at (too long, a NUL), odd but real ones.
path_texts = st.one_of(texts, st.sampled_from(("x" * 300, "/" + "z/" * 3000, "a\x00b", ".", "..", "/", "~", "//",
                                               "/dev/null", "/proc/self", "nowhere/", "C:\\data")))
# Values the settings take by name: devices, losses, optimizers, tasks, and near misses of them.
settings_texts = st.sampled_from(("auto", "cpu", "cuda", "cuda:0", "cuda:99999999999999999999", "cuda:-1", "mps",
                                  "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "NLLLoss", "SGD",
                                  "Adam", "adam", "classification", "reconstruction", "regression", "gan"))
param_values = st.one_of(numbers, st.lists(numbers, min_size=1, max_size=3), values)
ports = st.one_of(st.sampled_from((-1, -5, 0.5, 1.0, 2**63, 10**400, 1e308, float("nan"), "0", None, True, [0], 99)),
                  st.integers())


# Where a damage can land --------------------------------------------------------------------------

def _containers(doc: Any) -> list[Any]:
    """Every dict and list in the document, the document itself first (iteratively: it may be deep)."""
    found, stack = [], [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, (dict, list)):
            found.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


def _slots(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key or index) for every value in the document."""
    return [(c, k) for c in _containers(doc) for k in (list(c) if isinstance(c, dict) else range(len(c)))]


def _models(doc: Any) -> list[dict[str, Any]]:
    models = doc.get("models") if isinstance(doc, dict) else None
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []


def _nodes(model: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = model.get("nodes")
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _edges(model: dict[str, Any]) -> list[Any]:
    if not isinstance(model.get("edges"), list):
        model["edges"] = []
    return model["edges"]


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    if not isinstance(doc.get(name), dict):
        doc[name] = {}
    return doc[name]


def _pick_node(draw: Callable, doc: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    pairs = [(m, n) for m in _models(doc) for n in _nodes(m)]
    return draw(st.sampled_from(pairs)) if pairs else None


# Structural damage: each takes (draw, document, raw) and edits the document in place. `raw` maps
# placeholder strings to JSON text that json.dumps cannot write (deep nesting, numbers of 20,000 digits).

def replace_value(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    container, key = draw(st.sampled_from(_slots(doc)))
    container[key] = draw(values)


def delete_key(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    dicts = [c for c in _containers(doc) if isinstance(c, dict) and c]
    if dicts:
        target = draw(st.sampled_from(dicts))
        del target[draw(st.sampled_from(list(target)))]


def add_unknown_key(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    target = draw(st.sampled_from([c for c in _containers(doc) if isinstance(c, dict)] or [{}]))
    target[draw(texts)] = draw(values)


def remove_list_item(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    lists = [c for c in _containers(doc) if isinstance(c, list) and c]
    if lists:
        target = draw(st.sampled_from(lists))
        del target[draw(st.integers(0, len(target) - 1))]


def duplicate_node_id(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    models = [m for m in _models(doc) if len(_nodes(m)) >= 2]
    if models:
        nodes = _nodes(draw(st.sampled_from(models)))
        first, second = draw(st.lists(st.sampled_from(nodes), min_size=2, max_size=2))
        second["id"] = first.get("id")


def wire_badly(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    """A wire to a missing node, a self-loop, a cycle back to an earlier node, or a taken port."""
    models = _models(doc)
    if not models:
        return
    model = draw(st.sampled_from(models))
    ids = [n.get("id") for n in _nodes(model)] or ["ghost"]
    src = draw(st.sampled_from(ids))
    kind = draw(st.sampled_from(("missing", "self", "back", "any")))
    if kind == "missing":
        dst = draw(st.one_of(st.just("ghost"), texts))
    elif kind == "self":
        dst = src
    elif kind == "back":
        dst = ids[draw(st.integers(0, max(ids.index(src), 0)))]
    else:
        dst = draw(st.sampled_from(ids))
    edge = {"src": src, "dst": dst}
    if draw(st.booleans()):
        edge["port"] = draw(ports)
    _edges(model).append(edge)


def bad_port(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    edges = [e for m in _models(doc) for e in _edges(m) if isinstance(e, dict)]
    if edges:
        draw(st.sampled_from(edges))["port"] = draw(ports)


def hostile_name(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    """Hostile text as a node id (renamed with its wires, so the file still loads), type, param or model name."""
    picked = _pick_node(draw, doc)
    if picked is None:
        return
    model, node = picked
    name = draw(texts)
    where = draw(st.sampled_from(("id", "type", "param name", "param value", "model name")))
    if where == "id":
        old = node.get("id")
        node["id"] = name
        for edge in _edges(model):
            for end in ("src", "dst"):
                if isinstance(edge, dict) and edge.get(end) == old:
                    edge[end] = name
    elif where == "type":
        node["type"] = name
    elif where == "model name":
        model["name"] = name
    else:
        params = node["params"] if isinstance(node.get("params"), dict) else node.setdefault("params", {})
        if where == "param name":
            params[name] = draw(param_values)
        elif isinstance(node.get("params"), dict):
            key = draw(st.sampled_from(list(params) or ["p"]))
            params[key] = name


def retype_node(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    picked = _pick_node(draw, doc)
    if picked is not None:
        _model, node = picked
        spec = BLOCKS[draw(st.sampled_from(BLOCK_TYPES))]
        node["type"] = spec.type
        node["params"] = dict(spec.starter) if draw(st.booleans()) else node.get("params", {})


def extreme_param(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    """A declared parameter of the node's own type set to an extreme value: where shape inference can overflow."""
    picked = _pick_node(draw, doc)
    if picked is None:
        return
    _model, node = picked
    spec = BLOCKS.get(node.get("type")) if isinstance(node.get("type"), str) else None
    names = [p.name for p in spec.params] if spec is not None and spec.params else list(PARAM_NAMES)
    if not isinstance(node.get("params"), dict):
        node["params"] = {}
    for _ in range(draw(st.integers(1, 3))):
        node["params"][draw(st.sampled_from(names))] = draw(param_values)


def damage_settings(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    name = draw(st.sampled_from(("data", "training")))
    section = _section(doc, name)
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.one_of(st.sampled_from(SETTINGS_KEYS[name]), texts))
        section[key] = draw(st.one_of(values, settings_texts, _schedules(), _sources()))


def gan_mode(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    training = _section(doc, "training")
    training["mode"] = "gan"
    names = [m.get("name") for m in _models(doc)] or ["G"]
    for side in ("generator", "discriminator"):
        if draw(st.booleans()):
            training[side] = draw(st.one_of(st.sampled_from(names), texts, numbers, st.none(), values))


def deep_nesting(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    container, key = draw(st.sampled_from(_slots(doc)))
    depth = draw(st.sampled_from(DEEP_LEVELS))
    opening, closing = draw(st.sampled_from((("[", "]"), ('{"a": ', "}"))))
    marker = f"@@raw{len(raw)}@@"
    raw[marker] = opening * depth + "1" + closing * depth
    container[key] = marker


def long_number(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    container, key = draw(st.sampled_from(_slots(doc)))
    digits = draw(st.sampled_from(LONG_DIGITS))
    marker = f"@@raw{len(raw)}@@"
    raw[marker] = draw(st.sampled_from(("1" + "0" * digits, "-9" + "9" * digits, "1e99999", "0." + "0" * digits + "1")))
    container[key] = marker


def many_nodes(draw: Callable, doc: Any, raw: dict[str, str]) -> None:
    """A long chain of nodes, or a fan of many Outputs: inputs that could make the check slow."""
    models = _models(doc)
    if not models:
        return
    model = draw(st.sampled_from(models))
    count = draw(st.sampled_from((200, 1000, 3000)))
    start = draw(st.sampled_from([n.get("id") for n in _nodes(model)] or ["x"]))
    if not isinstance(model.get("nodes"), list):
        model["nodes"] = []
    nodes = model["nodes"]
    fan = draw(st.booleans())
    prefix = f"many{len(nodes)}_"  # unique when this damage is done twice
    for i in range(count):
        nodes.append({"id": f"{prefix}{i}", "type": "Output" if fan else "ReLU"})
        _edges(model).append({"src": start if fan or i == 0 else f"{prefix}{i - 1}", "dst": f"{prefix}{i}"})


# Damage that mostly leaves a file that loads, so that the check itself (wiring, parameters, shapes) gets it.
GENTLE_DAMAGE = (wire_badly, hostile_name, retype_node, extreme_param, damage_settings, gan_mode, many_nodes)
STRUCTURAL_DAMAGE = (*GENTLE_DAMAGE, replace_value, delete_key, add_unknown_key, remove_list_item, duplicate_node_id,
                     bad_port, deep_nesting, long_number)


def _schedules() -> st.SearchStrategy:
    option = st.sampled_from(sorted({p.name for spec in SCHEDULES.values() for p in spec.options}))
    kind = st.one_of(st.sampled_from(tuple(SCHEDULES)), st.sampled_from(("Cyclic", "", None, 5)),
                     st.lists(st.integers(), max_size=2), st.dictionaries(texts, scalars, max_size=2))
    return st.builds(lambda k, extra: {"kind": k, **extra}, kind, st.dictionaries(option, param_values, max_size=3))


def _sources() -> st.SearchStrategy:
    kind = st.one_of(st.sampled_from(SOURCE_KINDS), texts, st.lists(st.integers(), max_size=2), st.none())
    keys = st.sampled_from(("path", "name", "x", "y", "images", "labels", "target", "columns", "samples", "seed"))
    return st.builds(lambda k, extra: {"kind": k, **extra}, kind,
                     st.dictionaries(keys, st.one_of(path_texts, values), max_size=3))


@st.composite
def damaged_documents(draw: Callable, damage: tuple[Callable, ...] = STRUCTURAL_DAMAGE) -> str:
    """The JSON text of a valid project with one to four structural damages."""
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    raw: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 4))):
        draw(st.sampled_from(damage))(draw, doc, raw)
    text = json.dumps(doc, indent=draw(st.sampled_from((None, 2))), ensure_ascii=draw(st.booleans()))
    for marker, replacement in raw.items():
        text = text.replace(json.dumps(marker), replacement)
    return text


# Byte damage: each takes (draw, bytes of a file) and returns the damaged bytes.

def truncate(draw: Callable, data: bytes) -> bytes:
    return data[:draw(st.integers(0, len(data)))]


def flip_bytes(draw: Callable, data: bytes) -> bytes:
    damaged = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if damaged:
            damaged[draw(st.integers(0, len(damaged) - 1))] ^= draw(st.integers(1, 255))
    return bytes(damaged)


def insert_bytes(draw: Callable, data: bytes) -> bytes:
    """Bytes that are not UTF-8 (or odd UTF-8), spliced in anywhere."""
    inserted = draw(st.one_of(st.sampled_from((b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80", b"\x00",
                                               b"\xef\xbb\xbf", b"\xe2\x80\xae")), st.binary(min_size=1, max_size=16)))
    at = draw(st.integers(0, len(data)))
    return data[:at] + inserted + data[at:]


def whole_file(draw: Callable, data: bytes) -> bytes:
    """Replace or wrap the whole file: empty, only whitespace, a BOM, UTF-16, megabytes of whitespace."""
    whole = draw(st.sampled_from((
        b"", b" ", b"\n\n", b"null", b"[]", b"{}", b"0", b'"project"', lambda: b"\xef\xbb\xbf" + data,
        lambda: data.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass"),
        lambda: b" \n\t\r" * 1_000_000, lambda: b"\n" * 500_000 + data + b" " * 500_000,
    )))
    return whole() if callable(whole) else whole


BYTE_DAMAGE = (truncate, flip_bytes, insert_bytes, whole_file)


@st.composite
def byte_damaged(draw: Callable) -> bytes:
    seed = st.sampled_from(SEEDS).map(lambda doc: json.dumps(doc, indent=2, ensure_ascii=False))
    data = draw(st.one_of(seed, damaged_documents())).encode("utf-8", "surrogatepass")
    return draw(st.sampled_from(BYTE_DAMAGE))(draw, data)


def damaged_projects() -> st.SearchStrategy[bytes]:
    """The bytes of a damaged project file: structure broken (gently, or any way), or bytes broken, or both."""
    gentle, structural = (damaged_documents(damage).map(lambda text: text.encode("utf-8", "surrogatepass"))
                          for damage in (GENTLE_DAMAGE, STRUCTURAL_DAMAGE))
    return st.one_of(gentle, structural, byte_damaged())


# Running one file ------------------------------------------------------------------------------

@dataclass
class Outcome:
    path: Path
    status: int | None = None
    stdout: str = ""
    stderr: str = ""
    crash: str | None = None  # the traceback of an exception that escaped `main`
    seconds: float = 0.0
    code_runs: list[str] = field(default_factory=list)  # eval/exec/compile/process calls carrying the file's text
    sentinel: bool = False
    project: Project | None = None  # the file as loaded, when it loads
    settings_problems: list[str] = field(default_factory=list)
    settings_crash: str | None = None


def run_check(document: bytes) -> Outcome:
    """`builder check` on the document, in a fresh folder that is also the working folder."""
    with tempfile.TemporaryDirectory(prefix="nn-builder-fuzz-") as folder:
        outcome = Outcome(Path(folder) / "damaged.json")
        outcome.path.write_bytes(document)
        with _working_folder(folder), _code_guard(outcome.code_runs):
            _run_main(outcome)
            if outcome.status in (0, 1) and outcome.crash is None:
                _run_settings(outcome)
        outcome.sentinel = any((Path(where) / SENTINEL).exists() for where in (folder, REPOSITORY, Path.cwd()))
        return outcome


def _run_main(outcome: Outcome) -> None:
    # Real terminals encode strictly: a lone surrogate printed there is a crash, so it must be one here too.
    out, err = io.BytesIO(), io.BytesIO()
    out_text = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="\n", write_through=True)
    err_text = io.TextIOWrapper(err, encoding="utf-8", errors="strict", newline="\n", write_through=True)
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out_text), contextlib.redirect_stderr(err_text):
            outcome.status = main(["check", str(outcome.path)])
    except BaseException:  # noqa: BLE001 - whatever escapes is the finding
        outcome.crash = traceback.format_exc()
    outcome.seconds = time.perf_counter() - started
    outcome.stdout = out.getvalue().decode("utf-8", "replace")
    outcome.stderr = err.getvalue().decode("utf-8", "replace")


def _run_settings(outcome: Outcome) -> None:
    """The data and training sections of a file that loads, through the parser training uses."""
    try:
        outcome.project = load_project(outcome.path)
        parse_settings(outcome.project)
    except ConfigError as exc:
        outcome.settings_problems = exc.problems
    except BaseException:  # noqa: BLE001
        outcome.settings_crash = traceback.format_exc()


@contextlib.contextmanager
def _working_folder(folder: str) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _code_guard(calls: list[str]) -> Iterator[None]:
    """eval, exec and compile refuse (and record) any source holding the sentinel; no process may start."""
    originals = {"eval": builtins.eval, "exec": builtins.exec, "compile": builtins.compile}

    def guarded(name: str) -> Callable:
        def call(source: Any, *args: Any, **kwargs: Any) -> Any:
            text = source.decode("utf-8", "replace") if isinstance(source, bytes) else str(source)
            if SENTINEL in text:
                calls.append(f"{name}({text[:80]!r})")
                raise PermissionError(f"the fuzz test refuses to {name} text from a project file")
            return originals[name](source, *args, **kwargs)
        return call

    def no_process(*args: Any, **kwargs: Any) -> Any:
        calls.append(f"a process was started: {args[:1]!r}")
        raise PermissionError("the fuzz test refuses to start a process")

    patches = [(builtins, name, guarded(name)) for name in originals]
    patches += [(os, "system", no_process), (os, "popen", no_process), (subprocess, "Popen", no_process)]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


# Judging the outcome -----------------------------------------------------------------------------
#
# "Located" means a reader can go straight to the problem:
# - status 2 (the file does not load): every stderr line starts with the file's path, and what follows names a
#   JSON position: `line L, column C` (not JSON), a path from the document's root (`models[0].nodes[3].type`,
#   `training.lr`), an unknown top-level key, or it is about the file as a whole (not readable, not an object,
#   no models).
# - status 0 and 1 (the file loads): each problem or warning line names its place. It starts with a settings key
#   (`training.lr: `, `data.source: `), or with a node of a model (`conv1: `, `Net/conv1: `), or with a model
#   (`Net: `, `Net/the model ...`), or names its models in words (`the generator G makes ...`). A model-level
#   problem of a project with one model (`the model has no Input block`) can only be about that model.
# Every printed line is also one printable line (no control characters from the file) of bounded length.

_JSON_POSITION = re.compile(r"line \d+, column \d+: ")
_JSON_PATH = re.compile(r"(format|version|models|data|training|runs)(\[\d+\]|\.|: )")
_UNKNOWN_TOP_KEY = re.compile(r".+: unknown key \(expected one of: ")
_WHOLE_FILE = ("no such file", "is a folder", "is not a text file", "cannot be read: ",
               "expected a JSON object at the top, found ", "the project has no models")
_SETTINGS_KEY = re.compile(r"(data|training)(\.|: )")
_TABLE_HEADER = re.compile(r"node +type +output +params +MACs$")
_TABLE_TOTAL = re.compile(r"total +[\d,]+ +[\d,]+$")
MODEL_LEVEL = "the model "


def failures(outcome: Outcome) -> list[str]:
    """What the outcome did that a damaged file must never cause; empty when it ended well."""
    found = []
    if outcome.crash is not None:
        found.append(f"an exception escaped main:\n{outcome.crash}")
    if outcome.status not in (0, 1, 2):
        found.append(f"exit status {outcome.status}")
    if "Traceback" in outcome.stdout + outcome.stderr:
        found.append("a traceback was printed")
    found += [f"code from the file reached {call}" for call in outcome.code_runs]
    if outcome.sentinel:
        found.append(f"the sentinel file {SENTINEL} was created: code from the file ran")
    if outcome.seconds > SLOW_SECONDS:
        found.append(f"checking took {outcome.seconds:.1f} s")
    found += _unprintable_lines(outcome.stdout + outcome.stderr)
    if outcome.crash is None and outcome.status == 2:
        found += _unlocated_file_problems(outcome)
    elif outcome.crash is None and outcome.status in (0, 1):
        found += _unlocated_check_lines(outcome)
    found += _settings_failures(outcome)
    return found


def _unprintable_lines(text: str) -> list[str]:
    found = []
    for line in text.split("\n"):
        if not line.isprintable():
            found.append(f"a printed line holds control or unprintable characters: {line[:200]!r}")
        elif len(line) > MAX_LINE:
            found.append(f"a printed line is {len(line):,} characters long: {line[:200]!r}")
    return found


def _unlocated_file_problems(outcome: Outcome) -> list[str]:
    prefix = f"{outcome.path}: "
    lines = [line for line in outcome.stderr.split("\n") if line]
    found = [] if lines else ["status 2 with nothing on stderr"]
    if outcome.stdout:
        found.append(f"status 2 but stdout has {outcome.stdout[:200]!r}")
    for line in lines:
        if not line.startswith(prefix):
            found.append(f"a stderr line does not start with the file's path: {line[:200]!r}")
        elif not file_problem_is_located(line[len(prefix):]):
            found.append(f"a file problem names no JSON location: {line[:200]!r}")
    return found


def file_problem_is_located(problem: str) -> bool:
    return bool(_JSON_POSITION.match(problem) or _JSON_PATH.match(problem) or _UNKNOWN_TOP_KEY.match(problem)
                or problem.startswith(_WHOLE_FILE))


def _unlocated_check_lines(outcome: Outcome) -> list[str]:
    if outcome.stderr:
        return [f"status {outcome.status} but stderr has {outcome.stderr[:200]!r}"]
    project = outcome.project or load_project(outcome.path)
    found = []
    problems, warnings, stray = split_check_output(outcome.stdout, [m.name for m in project.models])
    found += [f"a line after a table is not a warning: {line[:200]!r}" for line in stray]
    for line in problems + warnings:
        if not check_line_is_located(line, project):
            found.append(f"a check problem names no node, model or settings key: {line[:200]!r}")
    if outcome.status == 1 and not problems:
        found.append("status 1 with no problem printed")
    return found


def split_check_output(stdout: str, model_names: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(problem lines, warning lines without `warning: `, stray lines) of `builder check`'s output.

    A model that checks clean prints `model NAME`, a table that ends with its `total` row, its warnings
    and a blank line; a model with problems prints one line per problem."""
    lines = stdout.split("\n")
    problems, warnings, stray = [], [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line[len("model "):] in model_names and i + 1 < len(lines) and _TABLE_HEADER.match(lines[i + 1]):
            i += 2
            while i < len(lines) and not _TABLE_TOTAL.match(lines[i]):
                i += 1
            i += 1
            while i < len(lines) and lines[i]:
                if lines[i].startswith("warning: "):
                    warnings.append(lines[i][len("warning: "):])
                else:
                    stray.append(lines[i])
                i += 1
        elif line:
            problems.append(line)
        i += 1
    return problems, warnings, stray


def check_line_is_located(line: str, project: Project) -> bool:
    if line.startswith("warning: "):
        line = line[len("warning: "):]
    if _SETTINGS_KEY.match(line):
        return True
    if len(project.models) == 1 and _names_a_node(line, project.models[0], project):
        return True
    for model in project.models:
        if line.startswith(f"{model.name}: "):
            return True
        if line.startswith(f"{model.name}/") and _names_a_node(line[len(model.name) + 1:], model, project):
            return True
        if re.search(rf"\b(?:model|generator|discriminator) '?{re.escape(model.name)}'?(?!\w)", line):
            return True
    return False


def _names_a_node(line: str, model: Any, project: Project) -> bool:
    """`node: ...`, or a problem inside a module, `use › inner › node: ...`, each step a node of the level before."""
    if line.startswith(MODEL_LEVEL) or any(line.startswith(f"{node.id}: ") for node in model.nodes):
        return True
    modules = {m.name: m for m in project.models}
    for node in model.nodes:
        if line.startswith(f"{node.id}{SEPARATOR}") and node.type in modules:
            inner = line[len(node.id) + len(SEPARATOR):]
            if _names_a_node(inner, modules[node.type], project):
                return True
    return False


def _settings_failures(outcome: Outcome) -> list[str]:
    if outcome.settings_crash is not None:
        return [f"parse_settings crashed:\n{outcome.settings_crash}"]
    found = []
    for problem in outcome.settings_problems:
        if not (problem.isprintable() and len(problem) <= MAX_LINE):
            found.append(f"a settings problem is not one short printable line: {problem[:200]!r}")
        elif not _SETTINGS_KEY.match(problem):
            found.append(f"a settings problem names no data./training. key: {problem[:200]!r}")
    return found
