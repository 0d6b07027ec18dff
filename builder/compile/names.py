"""Turning node ids and model names into safe, unique Python identifiers (as torch.fx does)."""

from __future__ import annotations

import builtins
import keyword
import re

import torch.nn as nn

# Names a generated module must not shadow: its own imports, Python's words, and everything an
# nn.Module already has (an attribute called `forward` or `training` would break the module).
RESERVED = frozenset(
    {"self", "torch", "nn", "F"}
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
    | set(dir(builtins))
    | set(dir(nn.Module()))  # an instance: also `training` and the other fields __init__ sets
)

_NOT_IDENTIFIER = re.compile(r"[^0-9a-zA-Z_]+")


def sanitize(name: str) -> str:
    """`"conv 1"` -> `conv_1`, `"1st"` -> `_1st`; only ASCII letters, digits and underscores survive."""
    text = _NOT_IDENTIFIER.sub("_", name).strip("_") or "node"
    if text[0].isdigit():
        text = "_" + text
    return text


class Namer:
    """Hands out unique identifiers; a taken or reserved name gets `_1`, `_2`, ..."""

    def __init__(self, reserved: frozenset[str] = RESERVED) -> None:
        self._taken: set[str] = set(reserved)

    def name(self, wanted: str) -> str:
        base = sanitize(wanted)
        candidate = base
        counter = 0
        while candidate in self._taken:
            counter += 1
            candidate = f"{base}_{counter}"
        self._taken.add(candidate)
        return candidate
