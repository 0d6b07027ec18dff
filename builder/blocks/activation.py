"""Activations: the non-linear functions between layers."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import nn_call
from builder.blocks.params import CHOICE, FLOAT, INT, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError
from builder.core.shapes import Shape


def _same(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    return Inferred(ins[0])


def _softmax(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    rank = len(ins[0]) + 1  # with the batch dimension, as torch counts dims
    dim = p["dim"]
    if dim == 0 or dim == -rank:
        raise ShapeError("dim 0 is the batch: softmax over it would mix samples; use dim=1 for classes")
    if not -rank < dim < rank:
        raise ShapeError(f"dim {dim} does not exist: the input has dims 1 to {rank - 1} (0 is the batch)")
    return Inferred(ins[0])


def _simple(name: str, description: str) -> BlockSpec:
    return BlockSpec(type=name, category="activation", description=description, infer=_same,
                     layer=lambda _p: f"nn.{name}()")


BLOCKS = (
    _simple("ReLU", "Keeps positive values and zeroes the rest: the default activation."),
    BlockSpec(
        type="LeakyReLU",
        id_prefix="lrelu",
        category="activation",
        description="Like ReLU, but lets a small slope through for negative values (common in discriminators).",
        params=(Param("negative_slope", FLOAT, "Slope for negative inputs, e.g. 0.2 in a GAN discriminator.",
                      default=0.01, min=0.0, short="slope "),),
        infer=_same,
        layer=lambda p: nn_call("nn.LeakyReLU", [], [("negative_slope", p["negative_slope"], 0.01)]),
    ),
    _simple("Sigmoid", "Squashes values into (0, 1): a probability for BCELoss."),
    _simple("Tanh", "Squashes values into (-1, 1): the usual last layer of an image generator."),
    BlockSpec(
        type="GELU",
        category="activation",
        description="A smooth ReLU used in transformers and modern conv nets.",
        params=(Param("approximate", CHOICE, "'tanh' uses a faster approximation of the exact curve.",
                      default="none", choices=("none", "tanh")),),
        infer=_same,
        layer=lambda p: nn_call("nn.GELU", [], [("approximate", p["approximate"], "none")]),
    ),
    BlockSpec(
        type="Softmax",
        category="activation",
        description="Turns scores into probabilities that sum to 1 along a dim (not before CrossEntropyLoss).",
        params=(Param("dim", INT, "The dim that sums to 1, counting the batch as 0: 1 for the classes.", default=1),),
        infer=_softmax,
        layer=lambda p: nn_call("nn.Softmax", [], [("dim", p["dim"], None)]),
    ),
)
