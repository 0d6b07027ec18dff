"""Pooling: shrink images by taking the max or mean of each window."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import ALWAYS, nn_call
from builder.blocks.params import INT_PAIR, Param, pair
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, image, window_out
from builder.core.shapes import Shape


def _window_params() -> tuple[Param, ...]:
    return (
        Param("kernel_size", INT_PAIR, "Size of each pooling window, e.g. 2 for 2×2.", min=1, short="k"),
        Param("stride", INT_PAIR, "Step between windows; empty means the kernel size (windows don't overlap).",
              default=None, min=1, optional=True, unset="= kernel_size", short="s"),
        Param("padding", INT_PAIR, "Padding on each side; at most half the kernel size.", default=0, min=0,
              short="p"),
    )


def _infer_window(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    kh, kw = pair(p["kernel_size"])
    ph, pw = pair(p["padding"])
    if ph > kh // 2 or pw > kw // 2:
        raise ShapeError(f"padding {p['padding']} must be at most half the kernel size {p['kernel_size']}")
    window = dict(p, stride=p["stride"] if p["stride"] is not None else p["kernel_size"], dilation=1)
    oh, ow = window_out(window, h, w)
    return Inferred((c, oh, ow))


def _window_layer(name: str):
    def layer(p: dict[str, Any]) -> str:
        return nn_call(name, [], [("kernel_size", p["kernel_size"], ALWAYS), ("stride", p["stride"], None),
                                  ("padding", p["padding"], 0)])
    return layer


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
        description="Keeps the largest value of each window: halves the size with kernel 2.",
        params=_window_params(),
        infer=_infer_window,
        layer=_window_layer("nn.MaxPool2d"),
    ),
    BlockSpec(
        type="AvgPool2d",
        starter={"kernel_size": 2},
        id_prefix="avgpool",
        category="pooling",
        description="Averages each window: a smoother way to shrink an image.",
        params=_window_params(),
        infer=_infer_window,
        layer=_window_layer("nn.AvgPool2d"),
    ),
    BlockSpec(
        type="AdaptiveAvgPool2d",
        id_prefix="gap",
        category="pooling",
        description="Averages down to a fixed output size whatever the input size; 1 gives global average pooling.",
        params=(Param("output_size", INT_PAIR, "Height and width of the output, e.g. 1 for one value per channel.",
                      default=1, min=1, short="→"),),
        infer=_infer_adaptive,
        layer=lambda p: nn_call("nn.AdaptiveAvgPool2d", [p["output_size"]], []),
    ),
)
