"""The user's Python file: the nn.Module classes it defines (read without running it), and running it to
construct one of them, with what each module's constructor was given recorded for the import.

The file is the user's own code and runs in this process (the window runs the whole import in a separate
process, with a timeout). Every mistake in it is reported with the file and line: a syntax error, a
constructor that raises, a class that is not an nn.Module.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch.nn as nn

from builder.core.i18n import tr, trn


class ImportRefusal(Exception):
    """What cannot be imported, with the file and line where there is one, and what to do."""


def module_classes(path: Path) -> list[str]:
    """The classes the file defines that derive from nn.Module (directly or through another class of the file),
    found by reading it, without running it."""
    tree = _parse(path)
    bases: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases[node.name] = [_dotted(b) for b in node.bases]

    def is_module(name: str, seen: frozenset[str] = frozenset()) -> bool:
        for base in bases.get(name, []):
            if base.split(".")[-1] == "Module" or (base in bases and base not in seen
                                                   and is_module(base, seen | {name})):
                return True
        return False

    return [name for name in bases if is_module(name)]


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _parse(path: Path) -> ast.Module:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportRefusal(tr("{path}: no such file", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefusal(tr("{path}: cannot be read ({reason})", path=path,
                               reason=getattr(exc, "strerror", None) or exc)) from None
    try:
        return ast.parse(text, filename=str(path))
    except SyntaxError as exc:  # Python's own words for the mistake
        raise ImportRefusal(tr("{path}:{line}: syntax error: {error}; fix the file and import it again", path=path,
                               line=exc.lineno, error=exc.msg)) from None


@dataclass
class Loaded:
    module: nn.Module
    class_name: str
    init_args: dict[int, dict[str, Any]]  # id(module) -> the arguments its class's __init__ was given, defaults filled


def load_module(path: Path, class_name: str | None, kwargs: dict[str, Any]) -> Loaded:
    """Run the file and construct `class_name(**kwargs)` (the one nn.Module class it defines when None)."""
    classes = module_classes(path)
    if class_name is None:
        if len(classes) != 1:
            found = ", ".join(classes) if classes else tr("none")
            raise ImportRefusal(trn("{path}: defines {count} nn.Module class ({classes}); name the one to import as "
                                    "{name}:CLASS",
                                    "{path}: defines {count} nn.Module classes ({classes}); name the one to import as "
                                    "{name}:CLASS", len(classes), path=path, count=len(classes), classes=found,
                                    name=path.name))
        class_name = classes[0]
    namespace = _run(path)
    cls = namespace.get(class_name)
    if cls is None:
        known = ", ".join(classes) or tr("none")
        raise ImportRefusal(tr("{path}: defines no class {name} (its nn.Module classes: {classes})", path=path,
                               name=class_name, classes=known))
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ImportRefusal(tr("{path}: {name} is not an nn.Module subclass: only nn.Modules can be imported",
                               path=path, name=class_name))
    try:
        return construct(lambda: cls(**kwargs), class_name)
    except Exception as exc:  # the user's constructor: whatever it raises is its message
        raise ImportRefusal(tr("{place}: {call} raised {error_type}: {error}", place=where(exc, path),
                               call=f"{class_name}({_kwargs_text(kwargs)})", error_type=type(exc).__name__,
                               error=exc)) from None


def construct(make: Callable[[], nn.Module], class_name: str | None = None) -> Loaded:
    """The module `make` builds (`torchvision.models.resnet50()`, say), with what each module's constructor was
    given recorded; its class names the imported model unless `class_name` does."""
    with _recorded_init_args() as args:
        module = make()
    return Loaded(module, class_name or type(module).__name__, args)


def _run(path: Path) -> dict[str, Any]:
    """The file's namespace after running it as a module; its folder is importable while it runs, for the
    files it imports beside it."""
    _parse(path)  # a syntax error named with its line before anything runs
    name = f"nn_builder_import_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look a class's module up here
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ImportRefusal(tr("{place}: running the file raised {error_type}: {error}", place=where(exc, path),
                               error_type=type(exc).__name__, error=exc)) from None
    finally:
        sys.path.remove(str(path.parent))
    return vars(module)


def where(exc: BaseException, path: Path) -> str:
    """`model.py:12`: the last line of the user's file in the exception's traceback (the file alone if none)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
    return f"{path}:{line}" if line is not None else str(path)


def _kwargs_text(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


@contextmanager
def _recorded_init_args() -> Iterator[dict[int, dict[str, Any]]]:
    """While it is open, every nn.Module subclass outside torch.nn records the arguments its own __init__ was
    given (the most derived class's, defaults filled in): `BasicBlock(64, 128, stride=2)` → planes=128,
    stride=2. They name the module parameters of the definitions the import makes."""
    args: dict[int, dict[str, Any]] = {}
    patched: list[tuple[type, Any]] = []
    for cls in _subclasses(nn.Module):
        init = cls.__dict__.get("__init__")
        if init is None or cls.__module__.startswith("torch."):
            continue
        try:
            signature = inspect.signature(init)
        except (TypeError, ValueError):
            continue
        patched.append((cls, init))
        cls.__init__ = _recording(init, signature, args)
    try:
        yield args
    finally:
        for cls, init in patched:
            cls.__init__ = init


def _recording(init: Any, signature: inspect.Signature, args: dict[int, dict[str, Any]]) -> Any:
    def recording_init(self: nn.Module, *a: Any, **k: Any) -> None:
        if id(self) not in args:  # the most derived class's __init__ runs first: its arguments are the ones
            try:
                bound = signature.bind(self, *a, **k)
                bound.apply_defaults()
                args[id(self)] = {n: v for n, v in list(bound.arguments.items())[1:]}
            except TypeError:
                args[id(self)] = {}
        init(self, *a, **k)

    return recording_init


def _subclasses(cls: type) -> list[type]:
    found, stack = [], [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                stack.append(sub)
    return found
