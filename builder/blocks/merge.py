"""Add, Concat and Mul: join branches, for residual connections, U-Net skips and attention gates."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import literal
from builder.blocks.params import INT, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape, dim_name, format_shape


def _infer_add(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    first = ins[0]
    for port, shape in enumerate(ins[1:], start=1):
        if shape != first:
            raise ShapeError(tr("inputs must have the same shape to be added: port 0 is {first}, port {port} is "
                                "{shape}", first=format_shape(first), port=port, shape=format_shape(shape)))
    return Inferred(first)


def _infer_mul(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    """torch's broadcasting, sample by sample: each dim equal, or 1 in one of them (stretched to the other's)."""
    out = ins[0]
    for port, shape in enumerate(ins[1:], start=1):
        if len(shape) != len(out):
            values = {"first": format_shape(ins[0]), "port": port, "shape": format_shape(shape),
                      "scale": format_shape((out[0],) + (1,) * (len(out) - 1))}
            if len(out) > 1:
                raise ShapeError(tr("inputs differ in rank: port 0 is {first}, port {port} is {shape}; give both the "
                                    "same number of dims, with 1 where one is stretched (e.g. {scale} for a "
                                    "per-channel scale)", **values))
            raise ShapeError(tr("inputs differ in rank: port 0 is {first}, port {port} is {shape}; give both the "
                                "same number of dims, with 1 where one is stretched", **values))
        clashes = [i for i, (a, b) in enumerate(zip(out, shape)) if a != b and 1 not in (a, b)]
        if clashes:
            parts = "; ".join(tr("{dim} {first} vs {other}", dim=dim_name(out, i), first=out[i], other=shape[i])
                              for i in clashes)
            raise ShapeError(tr("cannot multiply {first} by {shape} (port {port}): {clashes}; each dim must match or "
                                "be 1 in one of them", first=format_shape(out), shape=format_shape(shape), port=port,
                                clashes=parts))
        out = tuple(max(a, b) for a, b in zip(out, shape))
    return Inferred(out)


def _infer_concat(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    first = ins[0]
    rank = len(first) + 1  # with the batch, as torch counts dims
    dim = p["dim"]
    if dim == 0 or dim == -rank:
        raise ShapeError(tr("dim 0 is the batch; concatenate along dim=1 (channels or features)"))
    if not -rank < dim < rank:
        raise ShapeError(tr("dim {dim} does not exist: the inputs have dims 1 to {last} (0 is the batch)", dim=dim,
                            last=rank - 1))
    axis = (dim if dim > 0 else rank + dim) - 1  # index into a shape without the batch
    for port, shape in enumerate(ins[1:], start=1):
        if len(shape) != len(first):
            raise ShapeError(tr("inputs differ in rank: port 0 is {first}, port {port} is {shape}",
                                first=format_shape(first), port=port, shape=format_shape(shape)))
        for i, (a, b) in enumerate(zip(first, shape)):
            if i != axis and a != b:
                raise ShapeError(tr("inputs differ in {dim_name}, {first} vs {other} (port 0 vs port {port}); only dim "
                                    "{dim} ({axis_name}) may differ", dim_name=dim_name(first, i), first=a, other=b,
                                    port=port, dim=dim, axis_name=dim_name(first, axis)))
    out = list(first)
    out[axis] = sum(shape[axis] for shape in ins)
    return Inferred(tuple(out))


BLOCKS = (
    BlockSpec(
        type="Add",
        backward_needs="nothing",
        category="merge",
        description=N_("Adds its inputs element by element: the skip connection of a residual block."),
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
        description=N_("Stacks its inputs along a dim (channels by default): the skip connection of a U-Net."),
        params=(Param("dim", INT, N_("The dim to join along, counting the batch as 0: 1 stacks channels."), default=1),),
        infer=_infer_concat,
        min_inputs=2,
        max_inputs=None,
        forward=lambda _a, args, p: f"torch.cat([{', '.join(args)}], dim={literal(p['dim'])})",
    ),
    BlockSpec(
        type="Mul",
        category="merge",
        description=N_("Multiplies its inputs element by element; a C×1×1 input scales each channel (squeeze-and-excitation)."),
        infer=_infer_mul,
        min_inputs=2,
        max_inputs=None,
        forward=lambda _a, args, _p: " * ".join(args),
    ),
)
