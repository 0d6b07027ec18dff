"""Resizing feature maps: Interpolate and Upsample to a size or by a factor (U-Net decoders), PixelShuffle from
channels to pixels (super-resolution), ZeroPad2d around the edges."""

from __future__ import annotations

import math
from typing import Any

from builder.blocks.code import collapse_pair, literal, nn_call
from builder.blocks.params import BOOL, CHOICE, FLOAT_PAIR, INT, INT_LIST, INT_PAIR, Param, pair
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, image
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape

MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")
CORNER_MODES = ("bilinear", "bicubic")


def _check(p: dict[str, Any]) -> list[str]:
    problems = []
    if (p["size"] is None) == (p["scale_factor"] is None):
        problems.append(tr("set exactly one of size or scale_factor") if p["size"] is None
                        else tr("set either size or scale_factor, not both"))
    if p["align_corners"] is not None and p["mode"] not in CORNER_MODES:
        problems.append(tr("align_corners only applies to the bilinear and bicubic modes, not '{mode}'; leave it "
                           "empty", mode=p["mode"]))
    return problems


def _infer(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    if p["size"] is not None:
        oh, ow = pair(p["size"])
    else:
        fh, fw = pair(p["scale_factor"])
        if not math.isfinite(h * fh * w * fw):  # 1e308 passes as a finite factor, but its output has no size
            raise ShapeError(tr("scale_factor {factor} makes the {height}×{width} input too large",
                                factor=p["scale_factor"], height=h, width=w))
        oh, ow = math.floor(h * fh), math.floor(w * fw)
        if oh < 1 or ow < 1:
            raise ShapeError(tr("scale_factor {factor} shrinks the {height}×{width} input to nothing",
                                factor=p["scale_factor"], height=h, width=w))
    return Inferred((c, oh, ow))


def _forward(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    parts = [args[0]]
    if p["size"] is not None:
        parts.append(f"size={literal(collapse_pair(p['size']))}")
    else:
        parts.append(f"scale_factor={literal(collapse_pair(p['scale_factor']))}")
    parts.append(f"mode={literal(p['mode'])}")
    if p["align_corners"] is not None:
        parts.append(f"align_corners={literal(p['align_corners'])}")
    return f"F.interpolate({', '.join(parts)})"


def _upsample_layer(p: dict[str, Any]) -> str:
    return nn_call("nn.Upsample", [], [("size", p["size"], None), ("scale_factor", p["scale_factor"], None),
                                       ("mode", p["mode"], "nearest"), ("align_corners", p["align_corners"], None)])


def _infer_pixel_shuffle(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    r = p["upscale_factor"]
    if c % (r * r):
        raise ShapeError(tr("upscale_factor {factor} needs channels that divide by {square} (r²), but its input has "
                            "{channels}; every {square} channels become one, {factor} times taller and wider",
                            factor=r, square=r * r, channels=c))
    return Inferred((c // (r * r), h * r, w * r))


def _sides(padding: Any) -> tuple[int, int, int, int]:
    """ZeroPad2d's padding as (left, right, top, bottom)."""
    return tuple(padding) if isinstance(padding, tuple) else (padding,) * 4  # type: ignore[return-value]


def _infer_zero_pad(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    left, right, top, bottom = _sides(p["padding"])
    return Inferred((c, h + top + bottom, w + left + right))


RESIZE_PARAMS = (
    Param("size", INT_PAIR, N_("Output height and width; leave empty when using scale_factor."),
          default=None, min=1, optional=True, unset=N_("from scale_factor"),
          short="→"),
    Param("scale_factor", FLOAT_PAIR, N_("Multiplier for height and width, e.g. 2 to double; leave empty when using size."),
          default=None, min=0.0, min_exclusive=True, optional=True, unset=N_("from size"),
          short="×"),
    Param("mode", CHOICE, N_("How new pixels are computed: copy the nearest, or blend neighbours (bilinear, bicubic)."),
          default="nearest", choices=MODES),
    Param("align_corners", BOOL, N_("Bilinear/bicubic only: line up the corner pixels of input and output."),
          default=None, optional=True, unset=N_("torch's default (false)")),
)

BLOCKS = (
    BlockSpec(
        type="Interpolate",
        starter={"scale_factor": 2},
        id_prefix="up",
        category="resize",
        description=N_("Resizes a feature map to a given size or by a factor, with no weights to learn."),
        params=RESIZE_PARAMS,
        infer=_infer,
        forward=_forward,
        check_params=_check,
    ),
    BlockSpec(
        type="Upsample",
        starter={"scale_factor": 2},
        id_prefix="up",
        category="resize",
        description=N_("Interpolate as a layer (nn.Upsample): resizes to a size or by a factor, with no weights."),
        params=RESIZE_PARAMS,
        infer=_infer,
        layer=_upsample_layer,
        check_params=_check,
    ),
    BlockSpec(
        type="PixelShuffle",
        starter={"upscale_factor": 2},
        id_prefix="pixshuffle",
        category="resize",
        description=N_("Moves channels into pixels: C×H×W becomes C/r²×H·r×W·r (super-resolution upsampling)."),
        params=(Param("upscale_factor", INT, N_("r: how much the height and width grow; channels must divide by r²."),
                      min=1, short="×"),),
        infer=_infer_pixel_shuffle,
        layer=lambda p: nn_call("nn.PixelShuffle", [p["upscale_factor"]], []),
    ),
    BlockSpec(
        type="ZeroPad2d",
        starter={"padding": 1},
        id_prefix="pad",
        category="resize",
        description=N_("Adds rows and columns of zeros around a feature map."),
        params=(Param("padding", INT_LIST, N_("Zeros added on every side, or on each: [left, right, top, bottom]."),
                      min=0, count=(4, 4), scalar=True, short="p"),),
        infer=_infer_zero_pad,
        layer=lambda p: nn_call("nn.ZeroPad2d", [p["padding"]], []),
    ),
)
