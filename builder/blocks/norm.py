"""Normalization: over the batch per channel (BatchNorm), per sample (LayerNorm), per channel group (GroupNorm)
or per sample and channel (InstanceNorm2d)."""

from __future__ import annotations

from typing import Any

from builder.blocks.code import nn_call
from builder.blocks.params import BOOL, FLOAT, INT, INT_LIST, Param
from builder.blocks.spec import BlockSpec, Inferred, ShapeError, describe, image, product, take_inferred
from builder.core.i18n import N_, tr
from builder.core.shapes import Shape, format_shape


def _num_features() -> Param:
    return Param("num_features", INT, N_("Channels (or features) normalized; leave empty to take it from the wire."),
                 default=None, min=1, optional=True, inferred=True)


def _eps() -> Param:
    return Param("eps", FLOAT, N_("Small number added to the variance so it never divides by zero."),
                 default=1e-5, min=0.0, min_exclusive=True)


def _momentum() -> Param:
    return Param("momentum", FLOAT, N_("How fast the running mean and variance follow each batch (used at evaluation)."),
                 default=0.1, min=0.0, max=1.0)


def _params() -> tuple[Param, ...]:
    return (_num_features(), _eps(), _momentum(),
            Param("affine", BOOL, N_("Learn a scale and shift per channel after normalizing."), default=True))


def _layer(name: str):
    def layer(p: dict[str, Any]) -> str:
        return nn_call(name, [p["num_features"]], [("eps", p["eps"], 1e-5), ("momentum", p["momentum"], 0.1),
                                                   ("affine", p["affine"], True)])
    return layer


def _result(p: dict[str, Any], shape: Shape, channels: int) -> Inferred:
    take_inferred(p, "num_features", channels, N_("expects {given} features (channels) but its input has {actual}"))
    return Inferred(shape, 2 * channels if p["affine"] else 0, product(shape) if p["affine"] else 0)


