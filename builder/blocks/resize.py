"""Interpolate: resize feature maps to a size or by a factor (U-Net decoders, upsampling)."""

from __future__ import annotations

import math
from typing import Any

from builder.blocks.code import collapse_pair, literal
from builder.blocks.params import BOOL, CHOICE, FLOAT_PAIR, INT_PAIR, Param, pair
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, image
from builder.core.shapes import Shape

MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")
CORNER_MODES = ("bilinear", "bicubic")


def _check(p: dict[str, Any]) -> list[str]:
    problems = []
    if (p["size"] is None) == (p["scale_factor"] is None):
        problems.append("set exactly one of size or scale_factor" if p["size"] is None
                        else "set either size or scale_factor, not both")
    if p["align_corners"] is not None and p["mode"] not in CORNER_MODES:
        problems.append(f"align_corners only applies to the bilinear and bicubic modes, not '{p['mode']}'; leave it empty")
    return problems


def _infer(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    if p["size"] is not None:
        oh, ow = pair(p["size"])
    else:
        fh, fw = pair(p["scale_factor"])
        if not math.isfinite(h * fh * w * fw):  # 1e308 passes as a finite factor, but its output has no size
            raise ShapeError(f"scale_factor {p['scale_factor']} makes the {h}×{w} input too large")
        oh, ow = math.floor(h * fh), math.floor(w * fw)
        if oh < 1 or ow < 1:
            raise ShapeError(f"scale_factor {p['scale_factor']} shrinks the {h}×{w} input to nothing")
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


BLOCKS = (
    BlockSpec(
        type="Interpolate",
        starter={"scale_factor": 2},
        id_prefix="up",
        category="resize",
        description="Resizes a feature map to a given size or by a factor, with no weights to learn.",
        params=(
            Param("size", INT_PAIR, "Output height and width; leave empty when using scale_factor.",
                  default=None, min=1, optional=True, unset="from scale_factor",
                  short="→"),
            Param("scale_factor", FLOAT_PAIR, "Multiplier for height and width, e.g. 2 to double; leave empty when using size.",
                  default=None, min=0.0, min_exclusive=True, optional=True, unset="from size",
                  short="×"),
            Param("mode", CHOICE, "How new pixels are computed: copy the nearest, or blend neighbours (bilinear, bicubic).",
                  default="nearest", choices=MODES),
            Param("align_corners", BOOL, "Bilinear/bicubic only: line up the corner pixels of input and output.",
                  default=None, optional=True, unset="torch's default (false)"),
        ),
        infer=_infer,
        forward=_forward,
        check_params=_check,
    ),
)
