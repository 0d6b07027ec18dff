"""Which block a traced call is, whatever form the code wrote it in: `nn.ReLU()`, `F.relu(x)`, `torch.relu(x)`
and `x.relu()` are all a ReLU block; `x.view(x.size(0), -1)` is a Flatten.

Each mapper gets the call (its constant arguments, the shapes in and out, the module for `self.layer(x)`) and
returns the block type and its parameters, leaving out the ones the wires give (in_channels) and the ones at
their defaults. A value that the block cannot hold raises Unmapped with what to do.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F

from builder.blocks.params import FLOAT_PAIR, INT_PAIR
from builder.blocks.registry import BLOCKS
from builder.core.i18n import N_, tr

Shape = tuple[int, ...]
Mapped = tuple[str, dict[str, Any]]


class Unmapped(Exception):
    """The call has no block, or the block cannot hold what the call does; the message says which and why.

    The message is a whole sentence marked with N_, whose {place} (file:line) and {call} (the call as the code
    wrote it, or the module) the tracer knows: `sentence` fills them in, in the language in use."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values

    def sentence(self, place: str, call: str) -> str:
        return tr(self.message, place=place, call=call, **self.values)


@dataclass
class Call:
    node: fx.Node
    args: tuple[Any, ...]  # as traced: constants, or fx.Nodes for values computed in the graph
    kwargs: dict[str, Any]
    ins: list[Shape]  # the shapes of the tensors wired in, with the batch
    out: Shape  # the output's shape, with the batch
    module: nn.Module | None = None

    def arg(self, index: int, name: str, default: Any = None) -> Any:
        """An argument given by position or by name: a constant, or a number worked out from sizes while
        tracing (`x2.size(2) - x1.size(2)`), fixed at that value; a value read off a tensor's data is refused."""
        value = self.args[index] if index < len(self.args) else self.kwargs.get(name, default)
        return _constant(value, name)


def _constant(value: Any, name: str) -> Any:
    if isinstance(value, fx.Node):
        if "value" not in value.meta:
            raise Unmapped(N_("{place}: {call} its {name} is computed from the data while the network runs; write "
                              "it as a number"), name=name)
        return value.meta["value"]
    if isinstance(value, (tuple, list)):
        return type(value)(_constant(v, name) for v in value)
    return value



IDENTITY = "identity"  # a call that passes its input on unchanged (`x.contiguous()`): no block at all


def project_value(value: Any) -> Any:
    """torch keeps pairs as tuples; the project holds them as lists, a single number where both are equal."""
    if isinstance(value, (tuple, list)):
        values = list(value)
        return values[0] if len(values) == 2 and values[0] == values[1] else values
    return value


def _as_list(value: Any) -> Any:
    """A list of numbers that is not a pair (a LayerNorm's normalized_shape [7, 7]) stays a list."""
    return list(value) if isinstance(value, tuple) else value


def _params(values: dict[str, Any], type_name: str) -> dict[str, Any]:
    """The values that differ from the block's declared defaults (what a person would have to set)."""
    spec = BLOCKS.get(type_name)
    if spec is None:
        raise Unmapped(N_("{place}: {call} needs a {block} block, which this version of NN Builder does not have"),
                       block=type_name)
    defaults = {p.name: p.default for p in spec.params if not p.required}
    pairs = {p.name for p in spec.params if p.kind in (INT_PAIR, FLOAT_PAIR)}
    out = {}
    for name, value in values.items():
        value = project_value(value) if name in pairs else _as_list(value)
        if name in defaults and _same(value, defaults[name]):
            continue
        out[name] = value
    return out


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, list) and project_value(a) == b)


def block(type_name: str, **values: Any) -> Mapped:
    return type_name, _params(values, type_name)


# -- modules: `self.conv1 = nn.Conv2d(...)`, called as `self.conv1(x)` -----------------------------------

