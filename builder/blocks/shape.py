"""Shape: rearranging a tensor's values without learning anything (reshape, permute dims, average dims away,
take a slice, shuffle channels), and Identity."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import literal, nn_call
from builder.blocks.params import BOOL, INT, INT_LIST, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, image, product
from builder.core.i18n import N_, tr
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
        return [tr("shape sizes must be at least 1 (or -1, once, for the size to infer), got 0")]
    if sizes.count(-1) > 1:
        return [tr("shape may hold one -1 (the size inferred from the others), not {count}", count=sizes.count(-1))]
    return []


def _infer_reshape(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape, sizes = ins[0], p["shape"]
    values = product(shape)
    known = product(tuple(s for s in sizes if s != -1))
    if -1 in sizes:
        if values % known:
            raise ShapeError(tr("cannot infer the -1 of shape {sizes}: its input, {shape}, has {values:,} values per "
                                "sample, which do not divide by {known:,} (the other sizes)", sizes=_listed(sizes),
                                shape=format_shape(shape), values=values, known=known))
        return Inferred(tuple(values // known if s == -1 else s for s in sizes))
    if known != values:
        raise ShapeError(tr("its input, {shape}, has {values:,} values per sample, but shape {sizes} asks for "
                            "{known:,}; the sizes must multiply to {values:,} (one of them may be -1, inferred)",
                            shape=format_shape(shape), values=values, sizes=_listed(sizes), known=known))
    return Inferred(tuple(sizes))


def _reshape_forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    x = args[0]
    return f"{x}.reshape({x}.size(0), {', '.join(literal(s) for s in p['shape'])})"


# -- Permute --------------------------------------------------------------------------------------

def _check_permute(p: dict[str, Any]) -> list[str]:
    twice = _repeated(p["dims"])
    return [] if twice is None else [tr("dims must name each dim once, but {dim} appears more than once", dim=twice)]


def _infer_permute(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape, dims = ins[0], p["dims"]
    rank = len(shape)
    if sorted(dims) != list(range(1, rank + 1)):
        values = {"dims": _listed(dims), "rank": rank, "shape": format_shape(shape)}
        if rank == 3:
            raise ShapeError(tr("dims {dims} must list each of the input's dims 1 to {rank} once (the batch, 0, "
                                "stays first), for its {shape} input; [2, 3, 1] turns C×H×W into H×W×C", **values))
        raise ShapeError(tr("dims {dims} must list each of the input's dims 1 to {rank} once (the batch, 0, stays "
                            "first), for its {shape} input", **values))
    return Inferred(tuple(shape[d - 1] for d in dims))


def _permute_forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    return f"{args[0]}.permute(0, {', '.join(literal(d) for d in p['dims'])})"


# -- Mean -----------------------------------------------------------------------------------------

def _dims(value: Any) -> tuple[int, ...]:
    return value if isinstance(value, tuple) else (value,)


def _check_mean(p: dict[str, Any]) -> list[str]:
    dims = _dims(p["dim"])
    if 0 in dims:
        return [tr("dim 0 is the batch: averaging over it would mix samples; use [2, 3] for height and width")]
    twice = _repeated(dims)
    return [] if twice is None else [tr("dim lists {dim} more than once", dim=twice)]


def _infer_mean(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    rank = len(shape) + 1  # with the batch, as torch counts dims
    axes: dict[int, int] = {}  # index into the shape without the batch -> the dim as given
    for dim in _dims(p["dim"]):
        if dim == -rank:
            raise ShapeError(tr("dim {dim} is the batch: averaging over it would mix samples", dim=dim))
        if not -rank < dim < rank:
            raise ShapeError(tr("dim {dim} does not exist: the input has dims 1 to {last} (0 is the batch)",
                                dim=dim, last=rank - 1))
        axis = (dim if dim > 0 else rank + dim) - 1
        if axis in axes:
            raise ShapeError(tr("dims {first} and {dim} are the same dim ({name}) of its {shape} input",
                                first=axes[axis], dim=dim, name=dim_name(shape, axis), shape=format_shape(shape)))
        axes[axis] = dim
    if p["keepdim"]:
        return Inferred(tuple(1 if i in axes else size for i, size in enumerate(shape)))
    out = tuple(size for i, size in enumerate(shape) if i not in axes)
    if not out:
        raise ShapeError(tr("averaging its {shape} input over every dim leaves a single number per sample; set "
                            "keepdim to keep it as {kept}", shape=format_shape(shape),
                            kept=format_shape((1,) * len(shape))))
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
        raise ShapeError(tr("groups={groups} must divide the {count} input channels", groups=p["groups"], count=c))
    return Inferred(ins[0])


# -- Slice ----------------------------------------------------------------------------------------

def _infer_slice(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    rank = len(shape) + 1  # with the batch, as torch counts dims
    dim = p["dim"]
    if dim == 0 or dim == -rank:
        raise ShapeError(tr("dim 0 is the batch: slicing it would drop samples; slice dim 1 (channels or features)"))
    if not -rank < dim < rank:
        raise ShapeError(tr("dim {dim} does not exist: the input has dims 1 to {last} (0 is the batch)", dim=dim,
                            last=rank - 1))
    axis = (dim if dim > 0 else rank + dim) - 1
    size = shape[axis]
    if p["start"] + p["length"] > size:
        raise ShapeError(tr("takes {name} {start} to {end}, but its {shape} input has {size} (0 to {last})",
                            name=dim_name(shape, axis), start=p["start"], end=p["start"] + p["length"] - 1,
                            shape=format_shape(shape), size=size, last=size - 1))
    return Inferred(tuple(p["length"] if i == axis else s for i, s in enumerate(shape)))


def _slice_forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    return f"{args[0]}.narrow({literal(p['dim'])}, {literal(p['start'])}, {literal(p['length'])})"


BLOCKS = (
    BlockSpec(
        type="Identity",
        view=True,
        backward_needs="nothing",
        category="shape",
        description=N_("Passes its input on unchanged: a stand-in for a layer left out."),
        infer=lambda _p, ins: Inferred(ins[0]),
        layer=lambda _p: "nn.Identity()",
    ),
    BlockSpec(
        type="Reshape",
        view=True,
        backward_needs="nothing",
        starter={"shape": [-1]},
        category="shape",
        description=N_("Lays each sample's values out in a new shape, e.g. a vector as 64×4×4 before a ConvTranspose2d."),
        params=(Param("shape", INT_LIST, N_("Each sample's new shape, without the batch, e.g. [64, 4, 4]; one -1 is inferred."),
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
        description=N_("Reorders the dims of each sample, e.g. C×H×W to H×W×C with [2, 3, 1]."),
        params=(Param("dims", INT_LIST, N_("The input's dims in their new order, counting the batch as 0: [2, 3, 1]."),
                      min=1, short=""),),
        infer=_infer_permute,
        forward=_permute_forward,
        check_params=_check_permute,
    ),
    BlockSpec(
        type="Mean",
        starter={"dim": [2, 3]},
        category="shape",
        description=N_("Averages over dims: [2, 3] turns C×H×W into C (global average pooling, as a calculation)."),
        params=(
            Param("dim", INT_LIST, N_("The dims averaged away, counting the batch as 0: [2, 3] for height and width."),
                  scalar=True, short=""),
            Param("keepdim", BOOL, N_("Keep the averaged dims, as size 1 (C×1×1 rather than C)."), default=False,
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
        description=N_("Takes a run of channels (or of another dim): one half of a split, as ShuffleNet's blocks do."),
        params=(
            Param("dim", INT, N_("The dim to take from, counting the batch as 0: 1 for channels."), default=1),
            Param("start", INT, N_("The first index taken, from 0."), min=0, short="from "),
            Param("length", INT, N_("How many are taken."), min=1, short="×"),
        ),
        infer=_infer_slice,
        forward=_slice_forward,
    ),
    BlockSpec(
        type="ChannelShuffle",
        starter={"groups": 2},
        id_prefix="chshuffle",
        category="shape",
        description=N_("Interleaves the channels of its groups, so grouped convolutions after it mix them (ShuffleNet)."),
        params=(Param("groups", INT, N_("Channel groups interleaved; the channels must divide by it."), min=1,
                      short="g"),),
        infer=_infer_channel_shuffle,
        layer=lambda p: nn_call("nn.ChannelShuffle", [p["groups"]], []),
    ),
)
