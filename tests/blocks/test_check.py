"""Every kind of bad graph gets a problem pinned to its node, in words a learner understands."""

import time

import nets
import pytest
from graphs import chain, model

from builder.blocks.check import check_model


def errors(graph):
    return [(p.node, p.message) for p in check_model(graph).errors]


def only_error(graph):
    found = errors(graph)
    assert len(found) == 1, found
    return found[0]


def test_clean_lenet_has_shapes_params_and_macs_for_every_node():
    report = check_model(nets.lenet())
    assert report.ok and report.problems == []
    assert report.infos["conv1"].shape == (6, 28, 28)
    assert report.infos["pool2"].shape == (16, 5, 5)
    assert report.infos["fc1"].resolved["in_features"] == 400  # inferred from the wire
    assert report.infos["conv1"].params == 6 * 1 * 5 * 5 + 6
    assert report.infos["conv1"].macs == 6 * 28 * 28 * 25
    assert report.total_params == 61706
    assert report.inputs == ["x"] and report.outputs == ["out"]


def test_cycle_names_every_node_on_it():
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("a", "Linear", {"out_features": 4}),
                          ("b", "ReLU"), ("c", "Add"), ("out", "Output")],
                  [("x", "c", 0), ("b", "c", 1), ("c", "a"), ("a", "b"), ("a", "out")])
    problems = [p for p in check_model(graph).errors if "cycle" in p.message]
    assert len(problems) == 1
    problem = problems[0]
    assert {problem.node, *problem.related} == {"a", "b", "c"}
    for name in "abc":
        assert name in problem.message


def test_unconnected_and_extra_inputs():
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 2}), ("out", "Output")],
                  [("x", "out")])
    assert ("fc", "its input is not connected") in errors(graph)
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("y", "Input", {"shape": [4]}),
                          ("fc", "Linear", {"out_features": 2}), ("out", "Output")],
                  [("x", "fc", 0), ("y", "fc", 1), ("fc", "out")])
    assert only_error(graph) == ("fc", "port 1 is wired from 'y', but Linear takes one input")


def test_input_takes_no_wires_and_merges_need_two():
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("y", "Input", {"shape": [4]}), ("out", "Output")],
                  [("x", "y"), ("y", "out")])
    assert ("y", "Input takes no inputs, but 'x' is wired into it") in errors(graph)
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("add", "Add"), ("out", "Output")],
                  [("x", "add"), ("add", "out")])
    assert only_error(graph) == ("add", "needs at least 2 inputs, has 1")
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("add", "Add"), ("out", "Output")],
                  [("x", "add", 0), ("x", "add", 2), ("add", "out")])
    assert only_error(graph) == ("add", "input port 1 is empty but port 2 is wired; wire the ports in order")


def test_missing_input_and_output_blocks():
    graph = model("Net", [("fc", "Linear", {"out_features": 2})], [])
    found = errors(graph)
    assert (None, "the model has no Input block") in found
    assert (None, "the model has no Output block") in found


def test_unknown_type_and_parameter_get_suggestions():
    graph = chain("Net", [1, 8, 8], [("c", "Conv2D", {"out_channels": 2, "kernel_size": 3})])
    assert only_error(graph) == ("c", "unknown block type 'Conv2D' (did you mean 'Conv2d'?)")
    graph = chain("Net", [1, 8, 8], [("c", "Conv2d", {"out_channels": 2, "kernal_size": 3})])
    found = errors(graph)
    assert any(n == "c" and "unknown parameter 'kernal_size' (did you mean 'kernel_size'?)" in m for n, m in found)
    assert any(n == "c" and m.startswith("kernel_size is required") for n, m in found)


