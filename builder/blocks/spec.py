"""A block type's declaration: parameters, shape rule and code template, in one frozen object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from builder.blocks.params import Param, pair
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape, format_shape

# The palette's groups. Each name is also a key (colors, search, the registry's grouping): it stays English in
# the code, and the places that show one call tr() on it.
CATEGORIES = (
    N_("input/output"),
    N_("convolution"),
    N_("normalization"),
    N_("activation"),
    N_("pooling"),
    N_("linear"),
    N_("shape"),
    N_("regularization"),
    N_("resize"),
    N_("merge"),
)


class ShapeError(Exception):
    """The block cannot take the shapes wired into it; the message says why, for a learner."""


@dataclass(frozen=True)
class Advice:
    """Legal, but rarely what a learner means: a warning on the node, and a block whose insertion before it
    would fix it (None: no one-click fix)."""

    message: str  # already translated (made with tr when the check runs)
    insert_before: str | None = None


@dataclass(frozen=True)
class Inferred:
    shape: Shape
    params: int = 0  # trainable parameters
    macs: int = 0  # multiply-accumulates of one sample through the block's weights
    advice: Advice | None = None


# infer(params, input shapes) -> Inferred; `params` is a resolved copy the rule may fill in
# (inferred in_channels, say) and raises ShapeError with a learner's message.
InferRule = Callable[[dict[str, Any], list[Shape]], Inferred]
# layer(params) -> Python expression that builds the nn.Module, e.g. "nn.ReLU()".
LayerTemplate = Callable[[dict[str, Any]], str]
# forward(attribute, input variables, params) -> Python expression of the node's output.
ForwardTemplate = Callable[[str, list[str], dict[str, Any]], str]
# Cross-parameter rules: messages for combinations that are wrong whatever the input.
ParamsRule = Callable[[dict[str, Any]], list[str]]


def call_layer(attribute: str, args: list[str], _params: dict[str, Any]) -> str:
    return f"self.{attribute}({args[0]})"


@dataclass(frozen=True)
class BlockSpec:
    type: str
    category: str  # one of CATEGORIES, English: tr(category) where shown
    description: str  # marked with N_, English: tr(description) where shown (docs/blocks.md stays English)
    infer: InferRule
    params: tuple[Param, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1  # None: any number, in port order
    layer: LayerTemplate | None = None  # None: no submodule, the work happens in forward
    forward: ForwardTemplate = call_layer
    check_params: ParamsRule | None = None
    comment: str = ""  # a short trailing comment on the generated layer line
    legacy_names: tuple[str, ...] = ()
    id_prefix: str = ""  # new nodes are named prefix1, prefix2...; empty: the type in lower case
    starter: dict[str, Any] = field(default_factory=dict)  # params of a freshly added node: valid at once
    view: bool = False  # its output is a view of its input (Flatten, Reshape): no memory of its own
    # What backward needs of it, so what training keeps in memory: its "input" (a conv), its "output" (a ReLU), or
    # "nothing" (an Add, a Concat): an output no reader's backward needs is freed once it has been read.
    backward_needs: str = "input"

    @property
    def prefix(self) -> str:
        return self.id_prefix or self.type.lower()

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.type}: unknown category {self.category!r}")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.type}: a parameter is declared twice")

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if not p.required}

    @property
    def is_input(self) -> bool:
        return self.max_inputs == 0

    @property
    def is_output(self) -> bool:
        return self.type == "Output"


# Helpers shared by the shape rules -------------------------------------------------------------

def image(shape: Shape) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(tr("expects a C×H×W image input but its input is {shape}; add a layer that reshapes it",
                            shape=describe(shape)))
    return shape  # type: ignore[return-value]


def describe(shape: Shape) -> str:
    if len(shape) == 1:
        return tr("a vector of {count} features", count=shape[0])
    return format_shape(shape)


def take_inferred(params: dict[str, Any], name: str, actual: int, message: str) -> int:
    """Fill an omitted in_channels-like parameter from the input, or check a given one against it. `message`
    (marked with N_) says what is wrong, with the places {given} and {actual}."""
    given = params.get(name)
    if given is None:
        params[name] = actual
        return actual
    if given != actual:
        raise ShapeError(tr(message, given=given, actual=actual))
    return given


def window_out(p: dict[str, Any], h: int, w: int) -> tuple[int, int]:
    """Output height and width of a sliding window, with a learner's message when it does not fit."""
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["stride"])
    (ph, pw), (dh, dw) = pair(p["padding"]), pair(p.get("dilation", 1))
    ceil = p.get("ceil_mode", False)
    oh, ow = conv_out(h, kh, sh, ph, dh, ceil), conv_out(w, kw, sw, pw, dw, ceil)
    if oh < 1 or ow < 1:
        values = {"kernel": size_text(kh, kw), "span": size_text(dh * (kh - 1) + 1, dw * (kw - 1) + 1),
                  "padding": size_text(ph, pw), "height": h, "width": w}
        dilated, padded = (dh, dw) != (1, 1), (ph, pw) != (0, 0)
        if dilated and padded:
            message = tr("kernel {kernel} (spanning {span} with dilation) is larger than its {height}×{width} input "
                         "even with padding {padding}", **values)
        elif dilated:
            message = tr("kernel {kernel} (spanning {span} with dilation) is larger than its {height}×{width} input",
                         **values)
        elif padded:
            message = tr("kernel {kernel} is larger than its {height}×{width} input even with padding {padding}",
                         **values)
        else:
            message = tr("kernel {kernel} is larger than its {height}×{width} input", **values)
        raise ShapeError(message)
    return oh, ow


def size_text(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}×{b}"


def conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool = False) -> int:
    """Output length of a convolution or pooling window along one axis (torch's formula). With pooling's
    ceil_mode a last, partial window counts too, as long as it starts inside the input or its left padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = (span + stride - 1) // stride + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def product(values: Shape) -> int:
    result = 1
    for v in values:
        result *= v
    return result
