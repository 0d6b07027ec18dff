"""The registry: one declaration per block, complete enough for the palette, inspector and docs."""

import pytest

from builder.blocks.registry import BLOCKS, Registry
from builder.blocks.spec import CATEGORIES, BlockSpec, Inferred

ISSUE_BLOCKS = {
    "Input", "Output", "Conv2d", "ConvTranspose2d", "DepthwiseConv2d", "GroupConv2d", "BatchNorm2d", "BatchNorm1d",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    "Flatten", "Linear", "Dropout", "Dropout2d", "StochasticDepth", "Interpolate", "Add", "Concat",
}
# What torchvision's convolutional classifiers are built from, beyond the above (for importing them).
TORCHVISION_BLOCKS = {
    "ReLU6", "SiLU", "Hardswish", "Hardsigmoid", "Mish", "ELU", "Hardtanh", "PReLU",
    "Identity", "Reshape", "Permute", "Mean", "Slice", "ChannelShuffle",
    "LayerNorm", "GroupNorm", "InstanceNorm2d", "AdaptiveMaxPool2d",
    "Upsample", "PixelShuffle", "ZeroPad2d", "Mul",
}


def test_every_block_the_product_promises_is_registered():
    assert set(BLOCKS.names()) == ISSUE_BLOCKS | TORCHVISION_BLOCKS


@pytest.mark.parametrize("spec", list(BLOCKS), ids=lambda s: s.type)
def test_each_declaration_explains_itself(spec):
    assert spec.category in CATEGORIES
    assert spec.description.endswith(".") and len(spec.description) < 120
    for param in spec.params:
        assert param.help and len(param.help) < 120, param.name
        if not param.required:
            value, error = param.validate(param.default)
            assert error is None, (param.name, error)
    assert all(p.short is None or len(p.short) <= 6 for p in spec.params)  # a canvas summary label stays short


def test_duplicates_are_refused_and_legacy_names_resolve():
    registry = Registry()
    spec = BlockSpec("Thing", "activation", "A thing.", infer=lambda p, ins: Inferred(ins[0]),
                     legacy_names=("OldThing",))
    registry.register(spec)
    assert registry.get("OldThing") is spec
    with pytest.raises(ValueError, match="declared twice"):
        registry.register(spec)
    with pytest.raises(ValueError, match="'OldThing' is declared twice"):
        registry.register(BlockSpec("OldThing", "activation", "B.", infer=spec.infer))


def test_categories_group_the_palette_in_order():
    groups = BLOCKS.by_category()
    assert list(groups) == [c for c in CATEGORIES if c in groups]
    assert [s.type for s in groups["merge"]] == ["Add", "Concat", "Mul"]
    assert [s.type for s in groups["shape"]] == ["Identity", "Reshape", "Permute", "Mean", "Slice", "ChannelShuffle"]


@pytest.mark.parametrize("spec", list(BLOCKS), ids=lambda s: s.type)
def test_a_freshly_added_block_has_valid_parameters(spec):
    from builder.blocks.check import resolve_params
    from builder.core.graph import Node

    params, problems = resolve_params(spec, Node("n", spec.type, dict(spec.starter)))
    assert problems == [] and params is not None
