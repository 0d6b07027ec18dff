"""Pooling: shrink images by taking the max or mean of each window, or down to a fixed size."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import ALWAYS, nn_call
from builder.blocks.params import BOOL, INT_PAIR, Param, pair
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, image, window_out
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape


def _window_params() -> tuple[Param, ...]:
    return (
        Param("kernel_size", INT_PAIR, N_("Size of each pooling window, e.g. 2 for 2×2."), min=1, short="k"),
        Param("stride", INT_PAIR, N_("Step between windows; empty means the kernel size (windows don't overlap)."),
              default=None, min=1, optional=True, unset=N_("= kernel_size"), short="s"),
        Param("padding", INT_PAIR, N_("Padding on each side; at most half the kernel size."), default=0, min=0,
              short="p"),
    )


def _ceil_mode() -> Param:
    return Param("ceil_mode", BOOL, N_("Round the output size up: a last, partial window at the edge gives a value too."),
                 default=False, short="ceil")


MAX_POOL_PARAMS = (
    *_window_params(),
    Param("dilation", INT_PAIR, N_("Spacing between the values a window looks at: 2 spreads it over a wider area."),
          default=1, min=1, short="d"),
    _ceil_mode(),
)
AVG_POOL_PARAMS = (
    *_window_params(),
    _ceil_mode(),
    Param("count_include_pad", BOOL, N_("Count the padding's zeros when averaging a window at the edge."), default=True),
)


def _infer_window(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    kh, kw = pair(p["kernel_size"])
    ph, pw = pair(p["padding"])
    if ph > kh // 2 or pw > kw // 2:
        raise ShapeError(tr("padding {padding} must be at most half the kernel size {kernel}", padding=p["padding"],
                            kernel=p["kernel_size"]))
    window = dict(p, stride=p["stride"] if p["stride"] is not None else p["kernel_size"])
    oh, ow = window_out(window, h, w)
    return Inferred((c, oh, ow))


def _max_pool_layer(p: dict[str, Any]) -> str:
    return nn_call("nn.MaxPool2d", [], [("kernel_size", p["kernel_size"], ALWAYS), ("stride", p["stride"], None),
                                        ("padding", p["padding"], 0), ("dilation", p["dilation"], 1),
                                        ("ceil_mode", p["ceil_mode"], False)])


def _avg_pool_layer(p: dict[str, Any]) -> str:
    return nn_call("nn.AvgPool2d", [], [("kernel_size", p["kernel_size"], ALWAYS), ("stride", p["stride"], None),
                                        ("padding", p["padding"], 0), ("ceil_mode", p["ceil_mode"], False),
                                        ("count_include_pad", p["count_include_pad"], True)])


def _infer_adaptive(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, _h, _w = image(ins[0])
    oh, ow = pair(p["output_size"])
    return Inferred((c, oh, ow))


BLOCKS = (
    BlockSpec(
        type="MaxPool2d",
        starter={"kernel_size": 2},
        id_prefix="pool",
        category="pooling",
        description=N_("Keeps the largest value of each window: halves the size with kernel 2."),
        params=MAX_POOL_PARAMS,
        infer=_infer_window,
        layer=_max_pool_layer,
    ),
    BlockSpec(
        type="AvgPool2d",
        starter={"kernel_size": 2},
        id_prefix="avgpool",
        category="pooling",
        description=N_("Averages each window: a smoother way to shrink an image."),
        params=AVG_POOL_PARAMS,
        infer=_infer_window,
        layer=_avg_pool_layer,
    ),
    BlockSpec(
        type="AdaptiveAvgPool2d",
        id_prefix="gap",
        category="pooling",
        description=N_("Averages down to a fixed output size whatever the input size; 1 gives global average pooling."),
        params=(Param("output_size", INT_PAIR, N_("Height and width of the output, e.g. 1 for one value per channel."),
                      default=1, min=1, short="→"),),
        infer=_infer_adaptive,
        layer=lambda p: nn_call("nn.AdaptiveAvgPool2d", [p["output_size"]], []),
    ),
    BlockSpec(
        type="AdaptiveMaxPool2d",
        id_prefix="gmp",
        category="pooling",
        description=N_("Takes the max down to a fixed output size whatever the input size; 1 keeps each channel's peak."),
        params=(Param("output_size", INT_PAIR, N_("Height and width of the output, e.g. 1 for one value per channel."),
                      default=1, min=1, short="→"),),
        infer=_infer_adaptive,
        layer=lambda p: nn_call("nn.AdaptiveMaxPool2d", [p["output_size"]], []),
    ),
)
