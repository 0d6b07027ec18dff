"""Property tests: shape inference agrees with torch on single blocks and on random graphs."""

import pytest
import torch
import torch.nn.functional as F
from graphs import model, project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from builder.blocks.check import check_model
from builder.blocks.params import BOOL, CHOICE, FLOAT, FLOAT_PAIR, INT, INT_PAIR, SHAPE
from builder.blocks.registry import BLOCKS
from builder.compile import build_classes, generate_code


def _oracle(block, p, shape):
    """The same block written straight against torch, independent of our templates."""
    c = shape[0]

    def conv(cin, cout, groups, **extra):
        return nn.Conv2d(cin, cout, p["kernel_size"], stride=p.get("stride", 1), padding=p.get("padding", 0),
                         dilation=p.get("dilation", 1), groups=groups, bias=p.get("bias", True), **extra)

    table = {
        "Conv2d": lambda: conv(p.get("in_channels") or c, p["out_channels"], p.get("groups", 1),
                               padding_mode=p.get("padding_mode", "zeros")),
        "DepthwiseConv2d": lambda: conv(c, c * p.get("depth_multiplier", 1), c),
        "GroupConv2d": lambda: conv(c, p["out_channels"], p["groups"]),
        "ConvTranspose2d": lambda: nn.ConvTranspose2d(
            p.get("in_channels") or c, p["out_channels"], p["kernel_size"], stride=p.get("stride", 1),
            padding=p.get("padding", 0), output_padding=p.get("output_padding", 0), groups=p.get("groups", 1),
            bias=p.get("bias", True), dilation=p.get("dilation", 1)),
        "BatchNorm2d": lambda: nn.BatchNorm2d(p.get("num_features") or c, affine=p.get("affine", True)),
        "BatchNorm1d": lambda: nn.BatchNorm1d(p.get("num_features") or c, affine=p.get("affine", True)),
        "ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Flatten": nn.Flatten,
        "LeakyReLU": lambda: nn.LeakyReLU(p.get("negative_slope", 0.01)),
        "GELU": lambda: nn.GELU(approximate=p.get("approximate", "none")),
        "Softmax": lambda: nn.Softmax(dim=p.get("dim", 1)),
        "MaxPool2d": lambda: nn.MaxPool2d(p["kernel_size"], p.get("stride"), p.get("padding", 0)),
        "AvgPool2d": lambda: nn.AvgPool2d(p["kernel_size"], p.get("stride"), p.get("padding", 0)),
        "AdaptiveAvgPool2d": lambda: nn.AdaptiveAvgPool2d(p.get("output_size", 1)),
        "Linear": lambda: nn.Linear(p.get("in_features") or shape[-1], p["out_features"], bias=p.get("bias", True)),
        "Dropout": lambda: nn.Dropout(p.get("p", 0.5)),
        "Dropout2d": lambda: nn.Dropout2d(p.get("p", 0.5)),
    }
    if block == "Interpolate":
        return lambda x: F.interpolate(x, size=p.get("size"), scale_factor=p.get("scale_factor"),
                                       mode=p.get("mode", "nearest"), align_corners=p.get("align_corners"))
    return table[block]()


SINGLE_INPUT = sorted(s.type for s in BLOCKS if s.min_inputs == 1 and s.max_inputs == 1 and not s.is_output)
SMALL = {"out_channels": 8, "out_features": 8, "groups": 4, "depth_multiplier": 3, "dim": 3, "kernel_size": 5,
         "size": 12, "output_size": 4}


def _value(draw, block, param):
    top = SMALL.get(param.name, 3)
    low = int(param.min) if param.min is not None else -3
    if param.kind == INT:
        if param.name in ("groups", "out_channels"):  # even counts, so grouping often divides
            return draw(st.sampled_from([1, 2, 2, 4] if param.name == "groups" else [1, 2, 4, 6, 8]))
        if param.inferred:
            return draw(st.none() | st.integers(1, 8))
        return draw(st.integers(low, max(low, top)))
    if param.kind == INT_PAIR:
        one = st.integers(low, max(low, top))
        return draw(one | st.lists(one, min_size=2, max_size=2))
    if param.kind == FLOAT_PAIR:
        one = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])
        return draw(one | st.lists(one, min_size=2, max_size=2))
    if param.kind == FLOAT:
        hi = param.max if param.max is not None else 1.0
        return draw(st.floats(max(param.min or 0.0, 1e-3), hi))
    if param.kind == BOOL:
        return draw(st.booleans())
    if param.kind == CHOICE:
        return draw(st.sampled_from(param.choices))
    raise AssertionError(param.kind)