@pytest.mark.parametrize(("block", "params", "message"), [
    ("Conv2d", {"out_channels": "8", "kernel_size": 3}, "out_channels must be a whole number, got '8'"),
    ("Conv2d", {"out_channels": 8.5, "kernel_size": 3}, "out_channels must be a whole number, got 8.5"),
    ("Conv2d", {"out_channels": 0, "kernel_size": 3}, "out_channels must be at least 1, got 0"),
    ("Conv2d", {"out_channels": 8, "kernel_size": [3, 3, 3]}, "kernel_size must be one whole number or a pair [height, width], got 3 values"),
    ("Conv2d", {"out_channels": 8, "kernel_size": [3, 0]}, "kernel_size (width) must be at least 1, got 0"),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "bias": "yes"}, "bias must be true or false, got 'yes'"),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding_mode": "mirror"},
     "padding_mode must be one of zeros, reflect, replicate, circular; got 'mirror'"),
    ("Dropout", {"p": 1.5}, "p must be at most 1, got 1.5"),
    ("BatchNorm2d", {"eps": 0}, "eps must be greater than 0, got 0"),
    ("Interpolate", {"size": 4, "scale_factor": 2}, "set either size or scale_factor, not both"),
    ("Interpolate", {}, "set exactly one of size or scale_factor"),
    ("Interpolate", {"size": 4, "align_corners": True},
     "align_corners only applies to the bilinear and bicubic modes, not 'nearest'; leave it empty"),
])
def test_bad_parameter_values(block, params, message):
    assert only_error(chain("Net", [1, 8, 8], [("b", block, params)])) == ("b", message)


