"""Batch normalization over channels (images) or features (vectors)."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import nn_call
from builder.blocks.params import BOOL, FLOAT, INT, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, describe, image, product, take_inferred
from builder.core.shapes import Shape


def _params() -> tuple[Param, ...]:
    return (
        Param("num_features", INT, "Channels (or features) normalized; leave empty to take it from the wire.",
              default=None, min=1, optional=True, inferred=True),
        Param("eps", FLOAT, "Small number added to the variance so it never divides by zero.",
              default=1e-5, min=0.0, min_exclusive=True),
        Param("momentum", FLOAT, "How fast the running mean and variance follow each batch (used at evaluation).",
              default=0.1, min=0.0, max=1.0),
        Param("affine", BOOL, "Learn a scale and shift per channel after normalizing.", default=True),
    )


def _layer(name: str):
    def layer(p: dict[str, Any]) -> str:
        return nn_call(name, [p["num_features"]], [("eps", p["eps"], 1e-5), ("momentum", p["momentum"], 0.1),
                                                   ("affine", p["affine"], True)])
    return layer


def _result(p: dict[str, Any], shape: Shape, channels: int) -> Inferred:
    take_inferred(p, "num_features", channels, "features (channels)")
    return Inferred(shape, 2 * channels if p["affine"] else 0, product(shape) if p["affine"] else 0)


def _infer_bn2d(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, _h, _w = image(ins[0])
    return _result(p, ins[0], c)


def _infer_bn1d(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    if len(shape) not in (1, 2):
        raise ShapeError(f"expects features or channels×length but its input is {describe(shape)}; "
                         "use BatchNorm2d for images")
    return _result(p, shape, shape[0])


BLOCKS = (
    BlockSpec(
        type="BatchNorm2d",
        id_prefix="bn",
        category="normalization",
        description="Normalizes each channel of an image batch: faster, steadier training of conv nets.",
        params=_params(),
        infer=_infer_bn2d,
        layer=_layer("nn.BatchNorm2d"),
    ),
    BlockSpec(
        type="BatchNorm1d",
        id_prefix="bn",
        category="normalization",
        description="Normalizes each feature over the batch, for vectors (after Linear) or sequences.",
        params=_params(),
        infer=_infer_bn1d,
        layer=_layer("nn.BatchNorm1d"),
    ),
)
