"""Property tests: shape inference agrees with torch on single blocks and on random graphs."""

import pytest
import torch
import torch.nn.functional as F
from graphs import model, project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from builder.blocks.check import check_model
from builder.blocks.params import BOOL, CHOICE, FLOAT, FLOAT_PAIR, INT, INT_LIST, INT_PAIR, SHAPE
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
        "MaxPool2d": lambda: nn.MaxPool2d(p["kernel_size"], p.get("stride"), p.get("padding", 0),
                                          dilation=p.get("dilation", 1), ceil_mode=p.get("ceil_mode", False)),
        "AvgPool2d": lambda: nn.AvgPool2d(p["kernel_size"], p.get("stride"), p.get("padding", 0),
                                          ceil_mode=p.get("ceil_mode", False),
                                          count_include_pad=p.get("count_include_pad", True)),
        "AdaptiveAvgPool2d": lambda: nn.AdaptiveAvgPool2d(p.get("output_size", 1)),
        "AdaptiveMaxPool2d": lambda: nn.AdaptiveMaxPool2d(p.get("output_size", 1)),
        "Linear": lambda: nn.Linear(p.get("in_features") or shape[-1], p["out_features"], bias=p.get("bias", True)),
        "Dropout": lambda: nn.Dropout(p.get("p", 0.5)),
        "Dropout2d": lambda: nn.Dropout2d(p.get("p", 0.5)),
        "ReLU6": nn.ReLU6, "SiLU": nn.SiLU, "Hardswish": nn.Hardswish, "Hardsigmoid": nn.Hardsigmoid,
        "Mish": nn.Mish, "Identity": nn.Identity,
        "StochasticDepth": nn.Identity,  # at evaluation, as the property test runs it
        "ELU": lambda: nn.ELU(p.get("alpha", 1.0)),
        "Hardtanh": lambda: nn.Hardtanh(p.get("min_val", -1.0), p.get("max_val", 1.0)),
        "PReLU": lambda: nn.PReLU(p.get("num_parameters", 1), p.get("init", 0.25)),
        "LayerNorm": lambda: nn.LayerNorm(p.get("normalized_shape") or shape[-1], eps=p.get("eps", 1e-5),
                                          elementwise_affine=p.get("elementwise_affine", True),
                                          bias=p.get("bias", True)),
        "GroupNorm": lambda: nn.GroupNorm(p["num_groups"], p.get("num_channels") or c, affine=p.get("affine", True)),
        "InstanceNorm2d": lambda: nn.InstanceNorm2d(p.get("num_features") or c, affine=p.get("affine", False),
                                                    track_running_stats=p.get("track_running_stats", False)),
        "ChannelShuffle": lambda: nn.ChannelShuffle(p["groups"]),
        "Upsample": lambda: nn.Upsample(size=_tuple(p.get("size")), scale_factor=_tuple(p.get("scale_factor")),
                                        mode=p.get("mode", "nearest"), align_corners=p.get("align_corners")),
        "PixelShuffle": lambda: nn.PixelShuffle(p["upscale_factor"]),
        "ZeroPad2d": lambda: nn.ZeroPad2d(p["padding"]),
    }
    functions = {
        "Interpolate": lambda x: F.interpolate(x, size=p.get("size"), scale_factor=p.get("scale_factor"),
                                               mode=p.get("mode", "nearest"), align_corners=p.get("align_corners")),
        "Reshape": lambda x: x.reshape(x.shape[0], *p["shape"]),
        "Permute": lambda x: x.permute(0, *p["dims"]),
        "Mean": lambda x: x.mean(p["dim"], keepdim=p.get("keepdim", False)),
        "Slice": lambda x: x.narrow(p.get("dim", 1), p["start"], p["length"]),
    }
    if block in functions:
        return functions[block]
    return table[block]()


def _tuple(value):
    """nn.Upsample takes a pair as a tuple, as the generated code writes it (a list fails in float())."""
    return tuple(value) if isinstance(value, list) else value


SINGLE_INPUT = sorted(s.type for s in BLOCKS if s.min_inputs == 1 and s.max_inputs == 1 and not s.is_output)
SMALL = {"out_channels": 8, "out_features": 8, "groups": 4, "depth_multiplier": 3, "dim": 3, "kernel_size": 5,
         "size": 12, "output_size": 4, "num_groups": 4, "upscale_factor": 3}


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
    if param.kind == INT_LIST:
        low, high = param.count
        one = st.integers(low if param.min is None else int(param.min), 4)
        if param.name == "dim":  # Mean's: negative dims too, sometimes the batch
            one = st.integers(-4, 3)
        if param.name == "shape":  # Reshape's: sizes, sometimes the one -1
            one = st.sampled_from([-1, 1, 2, 3, 4, 6, 8])
        many = st.lists(one, min_size=low, max_size=max(low, min(high, 3)))
        return draw((one | many) if param.scalar else many)
    raise AssertionError(param.kind)