@pytest.mark.parametrize(("layers", "node", "message"), [
    ([("c1", "Conv2d", {"out_channels": 1, "kernel_size": 1}),
      ("c2", "Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3})],
     "c2", "expects 3 input channels but its input has 1"),
    ([("pool", "MaxPool2d", {"kernel_size": 3})], "pool", "kernel 3 is larger than its 2×2 input"),
    ([("c", "Conv2d", {"out_channels": 4, "kernel_size": 3, "dilation": 2})], "c",
     "kernel 3 (spanning 5 with dilation) is larger than its 2×2 input"),
    ([("f", "Flatten"), ("fc", "Linear", {"in_features": 5, "out_features": 2})], "fc",
     "expects 5 input features but its input has 4"),
    ([("bn", "BatchNorm2d", {"num_features": 3})], "bn", "expects 3 features (channels) but its input has 1"),
    ([("f", "Flatten"), ("c", "Conv2d", {"out_channels": 4, "kernel_size": 1})], "c",
     "expects a C×H×W image input but its input is a vector of 4 features; add a layer that reshapes it"),
    ([("c", "Conv2d", {"out_channels": 3, "kernel_size": 1, "groups": 2})], "c",
     "groups=2 must divide the 1 input channels"),
    ([("t", "ConvTranspose2d", {"out_channels": 1, "kernel_size": 3, "stride": 2, "output_padding": 2})], "t",
     "output_padding 2 must be smaller than the stride or the dilation"),
    ([("pool", "MaxPool2d", {"kernel_size": 2, "padding": 2})], "pool",
     "padding 2 must be at most half the kernel size 2"),
    ([("s", "Softmax", {"dim": 0})], "s", "dim 0 is the batch: softmax over it would mix samples; use dim=1 for classes"),
    ([("s", "Softmax", {"dim": 4})], "s", "dim 4 does not exist: the input has dims 1 to 3 (0 is the batch)"),
])
def test_shape_errors(layers, node, message):
    assert only_error(chain("Net", [1, 2, 2], layers)) == (node, message)


@pytest.mark.parametrize(("shape", "block", "params", "message"), [
    ([6, 4, 4], "PReLU", {"num_parameters": 4},
     "num_parameters must be 1 (one slope for all) or the input's 6 channels (one slope each), got 4"),
    ([6], "PReLU", {"num_parameters": 4},
     "num_parameters must be 1 (one slope for all) or the input's 6 features (one slope each), got 4"),
    ([6, 4, 4], "Hardtanh", {"min_val": 1.0, "max_val": 0.5}, "min_val (1) must be smaller than max_val (0.5)"),
    ([6, 4, 4], "LayerNorm", {"normalized_shape": [6, 4]},
     "normalized_shape [6, 4] must equal the input's last 2 dims, but its input is 6×4×4; leave it empty to "
     "normalize over the last dim (4)"),
    ([6, 4, 4], "LayerNorm", {"normalized_shape": [2, 6, 4, 4]},
     "normalized_shape [2, 6, 4, 4] must equal the input's last 4 dims, but its input is 6×4×4; leave it empty to "
     "normalize over the last dim (4)"),
    ([6, 4, 4], "GroupNorm", {"num_groups": 4}, "num_groups=4 must divide the 6 channels"),
    ([6, 4, 4], "GroupNorm", {"num_groups": 2, "num_channels": 4}, "expects 4 channels but its input has 6"),
    ([6, 1, 1], "InstanceNorm2d", {},
     "normalizes each channel over its height×width, but its input is 1×1: every value would become 0"),
    ([6, 4, 4], "PixelShuffle", {"upscale_factor": 2},
     "upscale_factor 2 needs channels that divide by 4 (r²), but its input has 6; every 4 channels become one, "
     "2 times taller and wider"),
    ([6, 4, 4], "ZeroPad2d", {"padding": [1, 2, 3]},
     "padding must be one whole number or a list of 4 whole numbers, got 3 values"),
    ([6, 4, 4], "ZeroPad2d", {"padding": -1}, "padding must be at least 0, got -1"),
    ([6, 4, 4], "Upsample", {"size": 8, "scale_factor": 2}, "set either size or scale_factor, not both"),
    ([6, 4, 4], "MaxPool2d", {"kernel_size": 5, "dilation": 2, "ceil_mode": True},
     "kernel 5 (spanning 9 with dilation) is larger than its 4×4 input"),
])
def test_new_blocks_explain_what_does_not_fit(shape, block, params, message):
    assert only_error(chain("Net", shape, [("b", block, params)])) == ("b", message)


@pytest.mark.parametrize(("shape", "block", "params", "out", "count"), [
    ([6, 4, 4], "PReLU", {"num_parameters": 6}, (6, 4, 4), 6),
    ([6, 4, 4], "LayerNorm", {}, (6, 4, 4), 8),  # the last dim, 4: a weight and a bias each
    ([6, 4, 4], "LayerNorm", {"normalized_shape": [4, 4], "bias": False}, (6, 4, 4), 16),
    ([6, 4, 4], "LayerNorm", {"normalized_shape": 4, "elementwise_affine": False}, (6, 4, 4), 0),
    ([6, 4, 4], "GroupNorm", {"num_groups": 3}, (6, 4, 4), 12),
    ([6, 10], "GroupNorm", {"num_groups": 2}, (6, 10), 12),
    ([6, 4, 4], "InstanceNorm2d", {"affine": True}, (6, 4, 4), 12),
    ([8, 3, 5], "PixelShuffle", {"upscale_factor": 2}, (2, 6, 10), 0),
    ([2, 3, 5], "ZeroPad2d", {"padding": [1, 2, 3, 4]}, (2, 10, 8), 0),
    ([2, 3, 5], "ZeroPad2d", {"padding": 1}, (2, 5, 7), 0),
    ([2, 3, 5], "Upsample", {"scale_factor": [2, 1.5]}, (2, 6, 7), 0),
    ([2, 9, 7], "AdaptiveMaxPool2d", {"output_size": [3, 2]}, (2, 3, 2), 0),
    # ceil_mode keeps a last, partial window, but only one that starts inside the input or its left padding
    ([1, 5, 5], "MaxPool2d", {"kernel_size": 2, "ceil_mode": True}, (1, 3, 3), 0),
    ([1, 5, 5], "MaxPool2d", {"kernel_size": 2}, (1, 2, 2), 0),
    ([1, 6, 6], "MaxPool2d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, (1, 4, 4), 0),
    ([1, 5, 5], "MaxPool2d", {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True}, (1, 2, 2), 0),
    ([1, 7, 7], "MaxPool2d", {"kernel_size": 3, "dilation": 2, "stride": 1}, (1, 3, 3), 0),
    ([1, 112, 112], "MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, (1, 56, 56), 0),  # GoogLeNet
    ([1, 5, 5], "AvgPool2d", {"kernel_size": 2, "ceil_mode": True, "count_include_pad": False}, (1, 3, 3), 0),
])
def test_new_blocks_shapes_and_parameter_counts(shape, block, params, out, count):
    report = check_model(chain("Net", shape, [("b", block, params)]))
    assert report.ok, report.errors
    assert (report.infos["b"].shape, report.infos["b"].params) == (out, count)


def test_concat_and_add_name_the_dimension_that_differs():
    graph = model("Net", [("x", "Input", {"shape": [3, 16, 16]}), ("pool", "MaxPool2d", {"kernel_size": 2}),
                          ("cat", "Concat"), ("add", "Add"), ("out", "Output"), ("out2", "Output")],
                  [("x", "pool"), ("x", "cat", 0), ("pool", "cat", 1), ("x", "add", 0), ("pool", "add", 1),
                   ("cat", "out"), ("add", "out2")])
    found = dict(errors(graph))
    assert found["cat"] == "inputs differ in height, 16 vs 8 (port 0 vs port 1); only dim 1 (channels) may differ"
    assert found["add"] == "inputs must have the same shape to be added: port 0 is 3×16×16, port 1 is 3×8×8"


def test_a_problem_upstream_does_not_cascade():
    graph = chain("Net", [1, 8, 8], [("c", "Conv2d", {"out_channels": 4, "kernel_size": 99}),
                                     ("r", "ReLU"), ("f", "Flatten"), ("fc", "Linear", {"out_features": 2})])
    assert [n for n, _ in errors(graph)] == ["c"]


def test_every_problem_is_reported_at_once():
    graph = model("Net", [("x", "Input", {"shape": [1, 8, 8]}),
                          ("a", "Conv2d", {"out_channels": 0, "kernel_size": 3}),
                          ("b", "Conv2d", {"in_channels": 5, "out_channels": 2, "kernel_size": 3}),
                          ("c", "Nope"), ("out", "Output")],
                  [("x", "a"), ("x", "b"), ("b", "out")])
    assert {n for n, _ in errors(graph)} == {"a", "b", "c"}


def test_nodes_that_reach_no_output_are_warned_about_and_left_out():
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 2}),
                          ("dead", "ReLU"), ("out", "Output")],
                  [("x", "fc"), ("x", "dead"), ("fc", "out")])
    report = check_model(graph)
    assert report.ok
    assert [(p.node, p.warning) for p in report.problems] == [("dead", True)]
    assert "dead" not in report.live
    assert report.total_params == 10


