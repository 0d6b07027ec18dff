"""Writing validated parameter values as Python literals for the generated code.

Only numbers, booleans, tuples of those and declared choice strings ever get here (the check
has validated them), and each is written with `repr()`.
"""

from __future__ import annotations

import math
from typing import Any


def literal(value: Any) -> str:
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"refusing to write a non-finite number {value!r} into code")
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    raise TypeError(f"cannot write {type(value).__name__} into generated code")


def collapse_pair(value: Any) -> Any:
    """(3, 3) is written as 3, the way people write it by hand."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        return value[0]
    return value


ALWAYS: Any = object()  # a keyword with no torch default: always written


def nn_call(name: str, positional: list[Any], keywords: list[tuple[str, Any, Any]]) -> str:
    """`nn.Conv2d(1, 6, kernel_size=5)`: keywords equal to torch's own default are left out."""
    parts = [literal(v) for v in positional]
    for key, value, torch_default in keywords:
        value = collapse_pair(value)
        if torch_default is not ALWAYS and value == torch_default and type(value) is type(torch_default):
            continue
        parts.append(f"{key}={literal(value)}")
    return f"{name}({', '.join(parts)})"


class Symbol:
    """A parameter value that the generated code writes as a name: a module class's `__init__` argument
    (`nn.Conv2d(in_channels, planes, kernel_size=3, stride=stride)`). Never equal to a torch default, so it
    is always written."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name
