"""Parameter declarations: kind, default, range or choices, and a one-line help for a learner.

Editors, tooltips, validation and code generation are all derived from these declarations.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from builder.core.problems import printable

INT = "int"
FLOAT = "float"
BOOL = "bool"
CHOICE = "choice"
INT_PAIR = "int_or_pair"  # an int, or [height, width]
FLOAT_PAIR = "float_or_pair"
SHAPE = "shape"  # a list of positive ints: a sample's shape without the batch dimension
TEXT = "text"  # a short printable string (a model name, a device); never written into code
FILE = "file"  # the path of a file, relative to the project's folder (data sources)
FOLDER = "folder"  # the path of a folder, likewise
TEXT_LIST = "text_list"  # a list of short strings (a table's column names)
INT_LIST = "int_list"  # a list of whole numbers (dims, a shape with a -1); with `scalar`, one number also

KINDS = (INT, FLOAT, BOOL, CHOICE, INT_PAIR, FLOAT_PAIR, SHAPE, TEXT, FILE, FOLDER, TEXT_LIST, INT_LIST)
PATH_KINDS = (FILE, FOLDER)
MAX_PATH = 4096


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    help: str
    default: Any = REQUIRED
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    # None is a valid value: "not set". For `inferred` params it means "take it from the input".
    optional: bool = False
    inferred: bool = False
    min_exclusive: bool = False  # the minimum itself is not allowed (eps > 0, scale_factor > 0)
    axes: tuple[str, str] = ("height", "width")  # what the two numbers of a pair are
    pair_only: bool = False  # a pair must be given as two numbers (Adam's betas), not one
    # Its label in a canvas node's summary, written before the value: "k" shows kernel_size 3 as `k3`, ""
    # shows the value alone. None: the name, a space and the value (`eps 0.001`).
    short: str | None = None
    unset: str = ""  # what leaving an optional parameter unset means, for people: "the training seed", "off"
    count: tuple[int, int] = (1, 6)  # an int_list: how many numbers it holds, at least and at most
    scalar: bool = False  # an int_list that also takes one whole number as it is (ZeroPad2d's padding: every side)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown parameter kind {self.kind!r}")
        if self.kind == CHOICE and not self.choices:
            raise ValueError(f"{self.name}: a choice needs its choices")
        if self.inferred and not self.optional:
            raise ValueError(f"{self.name}: an inferred parameter must accept None")
        if not 1 <= self.count[0] <= self.count[1]:
            raise ValueError(f"{self.name}: a list holds at least one number")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def default_text(self) -> str:
        """The default as the reference and the help show it: "required", "from the wire", a value."""
        if self.default is REQUIRED:
            return "required"
        if self.inferred:
            return "from the wire"
        if self.default is None:
            return f"not set: {self.unset}" if self.unset else "not set"
        return str(self.default).lower() if isinstance(self.default, bool) else str(self.default)

    def kind_text(self) -> str:
        """What it takes, for the reference: its choices, or its kind and range ("int (≥ 1)")."""
        if self.choices:
            return " / ".join(str(c) for c in self.choices)
        bounds = []
        kind = self.kind
        if kind == INT_LIST:
            low, high = self.count
            kind = ("int or " if self.scalar else "") + "int_list"
            bounds.append(f"{low} entries" if low == high else f"{low} to {high} entries")
        if self.min is not None:
            bounds.append(f"{'>' if self.min_exclusive else '≥'} {self.min:g}")
        if self.max is not None:
            bounds.append(f"≤ {self.max:g}")
        return kind + (f" ({', '.join(bounds)})" if bounds else "")

    def validate(self, value: Any) -> tuple[Any, str | None]:
        """Return (normalized value, None) or (None, a message saying what is wrong with it)."""
        if value is None:
            if self.optional:
                return None, None
            return None, f"{self.name} must be set"
        if self.kind == BOOL:
            if isinstance(value, bool):
                return value, None
            return None, f"{self.name} must be true or false, got {_show(value)}"
        if self.kind == CHOICE:
            if value in self.choices and type(value) is type(self.choices[self.choices.index(value)]):
                # Keep the declaration's own object, never the file's, for the generated code.
                return self.choices[self.choices.index(value)], None
            options = ", ".join(str(c) for c in self.choices)
            return None, f"{self.name} must be one of {options}; got {_show(value)}"
        if self.kind == SHAPE:
            return self._shape(value)
        if self.kind == TEXT:
            if _is_text(value, 100):
                return value, None
            return None, f"{self.name} must be a short piece of text, got {_show(value)}"
        if self.kind in PATH_KINDS:
            if _is_text(value, MAX_PATH):
                return value, None
            return None, f"{self.name} must be the path of a {self.kind}, as text; got {_show(value)}"
        if self.kind == TEXT_LIST:
            if isinstance(value, list) and value and all(_is_text(v, 100) for v in value):
                return list(value), None
            return None, f"{self.name} must be a list of names, e.g. [\"a\", \"b\"]; got {_show(value)}"
        if self.kind in (INT_PAIR, FLOAT_PAIR):
            return self._pair(value)
        if self.kind == INT_LIST:
            return self._list(value)
        return self._number(value, self.kind)

    def _number(self, value: Any, kind: str, label: str | None = None) -> tuple[Any, str | None]:
        label = label or self.name
        if kind == INT:
            if not _is_int(value):
                return None, f"{label} must be a whole number, got {_show(value)}"
        else:
            if not _is_number(value):
                return None, f"{label} must be a number, got {_show(value)}"
            value = _float(value)
            if not math.isfinite(value):
                return None, f"{label} must be a finite number, got {value}"
        if self.min is not None and (value < self.min or (self.min_exclusive and value == self.min)):
            bound = f"greater than {_num(self.min)}" if self.min_exclusive else f"at least {_num(self.min)}"
            return None, f"{label} must be {bound}, got {_num(value)}"
        if self.max is not None and value > self.max:
            return None, f"{label} must be at most {_num(self.max)}, got {_num(value)}"
        return value, None

    def _pair(self, value: Any) -> tuple[Any, str | None]:
        kind = INT if self.kind == INT_PAIR else FLOAT
        shape = f"[{', '.join(self.axes)}]"
        expected = f"a pair {shape}" if self.pair_only else f"one {_noun(kind)} or a pair {shape}"
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                return None, f"{self.name} must be {expected}, got {len(value)} values"
            parts = []
            for item, axis in zip(value, self.axes):
                part, error = self._number(item, kind, f"{self.name} ({axis})")
                if error:
                    return None, error
                parts.append(part)
            return tuple(parts), None
        if self.pair_only or not (_is_int(value) if kind == INT else _is_number(value)):
            return None, f"{self.name} must be {expected}, got {_show(value)}"
        return self._number(value, kind)

    def _list(self, value: Any) -> tuple[Any, str | None]:
        if self.scalar and _is_int(value):
            return self._number(value, INT)
        low, high = self.count
        size = str(low) if low == high else f"{low} to {high}"
        expected = f"a list of {size} whole number{'' if high == 1 else 's'}"
        if self.scalar:
            expected = f"one whole number or {expected}"
        if not isinstance(value, (list, tuple)):
            return None, f"{self.name} must be {expected}, got {_show(value)}"
        if not low <= len(value) <= high:
            return None, f"{self.name} must be {expected}, got {len(value)} values"
        parts = []
        for item in value:
            part, error = self._number(item, INT, f"every entry of {self.name}")
            if error:
                return None, error
            parts.append(part)
        return tuple(parts), None

    def _shape(self, value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 3:
            return None, f"{self.name} must be a list of 1 to 3 sizes, e.g. [1, 28, 28] or [64], got {_show(value)}"
        for item in value:
            if not _is_int(item) or item < 1:
                return None, f"{self.name} sizes must be whole numbers of at least 1, got {_show(item)}"
            if item > 1_000_000:
                return None, f"{self.name} size {item} is too large"
        return tuple(value), None


def unknown_param_message(name: str, known: list[str], noun: str = "parameter") -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    valid = ", ".join(known) if known else "none"
    return f"unknown {noun} '{printable(name, 40)}'{hint}; valid {noun}s: {valid}"


def pair(value: Any) -> tuple[Any, Any]:
    """A normalized int-or-pair value as (height, width)."""
    return tuple(value) if isinstance(value, tuple) else (value, value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _float(value: int | float) -> float:
    """A whole number too large for a float (10**400) is as unusable as infinity, and reported the same way."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _is_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and bool(value.strip()) and value.isprintable() and len(value) <= limit


def _noun(kind: str) -> str:
    return "whole number" if kind == INT else "number"


def _num(value: float) -> str:
    if isinstance(value, int):  # never through float: 10**400 has no float
        return _show(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{printable(value, 36)}'"  # as typed, but never a control character or a broken line
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def located(where: str, param: Param, error: str) -> str:
    """`data.batch_size: must be at least 1`, not `data.batch_size: batch_size must be...`."""
    if error.startswith(param.name + " "):
        error = error[len(param.name) + 1:]
    return f"{where}.{param.name}: {error}"
