"""Dropout and stochastic depth: randomly zero activations (or a residual branch) while training, so the network
cannot rely on any one."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import Symbol, literal, nn_call
from builder.blocks.params import CHOICE, FLOAT, Param
from builder.blocks.spec import BlockSpec, Inferred, image
from builder.core.i18n import N_
from builder.core.shapes import Shape


def _probability() -> Param:
    return Param("p", FLOAT, N_("Probability that a value is zeroed while training (off at evaluation)."),
                 default=0.5, min=0.0, max=1.0, short="p ")


def _same(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    return Inferred(ins[0])


def _same_image(_p: dict[str, Any], ins: list[Shape]) -> Inferred:
    image(ins[0])
    return Inferred(ins[0])


def _stochastic_depth(_attribute: str, args: list[str], p: dict[str, Any]) -> str:
    """torchvision.ops.stochastic_depth in plain torch: while training, each sample's branch ("row"), or the
    whole batch's ("batch"), is zeroed with probability p and the rest scaled by 1 / (1 - p)."""
    x, drop = args[0], p["p"]
    if isinstance(drop, Symbol):  # a module's parameter: `1 - p` in the code
        keep = f"1 - {drop.name}"
    elif drop == 0:
        return x
    elif drop == 1:
        return f"{x} * 0.0 if self.training else {x}"
    else:
        keep = literal(1 - drop)
    size = f"[{x}.size(0)] + [1] * ({x}.dim() - 1)" if p["mode"] == "row" else f"[1] * {x}.dim()"
    return f"{x} * {x}.new_empty({size}).bernoulli_({keep}).div_({keep}) if self.training else {x}"


BLOCKS = (
    BlockSpec(
        type="Dropout",
        id_prefix="drop",
        category="regularization",
        description=N_("Zeroes random values while training to fight overfitting."),
        params=(_probability(),),
        infer=_same,
        layer=lambda p: nn_call("nn.Dropout", [], [("p", p["p"], 0.5)]),
    ),
    BlockSpec(
        type="Dropout2d",
        id_prefix="drop",
        category="regularization",
        description=N_("Zeroes whole random channels of a feature map while training."),
        params=(_probability(),),
        infer=_same_image,
        layer=lambda p: nn_call("nn.Dropout2d", [], [("p", p["p"], 0.5)]),
    ),
    BlockSpec(
        type="StochasticDepth",
        starter={"p": 0.2},
        id_prefix="drop_path",
        category="regularization",
        description=N_("While training, drops a residual branch for random samples (EfficientNet's stochastic depth)."),
        params=(
            Param("p", FLOAT, N_("Probability that a sample's branch is dropped while training (off at evaluation)."),
                  min=0.0, max=1.0, short="p "),
            Param("mode", CHOICE, N_("row drops each sample's branch on its own; batch drops it for the whole batch."),
                  default="row", choices=("row", "batch")),
        ),
        infer=_same,
        forward=_stochastic_depth,
    ),
)
