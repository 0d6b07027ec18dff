"""Input and Output: where samples enter the network and where predictions leave it."""

from __future__ import annotations

from typing import Any

from builder.blocks.params import SHAPE, Param
from builder.blocks.spec import BlockSpec, Inferred
from builder.core.i18n import N_
from builder.core.shapes import Shape


def _infer_input(p: dict[str, Any], _ins: list[Shape]) -> Inferred:
    return Inferred(tuple(p["shape"]))


def _infer_output(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    return Inferred(ins[0])


BLOCKS = (
    BlockSpec(
        type="Input",
        starter={"shape": [1, 28, 28]},
        id_prefix="x",
        category="input/output",
        description=N_("Where a batch of samples enters the network; its shape leaves out the batch size."),
        params=(Param("shape", SHAPE, N_("One sample's shape without the batch: [channels, height, width] or [features].")),),
        infer=_infer_input,
        min_inputs=0,
        max_inputs=0,
    ),
    BlockSpec(
        type="Output",
        id_prefix="out",
        category="input/output",
        description=N_("What the network returns: predictions for the loss, or images from a generator."),
        infer=_infer_output,
    ),
)
