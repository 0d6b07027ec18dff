"""Parameter declarations: kind, default, range or choices, and a one-line help for a learner.

Editors, tooltips, validation and code generation are all derived from these declarations. A declaration's
texts (help, unset, axes) are marked with N_ where declared and stay English in it: the places that show one
call tr() on it. The messages of `validate` are made with tr, in the language in use.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from builder.core.i18n import N_, tr, trn
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
    help: str  # marked with N_ where declared: tr(param.help) where shown
    default: Any = REQUIRED
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()
    # None is a valid value: "not set". For `inferred` params it means "take it from the input".
    optional: bool = False
    inferred: bool = False
    min_exclusive: bool = False  # the minimum itself is not allowed (eps > 0, scale_factor > 0)
    axes: tuple[str, str] = (N_("height"), N_("width"))  # what the two numbers of a pair are (N_, as help)
    pair_only: bool = False  # a pair must be given as two numbers (Adam's betas), not one
    # Its label in a canvas node's summary, written before the value: "k" shows kernel_size 3 as `k3`, ""
    # shows the value alone. None: the name, a space and the value (`eps 0.001`).
    short: str | None = None
    # What leaving an optional parameter unset means, for people: "the training seed", "off" (N_, as help).
    unset: str = ""
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

    def default_text(self, translated: bool = False) -> str:
        """The default as the reference and the help show it: "required", "from the wire", a value. English for
        the reference (docs/blocks.md); `translated`: in the language in use, for the window and the terminal."""
        say = tr if translated else _english
        if self.default is REQUIRED:
            return say(N_("required"))
        if self.inferred:
            return say(N_("from the wire"))
        if self.default is None:
            if self.unset:
                return say(N_("not set: {meaning}"), meaning=say(self.unset))
            return say(N_("not set"))
        return str(self.default).lower() if isinstance(self.default, bool) else str(self.default)

    def kind_text(self, translated: bool = False) -> str:
        """What it takes, for the reference: its choices, or its kind and range ("int (≥ 1)"). English for the
        reference (docs/blocks.md); `translated`: in the language in use. Kind names (int, int_list) stay."""
        say = tr if translated else _english
        if self.choices:
            return " / ".join(str(c) for c in self.choices)
        bounds = []
        kind = self.kind
        if kind == INT_LIST:
            low, high = self.count
            kind = say(N_("int or int_list")) if self.scalar else "int_list"
            if low == high:
                bounds.append(say(N_("{count} entries"), count=low))
            else:
                bounds.append(say(N_("{low} to {high} entries"), low=low, high=high))
        if self.min is not None:
            bounds.append(f"{'>' if self.min_exclusive else '≥'} {self.min:g}")
        if self.max is not None:
            bounds.append(f"≤ {self.max:g}")
        if not bounds:
            return kind
        return say(N_("{kind} ({bounds})"), kind=kind, bounds=", ".join(bounds))

    def validate(self, value: Any) -> tuple[Any, str | None]:
        """Return (normalized value, None) or (None, a message saying what is wrong with it)."""
        name = self.name
        if value is None:
            if self.optional:
                return None, None
            return None, tr("{name} must be set", name=name)
        if self.kind == BOOL:
            if isinstance(value, bool):
                return value, None
            return None, tr("{name} must be true or false, got {value}", name=name, value=_show(value))
        if self.kind == CHOICE:
            if value in self.choices and type(value) is type(self.choices[self.choices.index(value)]):
                # Keep the declaration's own object, never the file's, for the generated code.
                return self.choices[self.choices.index(value)], None
            options = ", ".join(str(c) for c in self.choices)
            return None, tr("{name} must be one of {options}; got {value}", name=name, options=options,
                            value=_show(value))
        if self.kind == SHAPE:
            return self._shape(value)
        if self.kind == TEXT:
            if _is_text(value, 100):
                return value, None
            return None, tr("{name} must be a short piece of text, got {value}", name=name, value=_show(value))
        if self.kind in PATH_KINDS:
            if _is_text(value, MAX_PATH):
                return value, None
            if self.kind == FILE:
                return None, tr("{name} must be the path of a file, as text; got {value}", name=name,
                                value=_show(value))
            return None, tr("{name} must be the path of a folder, as text; got {value}", name=name,
                            value=_show(value))
        if self.kind == TEXT_LIST:
            if isinstance(value, list) and value and all(_is_text(v, 100) for v in value):
                return list(value), None
            return None, tr("{name} must be a list of names, e.g. [\"a\", \"b\"]; got {value}", name=name,
                            value=_show(value))
        if self.kind in (INT_PAIR, FLOAT_PAIR):
            return self._pair(value)
        if self.kind == INT_LIST:
            return self._list(value)
        return self._number(value, self.kind)

    def _number(self, value: Any, kind: str, label: str | None = None) -> tuple[Any, str | None]:
        """`label`: how the message names the value (the parameter's name, or a part of it)."""
        name = label or self.name
        if kind == INT:
            if not _is_int(value):
                return None, tr("{name} must be a whole number, got {value}", name=name, value=_show(value))
        else:
            if not _is_number(value):
                return None, tr("{name} must be a number, got {value}", name=name, value=_show(value))
            value = _float(value)
            if not math.isfinite(value):
                return None, tr("{name} must be a finite number, got {value}", name=name, value=value)
        if self.min is not None and (value < self.min or (self.min_exclusive and value == self.min)):
            if self.min_exclusive:
                return None, tr("{name} must be greater than {minimum}, got {value}", name=name,
                                minimum=_num(self.min), value=_num(value))
            return None, tr("{name} must be at least {minimum}, got {value}", name=name, minimum=_num(self.min),
                            value=_num(value))
        if self.max is not None and value > self.max:
            return None, tr("{name} must be at most {maximum}, got {value}", name=name, maximum=_num(self.max),
                            value=_num(value))
        return value, None

    def _pair(self, value: Any) -> tuple[Any, str | None]:
        kind = INT if self.kind == INT_PAIR else FLOAT
        axes = f"[{', '.join(tr(axis) for axis in self.axes)}]"
        if self.pair_only:
            expected = tr("a pair {axes}", axes=axes)
        elif kind == INT:
            expected = tr("one whole number or a pair {axes}", axes=axes)
        else:
            expected = tr("one number or a pair {axes}", axes=axes)
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                return None, _wrong_count(self.name, expected, len(value))
            parts = []
            for item, axis in zip(value, self.axes):
                part, error = self._number(item, kind, tr("{name} ({axis})", name=self.name, axis=tr(axis)))
                if error:
                    return None, error
                parts.append(part)
            return tuple(parts), None
        if self.pair_only or not (_is_int(value) if kind == INT else _is_number(value)):
            return None, _wrong_value(self.name, expected, value)
        return self._number(value, kind)

    def _list(self, value: Any) -> tuple[Any, str | None]:
        if self.scalar and _is_int(value):
            return self._number(value, INT)
        low, high = self.count
        if low == high and self.scalar:
            expected = trn("one whole number or a list of {count} whole number",
                           "one whole number or a list of {count} whole numbers", high, count=low)
        elif low == high:
            expected = trn("a list of {count} whole number", "a list of {count} whole numbers", high, count=low)
        elif self.scalar:
            expected = tr("one whole number or a list of {low} to {high} whole numbers", low=low, high=high)
        else:
            expected = tr("a list of {low} to {high} whole numbers", low=low, high=high)
        if not isinstance(value, (list, tuple)):
            return None, _wrong_value(self.name, expected, value)
        if not low <= len(value) <= high:
            return None, _wrong_count(self.name, expected, len(value))
        parts = []
        for item in value:
            part, error = self._number(item, INT, tr("every entry of {name}", name=self.name))
            if error:
                return None, error
            parts.append(part)
        return tuple(parts), None

    def _shape(self, value: Any) -> tuple[Any, str | None]:
        name = self.name
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 3:
            return None, tr("{name} must be a list of 1 to 3 sizes, e.g. [1, 28, 28] or [64], got {value}",
                            name=name, value=_show(value))
        for item in value:
            if not _is_int(item) or item < 1:
                return None, tr("{name} sizes must be whole numbers of at least 1, got {value}", name=name,
                                value=_show(item))
            if item > 1_000_000:
                return None, tr("{name} size {size} is too large", name=name, size=item)
        return tuple(value), None


def _wrong_value(name: str, expected: str, value: Any) -> str:
    """`expected`: what it must be, a translated phrase ("one whole number or a pair [height, width]")."""
    return tr("{name} must be {expected}, got {value}", name=name, expected=expected, value=_show(value))


def _wrong_count(name: str, expected: str, count: int) -> str:
    return tr("{name} must be {expected}, got {count} values", name=name, expected=expected, count=count)


def unknown_param_message(name: str, known: list[str], noun: str = "parameter") -> str:
    """`noun`: "parameter" (a block's, a module's) or "key" (a settings section's)."""
    close = difflib.get_close_matches(name, known, n=1)
    values = {"name": printable(name, 40), "close": close[0] if close else "",
              "valid": ", ".join(known) if known else tr("none")}
    if noun == "key":
        if close:
            return tr("unknown key '{name}' (did you mean '{close}'?); valid keys: {valid}", **values)
        return tr("unknown key '{name}'; valid keys: {valid}", **values)
    if noun == "parameter":
        if close:
            return tr("unknown parameter '{name}' (did you mean '{close}'?); valid parameters: {valid}", **values)
        return tr("unknown parameter '{name}'; valid parameters: {valid}", **values)
    hint = f" (did you mean '{values['close']}'?)" if close else ""  # another noun: no translation for it
    return f"unknown {noun} '{values['name']}'{hint}; valid {noun}s: {values['valid']}"


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


def _num(value: float) -> str:
    if isinstance(value, int):  # never through float: 10**400 has no float
        return _show(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _english(message: str, **values: object) -> str:
    """tr's English: the declaration's own text, values filled in (for the reference, docs/blocks.md)."""
    return message.format(**values) if values else message


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{printable(value, 36)}'"  # as typed, but never a control character or a broken line
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def located(where: str, param: Param, error: str) -> str:
    """`data.batch_size: must be at least 1`, not `data.batch_size: batch_size must be...` (the Chinese
    messages of `validate` also begin with the name and a space)."""
    if error.startswith(param.name + " "):
        error = error[len(param.name) + 1:]
    return f"{where}.{param.name}: {error}"
