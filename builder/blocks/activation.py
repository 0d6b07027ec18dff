"""Activations: the non-linear functions between layers."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import nn_call
from builder.blocks.params import CHOICE, FLOAT, INT, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape


def _same(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    return Inferred(ins[0])


def _softmax(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    rank = len(ins[0]) + 1  # with the batch dimension, as torch counts dims
    dim = p["dim"]
    if dim == 0 or dim == -rank:
        raise ShapeError(tr("dim 0 is the batch: softmax over it would mix samples; use dim=1 for classes"))
    if not -rank < dim < rank:
        raise ShapeError(tr("dim {dim} does not exist: the input has dims 1 to {last} (0 is the batch)", dim=dim,
                            last=rank - 1))
    return Inferred(ins[0])


def _check_hardtanh(p: dict[str, Any]) -> list[str]:
    if p["min_val"] < p["max_val"]:
        return []
    return [tr("min_val ({low:g}) must be smaller than max_val ({high:g})", low=p["min_val"], high=p["max_val"])]


def _prelu(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    count, channels = p["num_parameters"], ins[0][0]
    if count not in (1, channels):
        if len(ins[0]) > 1:
            message = N_("num_parameters must be 1 (one slope for all) or the input's {channels} channels "
                         "(one slope each), got {count}")
        else:
            message = N_("num_parameters must be 1 (one slope for all) or the input's {channels} features "
                         "(one slope each), got {count}")
        raise ShapeError(tr(message, channels=channels, count=count))
    return Inferred(ins[0], count)


def _simple(name: str, description: str, prefix: str = "", backward_needs: str = "input") -> BlockSpec:
    return BlockSpec(type=name, category="activation", description=description, infer=_same,
                     layer=lambda _p: f"nn.{name}()", id_prefix=prefix, backward_needs=backward_needs)


BLOCKS = (
    _simple("ReLU", N_("Keeps positive values and zeroes the rest: the default activation."), backward_needs="output"),
    BlockSpec(
        type="LeakyReLU",
        id_prefix="lrelu",
        category="activation",
        description=N_("Like ReLU, but lets a small slope through for negative values (common in discriminators)."),
        params=(Param("negative_slope", FLOAT, N_("Slope for negative inputs, e.g. 0.2 in a GAN discriminator."),
                      default=0.01, min=0.0, short="slope "),),
        infer=_same,
        layer=lambda p: nn_call("nn.LeakyReLU", [], [("negative_slope", p["negative_slope"], 0.01)]),
    ),
    _simple("Sigmoid", N_("Squashes values into (0, 1): a probability for BCELoss."), backward_needs="output"),
    _simple("Tanh", N_("Squashes values into (-1, 1): the usual last layer of an image generator."), backward_needs="output"),
    BlockSpec(
        type="GELU",
        category="activation",
        description=N_("A smooth ReLU used in transformers and modern conv nets."),
        params=(Param("approximate", CHOICE, N_("'tanh' uses a faster approximation of the exact curve."),
                      default="none", choices=("none", "tanh")),),
        infer=_same,
        layer=lambda p: nn_call("nn.GELU", [], [("approximate", p["approximate"], "none")]),
    ),
    BlockSpec(
        type="Softmax",
        category="activation",
        description=N_("Turns scores into probabilities that sum to 1 along a dim (not before CrossEntropyLoss)."),
        params=(Param("dim", INT, N_("The dim that sums to 1, counting the batch as 0: 1 for the classes."), default=1),),
        infer=_softmax,
        layer=lambda p: nn_call("nn.Softmax", [], [("dim", p["dim"], None)]),
    ),
    _simple("ReLU6", N_("ReLU capped at 6: min(max(0, x), 6), used in MobileNet."), prefix="relu6_"),
    _simple("SiLU", N_("Smooth ReLU-like curve x·sigmoid(x), used in EfficientNet.")),
    _simple("Hardswish", N_("A cheap, piecewise-linear SiLU: x·ReLU6(x + 3)/6, used in MobileNetV3.")),
    _simple("Hardsigmoid", N_("A cheap, piecewise-linear sigmoid: ReLU6(x + 3)/6, used in MobileNetV3's gates.")),
    _simple("Mish", N_("Smooth ReLU-like curve x·tanh(softplus(x)), used in YOLOv4.")),
    BlockSpec(
        type="ELU",
        category="activation",
        description=N_("Like ReLU for positive values, but curves smoothly down to -alpha for negative ones."),
        params=(Param("alpha", FLOAT, N_("How low negative inputs go: the curve flattens out at -alpha."),
                      default=1.0, min=0.0, short="α"),),
        infer=_same,
        layer=lambda p: nn_call("nn.ELU", [], [("alpha", p["alpha"], 1.0)]),
    ),
    BlockSpec(
        type="Hardtanh",
        category="activation",
        description=N_("Clips values into [min_val, max_val]: a hard, linear-in-between tanh."),
        params=(
            Param("min_val", FLOAT, N_("The lowest value it lets through; smaller inputs become this."), default=-1.0,
                  short="min "),
            Param("max_val", FLOAT, N_("The highest value it lets through; larger inputs become this."), default=1.0,
                  short="max "),
        ),
        infer=_same,
        layer=lambda p: nn_call("nn.Hardtanh", [], [("min_val", p["min_val"], -1.0),
                                                    ("max_val", p["max_val"], 1.0)]),
        check_params=_check_hardtanh,
    ),
    BlockSpec(
        type="PReLU",
        category="activation",
        description=N_("A LeakyReLU whose negative slope is learned: one for all channels, or one per channel."),
        params=(
            Param("num_parameters", INT, N_("Slopes learned: 1 shared by all channels, or one per input channel."),
                  default=1, min=1, short="n"),
            Param("init", FLOAT, N_("The slopes' starting value before training."), default=0.25, short="init "),
        ),
        infer=_prelu,
        layer=lambda p: nn_call("nn.PReLU", [], [("num_parameters", p["num_parameters"], 1),
                                                 ("init", p["init"], 0.25)]),
    ),
)
