"""Per-sample tensor shapes (no batch dimension) and how they are written for people."""

from __future__ import annotations

from builder.core.i18n import N_, tr

Shape = tuple[int, ...]

_DIM_NAMES = {
    1: (N_("features"),),
    2: (N_("channels"), N_("length")),
    3: (N_("channels"), N_("height"), N_("width")),
}


def format_shape(shape: Shape, sep: str = "×") -> str:
    """`(16, 14, 14)` -> `16×14×14`, the way the canvas and the CLI show shapes."""
    return sep.join(str(d) for d in shape) if shape else tr("a single value")


def format_shapes(shapes: tuple[Shape, ...] | list[Shape], shown: int = 4) -> str:
    """The shapes of a module's outputs, one per port: `16×1×1, 1×28×28`; past `shown`, the rest counted."""
    text = ", ".join(format_shape(s) for s in shapes[:shown])
    return text if len(shapes) <= shown else tr("{shapes} and {count:,} more", shapes=text, count=len(shapes) - shown)


def dim_name(shape: Shape, index: int) -> str:
    """A learner's name for dimension `index` (0-based, no batch) of a shape of this rank."""
    names = _DIM_NAMES.get(len(shape))
    if names is None or not 0 <= index < len(names):
        return tr("dimension {number}", number=index + 1)
    return tr(names[index])