@st.composite
def single_block(draw):
    block = draw(st.sampled_from(SINGLE_INPUT))
    spec = BLOCKS[block]
    params = {}
    for param in spec.params:
        if param.kind == SHAPE:
            continue
        if param.required or draw(st.booleans()):
            value = _value(draw, block, param)
            if value is not None or param.optional:
                params[param.name] = value
    if block == "Interpolate":  # one of the pair must be set; which one is drawn
        key = draw(st.sampled_from(["size", "scale_factor"]))
        params.pop("size" if key == "scale_factor" else "scale_factor", None)
        params.setdefault(key, 2)
        if params.get("mode") not in ("bilinear", "bicubic"):
            params.pop("align_corners", None)
    # Mostly shapes the block takes, sometimes any rank, so refusals are exercised too.
    rank = draw(st.sampled_from([3, 3, 3, 3, 1, 2])) if block in IMAGE_BLOCKS else draw(st.integers(1, 3))
    shape = draw(st.lists(st.sampled_from([1, 2, 3, 4, 5, 6, 8, 12]), min_size=rank, max_size=rank))
    return block, params, shape


def _torch_result(block, params, shape):
    try:
        layer = _oracle(block, params, shape)
        out = layer(torch.randn(2, *shape))
    except (RuntimeError, ValueError, TypeError, IndexError):
        return None, None
    if 0 in out.shape:  # torch returns an empty tensor; we call that an error, as a learner needs
        return None, None
    count = sum(p.numel() for p in layer.parameters()) if isinstance(layer, nn.Module) else 0
    return tuple(out.shape[1:]), count


IMAGE_BLOCKS = ("Conv2d", "ConvTranspose2d", "DepthwiseConv2d", "GroupConv2d", "MaxPool2d", "AvgPool2d",
                "AdaptiveAvgPool2d", "BatchNorm2d", "Interpolate", "Dropout2d")


# Where we refuse on purpose what torch would run: rules that protect a learner.
def _refused_on_purpose(block, params, shape):
    dim = params.get("dim", 1)
    return (
        (block == "Softmax" and dim in (0, -(len(shape) + 1)))
        or (block == "Dropout2d" and len(shape) != 3)  # torch only warns, then drops the wrong dims
        or (block in IMAGE_BLOCKS and len(shape) != 3)
    )


@pytest.mark.filterwarnings("ignore:dropout2d")  # the oracle runs Dropout2d on any rank, which torch warns about
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(single_block())
def test_single_block_check_agrees_with_torch(case):
    block, params, shape = case
    net = model("Net", [("x", "Input", {"shape": shape}), ("b", block, params), ("out", "Output")])
    report = check_model(net)
    expected_shape, expected_count = _torch_result(block, params, shape)
    if report.ok:
        assert expected_shape is not None, f"we accept {block}{params} on {shape}, torch refuses"
        assert report.infos["b"].shape == expected_shape
        assert report.infos["b"].params == expected_count
        built = build_classes(generate_code(project(net)))["Net"]()
        assert tuple(built(torch.randn(2, *shape)).shape[1:]) == expected_shape
    elif not _refused_on_purpose(block, params, shape):
        assert expected_shape is None, f"we refuse {block}{params} on {shape} ({report.errors}), torch gives {expected_shape}"
    for problem in report.errors:
        assert problem.node in ("b", None) and problem.message


@st.composite
def random_graph(draw):
    """Grow a DAG one drawn block at a time, keeping only additions that check clean."""
    shape = draw(st.sampled_from([[3, 16, 16], [1, 12, 12], [4, 8, 8], [16], [2, 10]]))
    layers = [("n0", "Input", {"shape": shape})]
    edges = []
    choices = [s.type for s in BLOCKS if not s.is_input and not s.is_output]
    for i in range(1, draw(st.integers(1, 10)) + 1):
        block = draw(st.sampled_from(choices))
        spec = BLOCKS[block]
        params = {p.name: _value(draw, block, p) for p in spec.params if p.required}
        if block == "Interpolate":
            params = {"scale_factor": draw(st.sampled_from([0.5, 2.0])), "mode": "nearest"}
        n_inputs = draw(st.integers(2, 3)) if spec.max_inputs is None else 1
        sources = [draw(st.sampled_from([layer[0] for layer in layers])) for _ in range(n_inputs)]
        candidate_layers = [*layers, (f"n{i}", block, params)]
        candidate_edges = [*edges, *((src, f"n{i}", port) for port, src in enumerate(sources))]
        if check_model(model("G", candidate_layers, candidate_edges)).errors == []:
            layers, edges = candidate_layers, candidate_edges
    used = {e[0] for e in edges}
    leaves = [layer[0] for layer in layers if layer[0] not in used]
    for j, leaf in enumerate(leaves):
        layers.append((f"out{j}", "Output", {}))
        edges.append((leaf, f"out{j}", 0))
    return model("G", layers, edges)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graph())
def test_random_graphs_compile_and_their_shapes_match_torch(graph):
    report = check_model(graph)
    assert report.ok, report.errors
    module = build_classes(generate_code(project(graph)))["G"]()
    assert sum(p.numel() for p in module.parameters()) == report.total_params
    shape = report.infos["n0"].shape
    outputs = module(torch.randn(3, *shape))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    for out_id, tensor in zip(report.outputs, outputs, strict=True):
        assert tuple(tensor.shape) == (3, *report.infos[out_id].shape)
