"""Convolutions: Conv2d, ConvTranspose2d, and the depthwise and grouped forms of Conv2d."""

from __future__ import annotations

from typing import Any

from builder.blocks import common_params as common
from builder.blocks.code import ALWAYS, nn_call
from builder.blocks.params import CHOICE, INT, INT_PAIR, Param, pair
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, image, size_text, take_inferred, window_out
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_padding_mode(p: dict[str, Any], h: int, w: int) -> None:
    mode = p.get("padding_mode", "zeros")
    ph, pw = pair(p["padding"])
    if mode in ("reflect", "circular") and (ph > h or pw > w or (mode == "reflect" and (ph >= h or pw >= w))):
        raise ShapeError(tr("padding_mode '{mode}' needs padding smaller than the {height}×{width} input, got "
                            "{padding}", mode=mode, height=h, width=w, padding=size_text(ph, pw)))


def _grouped(cin: int, cout: int, groups: int) -> None:
    if cin % groups:
        raise ShapeError(tr("groups={groups} must divide the {count} input channels", groups=groups, count=cin))
    if cout % groups:
        raise ShapeError(tr("groups={groups} must divide the {count} output channels", groups=groups, count=cout))


def _infer_conv2d(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    cin = take_inferred(p, "in_channels", c, N_("expects {given} input channels but its input has {actual}"))
    cout, groups = p["out_channels"], p["groups"]
    _grouped(cin, cout, groups)
    _check_padding_mode(p, h, w)
    oh, ow = window_out(p, h, w)
    kh, kw = pair(p["kernel_size"])
    weights = cout * (cin // groups) * kh * kw
    return Inferred((cout, oh, ow), weights + (cout if p["bias"] else 0), weights * oh * ow)


def _conv2d_layer(p: dict[str, Any]) -> str:
    return nn_call("nn.Conv2d", [p["in_channels"], p["out_channels"]], [
        ("kernel_size", p["kernel_size"], ALWAYS), ("stride", p["stride"], 1), ("padding", p["padding"], 0),
        ("dilation", p["dilation"], 1), ("groups", p["groups"], 1), ("bias", p["bias"], True),
        ("padding_mode", p["padding_mode"], "zeros"),
    ])


CONV2D = BlockSpec(
    type="Conv2d",
    starter={"out_channels": 16, "kernel_size": 3, "padding": 1},
    id_prefix="conv",
    category="convolution",
    description=N_("Slides learned filters over an image: the basic layer of image networks."),
    params=(
        common.in_channels(), common.out_channels(), common.kernel_size(), common.stride(), common.padding(),
        common.dilation(),
        Param("groups", INT, N_("Split channels into groups convolved separately; in and out channels must divide by it."),
              default=1, min=1, short="g"),
        common.bias(),
        Param("padding_mode", CHOICE, N_("What the padding holds: zeros, a mirror of the edge, the edge repeated, or wrap-around."),
              default="zeros", choices=PADDING_MODES),
    ),
    infer=_infer_conv2d,
    layer=_conv2d_layer,
)


def _infer_conv_transpose2d(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    cin = take_inferred(p, "in_channels", c, N_("expects {given} input channels but its input has {actual}"))
    cout, groups = p["out_channels"], p["groups"]
    _grouped(cin, cout, groups)
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["stride"])
    (ph, pw), (dh, dw) = pair(p["padding"]), pair(p["dilation"])
    oph, opw = pair(p["output_padding"])
    if oph >= max(sh, dh) or opw >= max(sw, dw):
        raise ShapeError(tr("output_padding {padding} must be smaller than the stride or the dilation",
                            padding=size_text(oph, opw)))
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if oh < 1 or ow < 1:
        raise ShapeError(tr("padding {padding} is too large: the output would be {height}×{width}",
                            padding=size_text(ph, pw), height=oh, width=ow))
    weights = cin * (cout // groups) * kh * kw
    return Inferred((cout, oh, ow), weights + (cout if p["bias"] else 0), weights * h * w)


def _conv_transpose2d_layer(p: dict[str, Any]) -> str:
    return nn_call("nn.ConvTranspose2d", [p["in_channels"], p["out_channels"]], [
        ("kernel_size", p["kernel_size"], ALWAYS), ("stride", p["stride"], 1), ("padding", p["padding"], 0),
        ("output_padding", p["output_padding"], 0), ("groups", p["groups"], 1), ("bias", p["bias"], True),
        ("dilation", p["dilation"], 1),
    ])


CONV_TRANSPOSE2D = BlockSpec(
    type="ConvTranspose2d",
    starter={"out_channels": 16, "kernel_size": 4, "stride": 2, "padding": 1},
    id_prefix="upconv",
    category="convolution",
    description=N_("Learned upsampling: stride 2 doubles the height and width (generators, decoders)."),
    params=(
        common.in_channels(), common.out_channels(), common.kernel_size(),
        common.stride("Upsampling factor: 2 roughly doubles the height and width."),
        common.padding("Trims the output on each side; kernel 4, stride 2, padding 1 exactly doubles the size."),
        Param("output_padding", INT_PAIR, N_("Extra rows and columns added on one side to reach an exact size; smaller than the stride."),
              default=0, min=0),
        Param("groups", INT, N_("Split channels into groups handled separately; in and out channels must divide by it."),
              default=1, min=1, short="g"),
        common.bias(), common.dilation(),
    ),
    infer=_infer_conv_transpose2d,
    layer=_conv_transpose2d_layer,
)


def _infer_depthwise(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    p["in_channels"] = c
    p["out_channels"] = c * p["depth_multiplier"]
    p["groups"] = c
    p["padding_mode"] = "zeros"
    return _infer_conv2d(p, ins)


DEPTHWISE_CONV2D = BlockSpec(
    type="DepthwiseConv2d",
    starter={"kernel_size": 3, "padding": 1},
    id_prefix="dwconv",
    category="convolution",
    description=N_("Filters each channel on its own (Conv2d with groups = channels): cheap spatial filtering."),
    params=(
        common.kernel_size(), common.stride(), common.padding(), common.dilation(),
        Param("depth_multiplier", INT, N_("Filters per input channel: output channels = input channels × this."),
              default=1, min=1, short="×"),
        common.bias(),
    ),
    infer=_infer_depthwise,
    layer=_conv2d_layer,
    comment="depthwise: one filter group per input channel",
)


def _infer_group_conv(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, _h, _w = image(ins[0])
    p["in_channels"] = c
    p["padding_mode"] = "zeros"
    return _infer_conv2d(p, ins)


GROUP_CONV2D = BlockSpec(
    type="GroupConv2d",
    starter={"out_channels": 16, "kernel_size": 3, "padding": 1, "groups": 2},
    id_prefix="gconv",
    category="convolution",
    description=N_("Conv2d split into independent channel groups: fewer weights and MACs (ResNeXt-style)."),
    params=(
        common.out_channels(), common.kernel_size(), common.stride(), common.padding(), common.dilation(),
        Param("groups", INT, N_("Number of channel groups; input and output channels must both divide by it."), min=1,
              short="g"),
        common.bias(),
    ),
    infer=_infer_group_conv,
    layer=_conv2d_layer,
    comment="grouped convolution",
)

BLOCKS = (CONV2D, CONV_TRANSPOSE2D, DEPTHWISE_CONV2D, GROUP_CONV2D)
