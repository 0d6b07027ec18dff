"""Dropout: randomly zeroes activations while training so the network cannot rely on any one."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import nn_call
from builder.blocks.params import FLOAT, Param
from builder.blocks.spec import BlockSpec, Inferred, image
from builder.core.shapes import Shape


def _probability() -> Param:
    return Param("p", FLOAT, "Probability that a value is zeroed while training (off at evaluation).",
                 default=0.5, min=0.0, max=1.0, short="p ")


def _same(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    return Inferred(ins[0])


def _same_image(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    image(ins[0])
    return Inferred(ins[0])


BLOCKS = (
    BlockSpec(
        type="Dropout",
        id_prefix="drop",
        category="regularization",
        description="Zeroes random values while training to fight overfitting.",
        params=(_probability(),),
        infer=_same,
        layer=lambda p: nn_call("nn.Dropout", [], [("p", p["p"], 0.5)]),
    ),
    BlockSpec(
        type="Dropout2d",
        id_prefix="drop",
        category="regularization",
        description="Zeroes whole random channels of a feature map while training.",
        params=(_probability(),),
        infer=_same_image,
        layer=lambda p: nn_call("nn.Dropout2d", [], [("p", p["p"], 0.5)]),
    ),
)