def test_graph_order_follows_the_document_when_free():
    graph = model("Net", [("x", "Input", {"shape": [4]}), ("b", "ReLU"), ("a", "Tanh"), ("add", "Add"),
                          ("out", "Output")],
                  [("x", "b"), ("x", "a"), ("b", "add", 0), ("a", "add", 1), ("add", "out")])
    assert check_model(graph).order == ["x", "b", "a", "add", "out"]


def test_interpolate_by_a_factor_too_large_for_a_float_is_a_problem_not_a_crash():
    # floor(28 * 1e308) raised OverflowError
    graph = chain("Net", [1, 28, 28], [("up", "Interpolate", {"scale_factor": 1e308})])
    assert only_error(graph) == ("up", "scale_factor 1e+308 makes the 28×28 input too large")


def test_an_output_larger_than_a_tensor_can_hold_is_a_problem():
    # sizes grew without bound layer by layer, until printing them failed (over 4,300 digits)
    graph = chain("Net", [4], [("fc", "Linear", {"out_features": 2**63}), ("fc2", "Linear", {"out_features": 2})])
    assert only_error(graph) == (
        "fc", "its output, 9223372036854775808, has more values than a tensor can hold (9,223,372,036,854,775,807)")


def test_thousands_of_outputs_after_a_long_chain_check_in_linear_time():
    # the ancestors of each Output in turn took minutes for 20,000 Outputs after 20,000 nodes
    count = 4000
    layers = [(f"r{i}", "ReLU") for i in range(count)] + [(f"o{i}", "Output") for i in range(count)]
    edges = [("x", "r0")] + [(f"r{i}", f"r{i + 1}") for i in range(count - 1)]
    edges += [(f"r{count - 1}", f"o{i}") for i in range(count)]
    graph = model("Net", [("x", "Input", {"shape": [4]}), *layers], edges)
    started = time.perf_counter()
    report = check_model(graph)
    assert report.ok and len(report.live) == 2 * count + 1
    assert time.perf_counter() - started < 5  # about 0.2 s; the quadratic walk took over 10 s
