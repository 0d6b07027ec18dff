"""Flatten and Linear: from feature maps to vectors to scores."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import nn_call
from builder.blocks.params import BOOL, INT, Param
from builder.blocks.spec import Advice, BlockSpec, Inferred, product, take_inferred
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape, format_shape


def _infer_flatten(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    return Inferred((product(ins[0]),))


def _infer_linear(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    fin = take_inferred(p, "in_features", shape[-1], N_("expects {given} input features but its input has {actual}"))
    fout = p["out_features"]
    weights = fin * fout
    return Inferred((*shape[:-1], fout), weights + (fout if p["bias"] else 0), weights * product(shape[:-1]),
                    _image_input_advice(shape))


def _image_input_advice(shape: Shape) -> Advice | None:
    """A Linear on a C×H×W map is legal (it works on the last dimension, the width, alone) but is nearly always
    a missing Flatten."""
    if len(shape) < 3:
        return None
    return Advice(tr("gets {shape}: a Linear applies to the last dimension only; insert a Flatten before it to use "
                     "every value", shape=format_shape(shape)), insert_before="Flatten")


BLOCKS = (
    BlockSpec(
        type="Flatten",
        view=True,
        backward_needs="nothing",
        category="linear",
        description=N_("Lays a C×H×W feature map out as one vector, so Linear layers can take it."),
        infer=_infer_flatten,
        layer=lambda _p: "nn.Flatten()",
    ),
    BlockSpec(
        type="Linear",
        starter={"out_features": 10},
        id_prefix="fc",
        category="linear",
        description=N_("Fully connected layer: every output is a learned weighted sum of all inputs."),
        params=(
            Param("in_features", INT, N_("Size of each input vector; leave empty to take it from the wire."),
                  default=None, min=1, optional=True, inferred=True),
            Param("out_features", INT, N_("Size of each output vector: the number of classes for the last layer."), min=1,
                  short=""),
            Param("bias", BOOL, N_("Learn an added offset per output."), default=True),
        ),
        infer=_infer_linear,
        layer=lambda p: nn_call("nn.Linear", [p["in_features"], p["out_features"]], [("bias", p["bias"], True)]),
    ),
)