def _fit(draw, block, params, shape):
    """Often, list parameters that suit the drawn input, so blocks are checked on what they accept too."""
    if not draw(st.booleans()):
        return params
    rank = len(shape)
    if block == "Reshape":
        params["shape"] = draw(st.sampled_from([[-1], [*reversed(shape)], [shape[0], -1], [-1, *shape[1:]]]))
    elif block == "Permute":
        params["dims"] = draw(st.permutations(list(range(1, rank + 1))))
    elif block == "Mean":
        dims = draw(st.lists(st.integers(1, rank), min_size=1, max_size=rank, unique=True))
        params["dim"] = [d - rank - 1 if draw(st.booleans()) else d for d in dims]  # some counted from the end
    elif block == "LayerNorm":
        params["normalized_shape"] = list(shape[draw(st.integers(0, rank - 1)):])
    return params


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
    if block in ("Interpolate", "Upsample"):  # one of the pair must be set; which one is drawn
        key = draw(st.sampled_from(["size", "scale_factor"]))
        params.pop("size" if key == "scale_factor" else "scale_factor", None)
        params.setdefault(key, 2)
        if params.get("mode") not in ("bilinear", "bicubic"):
            params.pop("align_corners", None)
    # Mostly shapes the block takes, sometimes any rank, so refusals are exercised too.
    rank = draw(st.sampled_from([3, 3, 3, 3, 1, 2])) if block in IMAGE_BLOCKS else draw(st.integers(1, 3))
    shape = draw(st.lists(st.sampled_from([1, 2, 3, 4, 5, 6, 8, 12]), min_size=rank, max_size=rank))
    return block, _fit(draw, block, params, shape), shape


def _torch_result(block, params, shape):
    try:
        layer = _oracle(block, params, shape)
        out = layer(torch.randn(2, *shape))
    except (RuntimeError, ValueError, TypeError, IndexError, AssertionError):  # nn.Hardtanh asserts min < max
        return None, None
    if 0 in out.shape:  # torch returns an empty tensor; we call that an error, as a learner needs
        return None, None
    count = sum(p.numel() for p in layer.parameters()) if isinstance(layer, nn.Module) else 0
    return tuple(out.shape[1:]), count


IMAGE_BLOCKS = ("Conv2d", "ConvTranspose2d", "DepthwiseConv2d", "GroupConv2d", "MaxPool2d", "AvgPool2d",
                "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm2d", "InstanceNorm2d", "Interpolate", "Upsample",
                "PixelShuffle", "ZeroPad2d", "ChannelShuffle", "Dropout2d")


# Where we refuse on purpose what torch would run: rules that protect a learner.
def _refused_on_purpose(block, params, shape):
    dim = params.get("dim", 1)
    dims = dim if isinstance(dim, list) else [dim]
    rank = len(shape) + 1
    normalized = params.get("normalized_shape")
    return (
        (block in ("Softmax", "Slice") and dim in (0, -(len(shape) + 1)))
        or (block == "Dropout2d" and len(shape) != 3)  # torch only warns, then drops the wrong dims
        or (block in IMAGE_BLOCKS and len(shape) != 3)
        # The batch is averaged with the samples; or a single number is left per sample, which no block takes.
        or (block == "Mean" and (any(d in (0, -rank) for d in dims) or len({d % rank for d in dims}) == len(shape)))
        # normalized_shape reaching into the batch (torch takes it when the batch size happens to fit)
        or (block == "LayerNorm" and normalized is not None and len(_listed(normalized)) > len(shape))
        # A wrong count of channels: torch only notices it through affine weights
        or (block == "InstanceNorm2d" and params.get("num_features") not in (None, shape[0]))
        or (block == "GroupNorm" and params.get("num_channels") not in (None, shape[0]))
    )


def _listed(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.filterwarnings("ignore:dropout2d")  # the oracle runs Dropout2d on any rank, which torch warns about
@pytest.mark.filterwarnings("ignore:input's size at dim=")  # InstanceNorm2d with num_features off, likewise
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
        if block in ("Interpolate", "Upsample"):
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


MERGES = {"Add": lambda xs: sum(xs[1:], xs[0]), "Mul": lambda xs: torch.stack(torch.broadcast_tensors(*xs)).prod(0),
          "Concat": lambda xs: torch.cat(xs, dim=1)}


@st.composite
def merge_case(draw):
    """Inputs of one base shape, some dims set to 1 or changed, sometimes a rank apart."""
    block = draw(st.sampled_from(sorted(MERGES)))
    base = draw(st.lists(st.sampled_from([2, 3, 4]), min_size=1, max_size=3))
    shapes = []
    for _ in range(draw(st.integers(2, 3))):
        shape = [draw(st.sampled_from([size, size, 1, size + 1])) for size in base]
        if draw(st.integers(0, 9)) == 0:
            shape = shape[1:] or [2, 2]
        shapes.append(shape)
    return block, shapes


@settings(max_examples=300, deadline=None)
@given(merge_case())
def test_merge_blocks_check_agrees_with_torch(case):
    """Add, Mul and Concat against torch: Mul broadcasts a size-1 dim over the others, as torch does."""
    block, shapes = case
    inputs = [(f"x{i}", "Input", {"shape": shape}) for i, shape in enumerate(shapes)]
    net = model("Net", [*inputs, ("b", block, {}), ("out", "Output")],
                [*((f"x{i}", "b", i) for i in range(len(shapes))), ("b", "out")])
    report = check_model(net)
    tensors = [torch.randn(2, *shape) for shape in shapes]
    try:
        expected = tuple(MERGES[block](tensors).shape[1:])
    except RuntimeError:
        expected = None
    if report.ok:
        assert report.infos["b"].shape == expected
        built = build_classes(generate_code(project(net)))["Net"]()
        assert torch.equal(built(*tensors), MERGES[block](tensors))
    elif expected is not None:
        # Refused on purpose: Add broadcasting (a residual's shapes must match), and inputs of different ranks,
        # where torch lines the batch up against a sample dim.
        on_purpose = block == "Add" or len({len(s) for s in shapes}) > 1
        assert on_purpose, f"we refuse {block} on {shapes} ({report.errors}), torch gives {expected}"
