"""Shape: rearranging a tensor's values without learning anything (reshape, permute dims, average dims away,
take a slice, shuffle channels), and Identity."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import literal, nn_call
from builder.blocks.params import BOOL, INT, INT_LIST, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, image, product
from builder.core.shapes import Shape, dim_name, format_shape


def _listed(values: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, values))}]"


def _repeated(values: tuple[int, ...]) -> int | None:
    seen = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


# -- Reshape --------------------------------------------------------------------------------------

def _check_reshape(p: dict[str, Any]) -> list[str]:
    sizes = p["shape"]
    if 0 in sizes:
        return ["shape sizes must be at least 1 (or -1, once, for the size to infer), got 0"]
    if sizes.count(-1) > 1:
        return [f"shape may hold one -1 (the size inferred from the others), not {sizes.count(-1)}"]
    return []


def _infer_reshape(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape, sizes = ins[0], p["shape"]
    values = product(shape)
    known = product(tuple(s for s in sizes if s != -1))
    if -1 in sizes:
        if values % known:
            raise ShapeError(f"cannot infer the -1 of shape {_listed(sizes)}: its input, {format_shape(shape)}, has "
                             f"{values:,} values per sample, which do not divide by {known:,} (the other sizes)")
        return Inferred(tuple(values // known if s == -1 else s for s in sizes))
    if known != values:
        raise ShapeError(f"its input, {format_shape(shape)}, has {values:,} values per sample, but shape "
                         f"{_listed(sizes)} asks for {known:,}; the sizes must multiply to {values:,} "
                         f"(one of them may be -1, inferred)")
    return Inferred(tuple(sizes))


def _reshape_forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    x = args[0]
    return f"{x}.reshape({x}.size(0), {', '.join(literal(s) for s in p['shape'])})"


# -- Permute --------------------------------------------------------------------------------------

def _check_permute(p: dict[str, Any]) -> list[str]:
    twice = _repeated(p["dims"])
    return [] if twice is None else [f"dims must name each dim once, but {twice} appears more than once"]


def _infer_permute(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape, dims = ins[0], p["dims"]
    rank = len(shape)
    if sorted(dims) != list(range(1, rank + 1)):
        example = "; [2, 3, 1] turns C×H×W into H×W×C" if rank == 3 else ""
        raise ShapeError(f"dims {_listed(dims)} must list each of the input's dims 1 to {rank} once (the batch, 0, "
                         f"stays first), for its {format_shape(shape)} input{example}")
    return Inferred(tuple(shape[d - 1] for d in dims))


def _permute_forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    return f"{args[0]}.permute(0, {', '.join(literal(d) for d in p['dims'])})"


# -- Mean -----------------------------------------------------------------------------------------

def _dims(value: Any) -> tuple[int, ...]:
    return value if isinstance(value, tuple) else (value,)


def _check_mean(p: dict[str, Any]) -> list[str]:
    dims = _dims(p["dim"])
    if 0 in dims:
        return ["dim 0 is the batch: averaging over it would mix samples; use [2, 3] for height and width"]
    twice = _repeated(dims)
    return [] if twice is None else [f"dim lists {twice} more than once"]


def _infer_mean(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    rank = len(shape) + 1  # with the batch, as torch counts dims
    axes: dict[int, int] = {}  # index into the shape without the batch -> the dim as given
    for dim in _dims(p["dim"]):
        if dim == -rank:
            raise ShapeError(f"dim {dim} is the batch: averaging over it would mix samples")
        if not -rank < dim < rank:
            raise ShapeError(f"dim {dim} does not exist: the input has dims 1 to {rank - 1} (0 is the batch)")
        axis = (dim if dim > 0 else rank + dim) - 1
        if axis in axes:
            raise ShapeError(f"dims {axes[axis]} and {dim} are the same dim ({dim_name(shape, axis)}) of its "
                             f"{format_shape(shape)} input")
        axes[axis] = dim
    if p["keepdim"]:
        return Inferred(tuple(1 if i in axes else size for i, size in enumerate(shape)))
    out = tuple(size for i, size in enumerate(shape) if i not in axes)
    if not out:
        raise ShapeError(f"averaging its {format_shape(shape)} input over every dim leaves a single number per "
                         f"sample; set keepdim to keep it as {format_shape((1,) * len(shape))}")
    return Inferred(out)


def _mean_forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    dims = _dims(p["dim"])
    parts = [literal(dims[0] if len(dims) == 1 else dims)]
    if p["keepdim"] is not False:  # True, or a module's parameter
        parts.append(f"keepdim={literal(p['keepdim'])}")
    return f"{args[0]}.mean({', '.join(parts)})"


# -- ChannelShuffle -------------------------------------------------------------------------------

def _infer_channel_shuffle(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, _h, _w = image(ins[0])
    if c % p["groups"]:
        raise ShapeError(f"groups={p['groups']} must divide the {c} input channels")
    return Inferred(ins[0])


# -- Slice ----------------------------------------------------------------------------------------

def _infer_slice(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    rank = len(shape) + 1  # with the batch, as torch counts dims
    dim = p["dim"]
    if dim == 0 or dim == -rank:
        raise ShapeError("dim 0 is the batch: slicing it would drop samples; slice dim 1 (channels or features)")
    if not -rank < dim < rank:
        raise ShapeError(f"dim {dim} does not exist: the input has dims 1 to {rank - 1} (0 is the batch)")
    axis = (dim if dim > 0 else rank + dim) - 1
    size = shape[axis]
    if p["start"] + p["length"] > size:
        raise ShapeError(f"takes {dim_name(shape, axis)} {p['start']} to {p['start'] + p['length'] - 1}, but its "
                         f"{format_shape(shape)} input has {size} (0 to {size - 1})")
    return Inferred(tuple(p["length"] if i == axis else s for i, s in enumerate(shape)))


def _slice_forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    return f"{args[0]}.narrow({literal(p['dim'])}, {literal(p['start'])}, {literal(p['length'])})"


BLOCKS = (
    BlockSpec(
        type="Identity",
        view=True,
        backward_needs="nothing",
        category="shape",
        description="Passes its input on unchanged: a stand-in for a layer left out.",
        infer=lambda _p, ins: Inferred(ins[0]),
        layer=lambda _p: "nn.Identity()",
    ),
    BlockSpec(
        type="Reshape",
        view=True,
        backward_needs="nothing",
        starter={"shape": [-1]},
        category="shape",
        description="Lays each sample's values out in a new shape, e.g. a vector as 64×4×4 before a ConvTranspose2d.",
        params=(Param("shape", INT_LIST, "Each sample's new shape, without the batch, e.g. [64, 4, 4]; one -1 is inferred.",
                      min=-1, short="→"),),
        infer=_infer_reshape,
        forward=_reshape_forward,
        check_params=_check_reshape,
    ),
    BlockSpec(
        type="Permute",
        view=True,
        backward_needs="nothing",
        starter={"dims": [2, 3, 1]},
        category="shape",
        description="Reorders the dims of each sample, e.g. C×H×W to H×W×C with [2, 3, 1].",
        params=(Param("dims", INT_LIST, "The input's dims in their new order, counting the batch as 0: [2, 3, 1].",
                      min=1, short=""),),
        infer=_infer_permute,
        forward=_permute_forward,
        check_params=_check_permute,
    ),
    BlockSpec(
        type="Mean",
        starter={"dim": [2, 3]},
        category="shape",
        description="Averages over dims: [2, 3] turns C×H×W into C (global average pooling, as a calculation).",
        params=(
            Param("dim", INT_LIST, "The dims averaged away, counting the batch as 0: [2, 3] for height and width.",
                  scalar=True, short=""),
            Param("keepdim", BOOL, "Keep the averaged dims, as size 1 (C×1×1 rather than C).", default=False,
                  short="keep"),
        ),
        infer=_infer_mean,
        forward=_mean_forward,
        check_params=_check_mean,
    ),
    BlockSpec(
        type="Slice",
        view=True,
        backward_needs="nothing",
        starter={"start": 0, "length": 1},
        category="shape",
        description="Takes a run of channels (or of another dim): one half of a split, as ShuffleNet's blocks do.",
        params=(
            Param("dim", INT, "The dim to take from, counting the batch as 0: 1 for channels.", default=1),
            Param("start", INT, "The first index taken, from 0.", min=0, short="from "),
            Param("length", INT, "How many are taken.", min=1, short="×"),
        ),
        infer=_infer_slice,
        forward=_slice_forward,
    ),
    BlockSpec(
        type="ChannelShuffle",
        starter={"groups": 2},
        id_prefix="chshuffle",
        category="shape",
        description="Interleaves the channels of its groups, so grouped convolutions after it mix them (ShuffleNet).",
        params=(Param("groups", INT, "Channel groups interleaved; the channels must divide by it.", min=1,
                      short="g"),),
        infer=_infer_channel_shuffle,
        layer=lambda p: nn_call("nn.ChannelShuffle", [p["groups"]], []),
    ),
)
