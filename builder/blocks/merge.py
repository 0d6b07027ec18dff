"""Add, Concat and Mul: join branches, for residual connections, U-Net skips and attention gates."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import literal
from builder.blocks.params import INT, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError
from builder.core.shapes import Shape, dim_name, format_shape


def _infer_add(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    first = ins[0]
    for port, shape in enumerate(ins[1:], start=1):
        if shape != first:
            raise ShapeError(f"inputs must have the same shape to be added: port 0 is {format_shape(first)}, "
                             f"port {port} is {format_shape(shape)}")
    return Inferred(first)


def _infer_mul(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    """torch's broadcasting, sample by sample: each dim equal, or 1 in one of them (stretched to the other's)."""
    out = ins[0]
    for port, shape in enumerate(ins[1:], start=1):
        if len(shape) != len(out):
            scale = (out[0],) + (1,) * (len(out) - 1)
            example = f" (e.g. {format_shape(scale)} for a per-channel scale)" if len(out) > 1 else ""
            raise ShapeError(f"inputs differ in rank: port 0 is {format_shape(ins[0])}, port {port} is "
                             f"{format_shape(shape)}; give both the same number of dims, with 1 where one is "
                             f"stretched{example}")
        clashes = [i for i, (a, b) in enumerate(zip(out, shape)) if a != b and 1 not in (a, b)]
        if clashes:
            parts = "; ".join(f"{dim_name(out, i)} {out[i]} vs {shape[i]}" for i in clashes)
            raise ShapeError(f"cannot multiply {format_shape(out)} by {format_shape(shape)} (port {port}): {parts}; "
                             "each dim must match or be 1 in one of them")
        out = tuple(max(a, b) for a, b in zip(out, shape))
    return Inferred(out)


def _infer_concat(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    first = ins[0]
    rank = len(first) + 1  # with the batch, as torch counts dims
    dim = p["dim"]
    if dim == 0 or dim == -rank:
        raise ShapeError("dim 0 is the batch; concatenate along dim=1 (channels or features)")
    if not -rank < dim < rank:
        raise ShapeError(f"dim {dim} does not exist: the inputs have dims 1 to {rank - 1} (0 is the batch)")
    axis = (dim if dim > 0 else rank + dim) - 1  # index into a shape without the batch
    for port, shape in enumerate(ins[1:], start=1):
        if len(shape) != len(first):
            raise ShapeError(f"inputs differ in rank: port 0 is {format_shape(first)}, port {port} is {format_shape(shape)}")
        for i, (a, b) in enumerate(zip(first, shape)):
            if i != axis and a != b:
                raise ShapeError(f"inputs differ in {dim_name(first, i)}, {a} vs {b} (port 0 vs port {port}); "
                                 f"only dim {dim} ({dim_name(first, axis)}) may differ")
    out = list(first)
    out[axis] = sum(shape[axis] for shape in ins)
    return Inferred(tuple(out))


BLOCKS = (
    BlockSpec(
        type="Add",
        backward_needs="nothing",
        category="merge",
        description="Adds its inputs element by element: the skip connection of a residual block.",
        infer=_infer_add,
        min_inputs=2,
        max_inputs=None,
        forward=lambda _a, args, _p: " + ".join(args),
    ),
    BlockSpec(
        type="Concat",
        backward_needs="nothing",
        id_prefix="cat",
        category="merge",
        description="Stacks its inputs along a dim (channels by default): the skip connection of a U-Net.",
        params=(Param("dim", INT, "The dim to join along, counting the batch as 0: 1 stacks channels.", default=1),),
        infer=_infer_concat,
        min_inputs=2,
        max_inputs=None,
        forward=lambda _a, args, p: f"torch.cat([{', '.join(args)}], dim={literal(p['dim'])})",
    ),
    BlockSpec(
        type="Mul",
        category="merge",
        description="Multiplies its inputs element by element; a C×1×1 input scales each channel (squeeze-and-excitation).",
        infer=_infer_mul,
        min_inputs=2,
        max_inputs=None,
        forward=lambda _a, args, _p: " * ".join(args),
    ),
)