def _infer_bn2d(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, _h, _w = image(ins[0])
    return _result(p, ins[0], c)


def _infer_bn1d(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    if len(shape) not in (1, 2):
        raise ShapeError(tr("expects features or channels×length but its input is {shape}; use BatchNorm2d for "
                            "images", shape=describe(shape)))
    return _result(p, shape, shape[0])


def _infer_layer_norm(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    given = p["normalized_shape"]
    if given is None:
        p["normalized_shape"] = normalized = (shape[-1],)
    else:
        normalized = given if isinstance(given, tuple) else (given,)
        last = shape[-len(normalized):]
        if len(normalized) > len(shape) or tuple(normalized) != last:
            values = {"listed": f"[{', '.join(map(str, normalized))}]", "count": len(normalized),
                      "shape": format_shape(shape), "last": shape[-1]}
            if len(normalized) == 1:
                raise ShapeError(tr("normalized_shape {listed} must equal the input's last dim, but its input is "
                                    "{shape}; leave it empty to normalize over the last dim ({last})", **values))
            raise ShapeError(tr("normalized_shape {listed} must equal the input's last {count} dims, but its input is "
                                "{shape}; leave it empty to normalize over the last dim ({last})", **values))
    size = product(normalized)
    weights = (2 if p["bias"] else 1) * size if p["elementwise_affine"] else 0
    return Inferred(shape, weights, product(shape) if p["elementwise_affine"] else 0)


def _layer_norm_layer(p: dict[str, Any]) -> str:
    normalized = p["normalized_shape"]
    if isinstance(normalized, tuple) and len(normalized) == 1:
        normalized = normalized[0]  # nn.LayerNorm(64), as people write it: torch makes it (64,)
    return nn_call("nn.LayerNorm", [normalized], [("eps", p["eps"], 1e-5),
                                                  ("elementwise_affine", p["elementwise_affine"], True),
                                                  ("bias", p["bias"], True)])


def _infer_group_norm(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    shape = ins[0]
    channels = take_inferred(p, "num_channels", shape[0], N_("expects {given} channels but its input has {actual}"))
    groups = p["num_groups"]
    if channels % groups:
        raise ShapeError(tr("num_groups={groups} must divide the {count} channels", groups=groups, count=channels))
    return Inferred(shape, 2 * channels if p["affine"] else 0, product(shape) if p["affine"] else 0)


def _infer_instance_norm(p: dict[str, Any], ins: list[Shape]) -> Inferred:
    c, h, w = image(ins[0])
    if h * w == 1:
        raise ShapeError(tr("normalizes each channel over its height×width, but its input is 1×1: every value "
                            "would become 0"))
    take_inferred(p, "num_features", c, N_("expects {given} features (channels) but its input has {actual}"))
    return Inferred(ins[0], 2 * c if p["affine"] else 0, product(ins[0]) if p["affine"] else 0)


BLOCKS = (
    BlockSpec(
        type="BatchNorm2d",
        id_prefix="bn",
        category="normalization",
        description=N_("Normalizes each channel of an image batch: faster, steadier training of conv nets."),
        params=_params(),
        infer=_infer_bn2d,
        layer=_layer("nn.BatchNorm2d"),
    ),
    BlockSpec(
        type="BatchNorm1d",
        id_prefix="bn",
        category="normalization",
        description=N_("Normalizes each feature over the batch, for vectors (after Linear) or sequences."),
        params=_params(),
        infer=_infer_bn1d,
        layer=_layer("nn.BatchNorm1d"),
    ),
    BlockSpec(
        type="LayerNorm",
        id_prefix="ln",
        category="normalization",
        description=N_("Normalizes each sample over its last dims (not over the batch): the norm of transformers."),
        params=(
            Param("normalized_shape", INT_LIST, N_("The last dims normalized together, e.g. [64]; empty: the last dim."),
                  default=None, min=1, optional=True, inferred=True, scalar=True, unset=N_("the input's last dim")),
            _eps(),
            Param("elementwise_affine", BOOL, N_("Learn a scale (and a shift) per normalized value."), default=True,
                  short="affine"),
            Param("bias", BOOL, N_("With elementwise_affine: learn the shift too, not only the scale."), default=True),
        ),
        infer=_infer_layer_norm,
        layer=_layer_norm_layer,
    ),
    BlockSpec(
        type="GroupNorm",
        starter={"num_groups": 2},
        id_prefix="gn",
        category="normalization",
        description=N_("Normalizes each sample over groups of channels: works with any batch size, even 1."),
        params=(
            Param("num_groups", INT, N_("How many groups the channels are split into; the channels must divide by it."),
                  min=1, short="g"),
            Param("num_channels", INT, N_("Channels coming in; leave empty to take it from the wire."),
                  default=None, min=1, optional=True, inferred=True),
            _eps(),
            Param("affine", BOOL, N_("Learn a scale and shift per channel after normalizing."), default=True),
        ),
        infer=_infer_group_norm,
        layer=lambda p: nn_call("nn.GroupNorm", [p["num_groups"], p["num_channels"]],
                                [("eps", p["eps"], 1e-5), ("affine", p["affine"], True)]),
    ),
    BlockSpec(
        type="InstanceNorm2d",
        id_prefix="inorm",
        category="normalization",
        description=N_("Normalizes each channel of each image on its own: common in style transfer and GANs."),
        params=(
            _num_features(), _eps(), _momentum(),
            Param("affine", BOOL, N_("Learn a scale and shift per channel after normalizing."), default=False),
            Param("track_running_stats", BOOL, N_("Keep running means and variances for evaluation, as BatchNorm does."),
                  default=False),
        ),
        infer=_infer_instance_norm,
        layer=lambda p: nn_call("nn.InstanceNorm2d", [p["num_features"]], [
            ("eps", p["eps"], 1e-5), ("momentum", p["momentum"], 0.1), ("affine", p["affine"], False),
            ("track_running_stats", p["track_running_stats"], False)]),
    ),
)