def _conv(m: nn.Conv2d, _c: Call) -> Mapped:
    padding = m.padding
    if padding == "valid":
        padding = 0
    elif padding == "same":  # torch pads dilation × (kernel - 1) in all; split evenly unless that is odd
        totals = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        if any(t % 2 for t in totals):
            raise Unmapped(N_("{place}: {call} uses padding='same' with an even kernel, which pads one side more; give "
                              "the padding as numbers"))
        padding = [t // 2 for t in totals]
    return block("Conv2d", out_channels=m.out_channels, kernel_size=m.kernel_size, stride=m.stride,
                 padding=padding, dilation=m.dilation, groups=m.groups, bias=m.bias is not None,
                 padding_mode=m.padding_mode)


def _conv_transpose(m: nn.ConvTranspose2d, _c: Call) -> Mapped:
    if m.padding_mode != "zeros":
        raise Unmapped(N_("{place}: {call} uses padding_mode '{mode}'; ConvTranspose2d pads with zeros only"),
                       mode=m.padding_mode)
    return block("ConvTranspose2d", out_channels=m.out_channels, kernel_size=m.kernel_size, stride=m.stride,
                 padding=m.padding, output_padding=m.output_padding, groups=m.groups, bias=m.bias is not None,
                 dilation=m.dilation)


def _batch_norm(type_name: str) -> Callable[[nn.Module, Call], Mapped]:
    def mapper(m: nn.modules.batchnorm._BatchNorm, _c: Call) -> Mapped:
        if not m.track_running_stats or m.momentum is None:
            raise Unmapped(N_("{place}: {call} keeps no running statistics or averages them cumulatively "
                              "(momentum=None); the {block} block keeps them with a momentum"), block=type_name)
        return block(type_name, eps=m.eps, momentum=m.momentum, affine=m.affine)

    return mapper


def _max_pool(m: nn.MaxPool2d, _c: Call) -> Mapped:
    if m.return_indices:
        raise Unmapped(N_("{place}: {call} returns the indices too (return_indices=True); no block passes them "
                          "on"))
    stride = None if project_value(m.stride) == project_value(m.kernel_size) else m.stride
    return block("MaxPool2d", kernel_size=m.kernel_size, stride=stride, padding=m.padding, dilation=m.dilation,
                 ceil_mode=m.ceil_mode)


def _avg_pool(m: nn.AvgPool2d, _c: Call) -> Mapped:
    if m.divisor_override is not None:
        raise Unmapped(N_("{place}: {call} divides by a fixed number (divisor_override); the AvgPool2d block "
                          "divides by the window"))
    stride = None if project_value(m.stride) == project_value(m.kernel_size) else m.stride
    return block("AvgPool2d", kernel_size=m.kernel_size, stride=stride, padding=m.padding, ceil_mode=m.ceil_mode,
                 count_include_pad=m.count_include_pad)


def _adaptive(type_name: str) -> Callable[[nn.Module, Call], Mapped]:
    def mapper(m: nn.Module, _c: Call) -> Mapped:
        size = m.output_size
        if size is None or (isinstance(size, (tuple, list)) and None in size):
            raise Unmapped(N_("{place}: {call} keeps a dimension's size (None in output_size); give both sizes"))
        return block(type_name, output_size=size)

    return mapper


def _flatten_module(m: nn.Flatten, c: Call) -> Mapped:
    return _flatten_dims(m.start_dim, m.end_dim, c)


def _flatten_dims(start: int, end: int, c: Call) -> Mapped:
    rank = len(c.ins[0])
    if start % rank == 1 and end % rank == rank - 1:
        return block("Flatten")
    return _reshape(c)


def _upsample(m: nn.Upsample, _c: Call) -> Mapped:
    return block("Upsample", size=m.size, scale_factor=m.scale_factor, mode=m.mode, align_corners=m.align_corners)


def _simple(type_name: str, **attributes: str) -> Callable[[nn.Module, Call], Mapped]:
    """A module whose block parameters are its attributes of the same (or the given) names."""
    def mapper(m: nn.Module, _c: Call) -> Mapped:
        return block(type_name, **{param: getattr(m, attributes.get(param, param)) for param in _declared(type_name)})

    return mapper


def _declared(type_name: str) -> list[str]:
    spec = BLOCKS.get(type_name)
    if spec is None:
        raise Unmapped(N_("{place}: {call} needs a {block} block, which this version of NN Builder does not have"),
                       block=type_name)
    return [p.name for p in spec.params if not p.inferred]


def _prelu(m: nn.PReLU, _c: Call) -> Mapped:
    return block("PReLU", num_parameters=m.num_parameters)


def _layer_norm(m: nn.LayerNorm, _c: Call) -> Mapped:
    return block("LayerNorm", normalized_shape=list(m.normalized_shape), eps=m.eps,
                 elementwise_affine=m.elementwise_affine, bias=getattr(m, "bias", None) is not None
                 if m.elementwise_affine else True)


def _no_params(type_name: str) -> Callable[[nn.Module, Call], Mapped]:
    return lambda _m, _c: block(type_name)


MODULES: dict[type, Callable[[Any, Call], Mapped]] = {
    nn.Conv2d: _conv,
    nn.ConvTranspose2d: _conv_transpose,
    nn.BatchNorm2d: _batch_norm("BatchNorm2d"),
    nn.BatchNorm1d: _batch_norm("BatchNorm1d"),
    nn.Linear: lambda m, _c: block("Linear", out_features=m.out_features, bias=m.bias is not None),
    nn.ReLU: _no_params("ReLU"), nn.ReLU6: _no_params("ReLU6"), nn.SiLU: _no_params("SiLU"),
    nn.Hardswish: _no_params("Hardswish"), nn.Hardsigmoid: _no_params("Hardsigmoid"), nn.Mish: _no_params("Mish"),
    nn.Sigmoid: _no_params("Sigmoid"), nn.Tanh: _no_params("Tanh"), nn.Identity: _no_params("Identity"),
    nn.LeakyReLU: _simple("LeakyReLU"), nn.ELU: _simple("ELU"), nn.Hardtanh: _simple("Hardtanh"),
    nn.GELU: _simple("GELU"), nn.Softmax: _simple("Softmax"),
    nn.PReLU: _prelu,
    nn.MaxPool2d: _max_pool, nn.AvgPool2d: _avg_pool,
    nn.AdaptiveAvgPool2d: _adaptive("AdaptiveAvgPool2d"), nn.AdaptiveMaxPool2d: _adaptive("AdaptiveMaxPool2d"),
    nn.Flatten: _flatten_module,
    nn.Dropout: _simple("Dropout"), nn.Dropout2d: _simple("Dropout2d"),
    nn.Upsample: _upsample,
    nn.LayerNorm: _layer_norm, nn.GroupNorm: _simple("GroupNorm"), nn.InstanceNorm2d: _simple("InstanceNorm2d"),
    nn.PixelShuffle: _simple("PixelShuffle"), nn.ChannelShuffle: _simple("ChannelShuffle"),
    nn.ZeroPad2d: lambda m, _c: block("ZeroPad2d", padding=project_value(list(m.padding)) if len(set(m.padding)) > 1
                                      else m.padding[0]),
}


# Modules of libraries the import must not load, by their qualified names.
NAMED_MODULES: dict[str, Callable[[Any, Call], Mapped]] = {
    "torchvision.ops.stochastic_depth.StochasticDepth": lambda m, _c: block("StochasticDepth", p=m.p, mode=m.mode),
}


def _mapper(module: nn.Module) -> Callable[[Any, Call], Mapped] | None:
    cls = type(module)
    return MODULES.get(cls) or NAMED_MODULES.get(f"{cls.__module__}.{cls.__qualname__}")


def module_block(module: nn.Module, call: Call) -> Mapped | None:
    """The block for a module called in forward; None when it is not a block (a module of its own)."""
    mapper = _mapper(module)
    return mapper(module, call) if mapper is not None else None


def is_block_module(module: nn.Module) -> bool:
    return _mapper(module) is not None


# -- functions and methods: `F.relu(x)`, `torch.cat([a, b], 1)`, `x.view(n, -1)`, `a + b` --------------

def _activation(type_name: str) -> Callable[[Call], Mapped]:
    return lambda _c: block(type_name)


def _leaky_relu(c: Call) -> Mapped:
    return block("LeakyReLU", negative_slope=c.arg(1, "negative_slope", 0.01))


def _elu(c: Call) -> Mapped:
    return block("ELU", alpha=c.arg(1, "alpha", 1.0))


def _hardtanh(c: Call) -> Mapped:
    return block("Hardtanh", min_val=c.arg(1, "min_val", -1.0), max_val=c.arg(2, "max_val", 1.0))


def _gelu(c: Call) -> Mapped:
    return block("GELU", approximate=c.kwargs.get("approximate", "none"))


def _softmax(c: Call) -> Mapped:
    dim = c.arg(1, "dim")
    if dim is None:
        raise Unmapped(N_("{place}: {call} softmax without a dim; give dim=1 for classes"))
    return block("Softmax", dim=dim)


def _dropout(type_name: str) -> Callable[[Call], Mapped]:
    return lambda c: block(type_name, p=c.arg(1, "p", 0.5))


def _pool(type_name: str) -> Callable[[Call], Mapped]:
    def mapper(c: Call) -> Mapped:
        kernel = c.arg(1, "kernel_size")
        stride = c.arg(2, "stride", None)
        stride = None if stride in (None, []) or project_value(stride) == project_value(kernel) else stride
        if type_name == "MaxPool2d":
            if c.arg(6, "return_indices", False):
                raise Unmapped(N_("{place}: {call} returns the indices too (return_indices=True); no block passes them "
                                  "on"))
            return block("MaxPool2d", kernel_size=kernel, stride=stride, padding=c.arg(3, "padding", 0),
                         dilation=c.arg(4, "dilation", 1), ceil_mode=c.arg(5, "ceil_mode", False))
        if c.arg(6, "divisor_override", None) is not None:
            raise Unmapped(N_("{place}: {call} divides by a fixed number (divisor_override); the AvgPool2d block "
                              "divides by the window"))
        return block("AvgPool2d", kernel_size=kernel, stride=stride, padding=c.arg(3, "padding", 0),
                     ceil_mode=c.arg(4, "ceil_mode", False), count_include_pad=c.arg(5, "count_include_pad", True))

    return mapper


def _adaptive_function(type_name: str) -> Callable[[Call], Mapped]:
    def mapper(c: Call) -> Mapped:
        size = c.arg(1, "output_size")
        if size is None or (isinstance(size, (tuple, list)) and None in size):
            raise Unmapped(N_("{place}: {call} keeps a dimension's size (None in output_size); give both sizes"))
        return block(type_name, output_size=size)

    return mapper


def _interpolate(c: Call) -> Mapped:
    mode = c.arg(3, "mode", "nearest")
    corners = c.arg(4, "align_corners", None)
    if c.arg(5, "recompute_scale_factor", None) or c.kwargs.get("antialias"):
        raise Unmapped(N_("{place}: {call} uses recompute_scale_factor or antialias, which the Interpolate block "
                          "does not"))
    size = c.args[1] if len(c.args) > 1 else c.kwargs.get("size")
    factor = c.args[2] if len(c.args) > 2 else c.kwargs.get("scale_factor")
    if isinstance(factor, fx.Node):
        raise Unmapped(N_("{place}: {call} its scale_factor is computed while the network runs; write it as a "
                          "number"))
    if factor is None or isinstance(size, fx.Node) or size is not None:
        size, factor = list(c.out[2:]), None  # a size read off another tensor: the size it had when traced
    return block("Interpolate", size=size, scale_factor=factor, mode=mode, align_corners=corners)


def _cat(c: Call) -> Mapped:
    if len(c.ins) == 1:  # the first pass of a dense block's loop: one tensor, passed on as it is
        return IDENTITY, {}
    return block("Concat", dim=c.arg(1, "dim", 0))


def _binary(type_name: str, symbol: str) -> Callable[[Call], Mapped]:
    def mapper(c: Call) -> Mapped:
        tensors = [a for a in c.args[:2] if isinstance(a, fx.Node) and "shape" in a.meta]
        if len(tensors) != 2:
            raise Unmapped(N_("{place}: {call} '{symbol}' with a number; blocks {symbol} two tensors (a {block} of two "
                              "branches)"), symbol=symbol, block=type_name)
        if type_name == "Add" and c.kwargs.get("alpha", 1) != 1:
            raise Unmapped(N_("{place}: {call} adds with alpha; the Add block adds plainly"))
        return block(type_name)

    return mapper


def _flatten_function(c: Call) -> Mapped:
    return _flatten_dims(c.arg(1, "start_dim", 0), c.arg(2, "end_dim", -1), c)


def _reshape(c: Call) -> Mapped:
    """view / reshape / flatten / squeeze / unsqueeze: the batch must stay first; the result's shape is what
    tracing saw (a size read off the input, as `x.view(x.size(0), -1)` does, is fixed at its traced value)."""
    if c.out[:1] != c.ins[0][:1]:
        raise Unmapped(N_("{place}: {call} reshapes across the batch ({before} → {after}); blocks keep the batch "
                          "dimension first and whole"), before=tuple(c.ins[0]), after=tuple(c.out))
    if len(c.out) == 2 and len(c.ins[0]) > 2:
        return block("Flatten")
    return block("Reshape", shape=list(c.out[1:]))


def _permute(c: Call) -> Mapped:
    dims = _constant(list(c.args[1:]) if len(c.args) > 1 else list(c.kwargs.get("dims", ())), "dims")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    rank = len(c.ins[0])
    dims = [d % rank for d in dims]
    if not dims or dims[0] != 0:
        raise Unmapped(N_("{place}: {call} moves the batch dimension; blocks keep it first"))
    return block("Permute", dims=dims[1:])


def _transpose(c: Call) -> Mapped:
    rank = len(c.ins[0])
    a, b = c.arg(1, "dim0") % rank, c.arg(2, "dim1") % rank
    if 0 in (a, b):
        raise Unmapped(N_("{place}: {call} moves the batch dimension; blocks keep it first"))
    dims = list(range(rank))
    dims[a], dims[b] = dims[b], dims[a]
    return block("Permute", dims=dims[1:])


def _mean(c: Call) -> Mapped:
    dim = c.arg(1, "dim", None)
    if dim is None:
        raise Unmapped(N_("{place}: {call} averages everything, the batch included; give the dims to average (e.g. "
                          "(2, 3))"))
    dims = [dim] if isinstance(dim, int) else list(dim)
    return block("Mean", dim=dims if len(dims) > 1 else dims[0], keepdim=c.arg(2, "keepdim", False))


def _pad(c: Call) -> Mapped:
    pad = c.arg(1, "pad")
    if c.arg(2, "mode", "constant") != "constant" or (c.arg(3, "value", None) or 0) != 0 or len(pad) != 4:
        raise Unmapped(N_("{place}: {call} pads other than with zeros on the left, right, top and bottom; ZeroPad2d "
                          "pads with zeros"))
    return block("ZeroPad2d", padding=pad[0] if len(set(pad)) == 1 else list(pad))


def _pixel_shuffle(c: Call) -> Mapped:
    return block("PixelShuffle", upscale_factor=c.arg(1, "upscale_factor"))


def _channel_shuffle(c: Call) -> Mapped:
    return block("ChannelShuffle", groups=c.arg(1, "groups"))


def _getitem(c: Call) -> Mapped:
    """`x[:, :58]`: a run along one dim after the batch is a Slice; any other indexing has no block."""
    index = c.args[1] if isinstance(c.args[1], tuple) else (c.args[1],)
    runs = [(dim, part) for dim, part in enumerate(index) if part != slice(None)]
    if len(runs) != 1 or not isinstance(runs[0][1], slice) or runs[0][0] == 0 or Ellipsis in index:
        raise Unmapped(N_("{place}: {call} indexes the tensor in a way no block does; a Slice takes a run of one dim: "
                          "x[:, a:b]"))
    dim, part = runs[0]
    start, stop, step = part.indices(c.ins[0][dim])
    if step != 1 or stop <= start:
        raise Unmapped(N_("{place}: {call} takes every n-th value or nothing; a Slice takes a run of one dim: "
                          "x[:, a:b]"))
    return block("Slice", dim=dim, start=start, length=stop - start)


def _identity(_c: Call) -> Mapped:
    return IDENTITY, {}


FUNCTIONS: dict[Any, Callable[[Call], Mapped]] = {
    F.relu: _activation("ReLU"), torch.relu: _activation("ReLU"), F.relu6: _activation("ReLU6"),
    F.silu: _activation("SiLU"), F.hardswish: _activation("Hardswish"), F.hardsigmoid: _activation("Hardsigmoid"),
    F.mish: _activation("Mish"), F.sigmoid: _activation("Sigmoid"), torch.sigmoid: _activation("Sigmoid"),
    F.tanh: _activation("Tanh"), torch.tanh: _activation("Tanh"),
    F.leaky_relu: _leaky_relu, F.elu: _elu, F.hardtanh: _hardtanh, F.gelu: _gelu, F.softmax: _softmax,
    torch.softmax: _softmax,
    F.dropout: _dropout("Dropout"), F.dropout2d: _dropout("Dropout2d"),
    F.max_pool2d: _pool("MaxPool2d"), F.avg_pool2d: _pool("AvgPool2d"),
    F.adaptive_avg_pool2d: _adaptive_function("AdaptiveAvgPool2d"),
    F.adaptive_max_pool2d: _adaptive_function("AdaptiveMaxPool2d"),
    F.interpolate: _interpolate,
    torch.cat: _cat, torch.concat: _cat,
    operator.add: _binary("Add", "+"), operator.iadd: _binary("Add", "+"), torch.add: _binary("Add", "+"),
    operator.mul: _binary("Mul", "*"), operator.imul: _binary("Mul", "*"), torch.mul: _binary("Mul", "*"),
    torch.flatten: _flatten_function, torch.reshape: _reshape, torch.squeeze: _reshape, torch.unsqueeze: _reshape,
    torch.permute: _permute, torch.transpose: _transpose, torch.mean: _mean,
    F.pad: _pad, F.pixel_shuffle: _pixel_shuffle, operator.getitem: _getitem, torch.channel_shuffle: _channel_shuffle,
    F.channel_shuffle: _channel_shuffle,
}

METHODS: dict[str, Callable[[Call], Mapped]] = {
    "relu": _activation("ReLU"), "relu_": _activation("ReLU"), "sigmoid": _activation("Sigmoid"),
    "tanh": _activation("Tanh"), "softmax": _softmax,
    "view": _reshape, "reshape": _reshape, "flatten": _flatten_function, "squeeze": _reshape, "unsqueeze": _reshape,
    "permute": _permute, "transpose": _transpose, "mean": _mean,
    "add": _binary("Add", "+"), "add_": _binary("Add", "+"), "mul": _binary("Mul", "*"), "mul_": _binary("Mul", "*"),
    "contiguous": _identity, "clone": _identity, "detach": _identity,
    # Broadcast by hand before a product (`x * y.expand_as(x)`): Mul broadcasts by itself.
    "expand_as": _identity, "expand": _identity,
}


def call_block(call: Call) -> Mapped:
    """The block for a function or method call; raises Unmapped naming the operation when none fits."""
    node = call.node
    if node.op == "call_method":
        mapper = METHODS.get(node.target)
        what = tr("the tensor method .{method}()", method=node.target)
    else:
        mapper = FUNCTIONS.get(node.target)
        what = _function_name(node.target)
    if mapper is None:
        raise Unmapped(N_("{what} at {place} has no block ({call}); replace it with blocks NN Builder has (`builder "
                          "blocks` lists them)"), what=what)
    return mapper(call)


def _function_name(target: Any) -> str:
    if target in (operator.add, operator.iadd):
        return "'+'"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", repr(target))
    if module.startswith("torch.nn.functional"):
        return f"F.{name}"
    if module in ("_operator", "operator"):
        return tr("the operator {name}", name=name)
    prefix = {"torch._C._fft": "torch.fft", "torch._C._linalg": "torch.linalg", "torch._C._nn": "F",
              "torch._C._special": "torch.special"}.get(module, "torch" if module.startswith("torch") else module)
    name = name.removeprefix(prefix.rpartition(".")[2] + "_")  # torch.fft.fft2 is fft_fft2 underneath
    return f"{prefix}.{name}" if prefix else name
