"""The shape blocks (Reshape, Permute, Mean, ChannelShuffle, Identity) and Mul: their shapes, their
learner's messages, and the code each writes."""

import pytest
from graphs import chain, model, project

from builder.blocks.check import check_model
from builder.compile import generate_code


def result(shape, layers):
    report = check_model(chain("Net", shape, layers))
    return report.infos["b"].shape if report.ok else [(p.node, p.message) for p in report.errors]


def only_error(shape, layers):
    found = result(shape, layers)
    assert isinstance(found, list) and len(found) == 1, found
    return found[0][1]


def forward_line(shape, layers):
    """The forward line of node `b` in the generated code, without its shape comment."""
    source = generate_code(project(chain("Net", shape, layers))).source
    (line,) = [ln.strip() for ln in source.splitlines() if ("= x." in ln or "= self.b(" in ln or "= out." in ln)]
    return line.split("  #")[0]


@pytest.mark.parametrize(("shape", "sizes", "out"), [
    ([64], [4, 4, 4], (4, 4, 4)),
    ([64], [-1, 4, 4], (4, 4, 4)),
    ([16, 4, 4], [-1], (256,)),
    ([16, 4, 4], [16, -1], (16, 16)),
    ([6], [1, 2, 3, 1], (1, 2, 3, 1)),
])
def test_reshape_keeps_the_values_and_infers_its_minus_one(shape, sizes, out):
    assert result(shape, [("b", "Reshape", {"shape": sizes})]) == out


@pytest.mark.parametrize(("sizes", "message"), [
    ([64, 4, 4], "its input, 16×4×4, has 256 values per sample, but shape [64, 4, 4] asks for 1,024; the sizes "
                 "must multiply to 256 (one of them may be -1, inferred)"),
    ([3, -1], "cannot infer the -1 of shape [3, -1]: its input, 16×4×4, has 256 values per sample, which do not "
              "divide by 3 (the other sizes)"),
    ([-1, -1], "shape may hold one -1 (the size inferred from the others), not 2"),
    ([16, 0, 4], "shape sizes must be at least 1 (or -1, once, for the size to infer), got 0"),
    ([-2, 128], "every entry of shape must be at least -1, got -2"),
    ([], "shape must be a list of 1 to 6 whole numbers, got 0 values"),
    (16, "shape must be a list of 1 to 6 whole numbers, got 16"),
])
def test_reshape_says_what_it_has_and_what_was_asked(sizes, message):
    assert only_error([16, 4, 4], [("b", "Reshape", {"shape": sizes})]) == message


def test_reshape_keeps_the_batch_in_its_code():
    layers = [("b", "Reshape", {"shape": [64, 4, 4]})]
    assert forward_line([1024], layers) == "x = x.reshape(x.size(0), 64, 4, 4)"


def test_permute_reorders_the_dims_of_a_sample():
    assert result([16, 8, 4], [("b", "Permute", {"dims": [2, 3, 1]})]) == (8, 4, 16)
    assert result([16, 8], [("b", "Permute", {"dims": [2, 1]})]) == (8, 16)
    assert forward_line([16, 8, 4], [("b", "Permute", {"dims": [2, 3, 1]})]) == "x = x.permute(0, 2, 3, 1)"


@pytest.mark.parametrize(("dims", "message"), [
    ([1, 2], "dims [1, 2] must list each of the input's dims 1 to 3 once (the batch, 0, stays first), for its "
             "16×8×4 input; [2, 3, 1] turns C×H×W into H×W×C"),
    ([2, 3, 4], "dims [2, 3, 4] must list each of the input's dims 1 to 3 once (the batch, 0, stays first), for its "
                "16×8×4 input; [2, 3, 1] turns C×H×W into H×W×C"),
    ([2, 2, 1], "dims must name each dim once, but 2 appears more than once"),
    ([0, 1, 2, 3], "every entry of dims must be at least 1, got 0"),
])
def test_permute_must_be_a_permutation_of_the_sample_dims(dims, message):
    assert only_error([16, 8, 4], [("b", "Permute", {"dims": dims})]) == message


@pytest.mark.parametrize(("params", "out", "code"), [
    ({"dim": [2, 3]}, (16,), "x = x.mean((2, 3))"),
    ({"dim": [2, 3], "keepdim": True}, (16, 1, 1), "x = x.mean((2, 3), keepdim=True)"),
    ({"dim": [-1, -2]}, (16,), "x = x.mean((-1, -2))"),
    ({"dim": 1}, (8, 4), "x = x.mean(1)"),
    ({"dim": [1]}, (8, 4), "x = x.mean(1)"),
])
def test_mean_averages_dims_away_or_keeps_them_as_one(params, out, code):
    layers = [("b", "Mean", params)]
    assert result([16, 8, 4], layers) == out
    assert forward_line([16, 8, 4], layers) == code


@pytest.mark.parametrize(("dim", "message"), [
    ([0, 2], "dim 0 is the batch: averaging over it would mix samples; use [2, 3] for height and width"),
    ([-4], "dim -4 is the batch: averaging over it would mix samples"),
    ([4], "dim 4 does not exist: the input has dims 1 to 3 (0 is the batch)"),
    ([3, -1], "dims 3 and -1 are the same dim (width) of its 16×8×4 input"),
    ([2, 2], "dim lists 2 more than once"),
    ([1, 2, 3], "averaging its 16×8×4 input over every dim leaves a single number per sample; set keepdim to "
                "keep it as 1×1×1"),
])
def test_mean_refuses_the_batch_and_dims_that_are_not_there(dim, message):
    assert only_error([16, 8, 4], [("b", "Mean", {"dim": dim})]) == message


def test_channel_shuffle_needs_channels_that_divide_by_its_groups():
    assert result([6, 4, 4], [("b", "ChannelShuffle", {"groups": 3})]) == (6, 4, 4)
    assert only_error([6, 4, 4], [("b", "ChannelShuffle", {"groups": 4})]) == "groups=4 must divide the 6 input channels"
    assert only_error([6], [("b", "ChannelShuffle", {"groups": 2})]) == (
        "expects a C×H×W image input but its input is a vector of 6 features; add a layer that reshapes it")


def test_identity_passes_any_shape_on():
    assert result([5, 3], [("b", "Identity")]) == (5, 3)


def _mul(left, right):
    return model("Net", [("a", "Input", {"shape": left}), ("s", "Input", {"shape": right}), ("b", "Mul"),
                         ("out", "Output")], [("a", "b", 0), ("s", "b", 1), ("b", "out")])


def test_mul_broadcasts_a_per_channel_scale_over_the_map():
    report = check_model(_mul([16, 8, 8], [16, 1, 1]))
    assert report.ok and report.infos["b"].shape == (16, 8, 8)
    assert check_model(_mul([1, 8, 1], [4, 1, 8])).infos["b"].shape == (4, 8, 8)
    assert "a = a * s  # (N, 16, 8, 8)" in generate_code(project(_mul([16, 8, 8], [16, 1, 1]))).source


def test_mul_names_the_dims_that_clash():
    errors = [p.message for p in check_model(_mul([16, 8, 8], [8, 1, 8])).errors]
    assert errors == ["cannot multiply 16×8×8 by 8×1×8 (port 1): channels 16 vs 8; each dim must match or be 1 in "
                      "one of them"]
    errors = [p.message for p in check_model(_mul([16, 8, 8], [16, 4, 2])).errors]
    assert errors == ["cannot multiply 16×8×8 by 16×4×2 (port 1): height 8 vs 4; width 8 vs 2; each dim must "
                      "match or be 1 in one of them"]


def test_mul_wants_the_same_rank_as_the_batch_would_line_up_wrong():
    errors = [p.message for p in check_model(_mul([16, 8, 8], [16])).errors]
    assert errors == ["inputs differ in rank: port 0 is 16×8×8, port 1 is 16; give both the same number of dims, "
                      "with 1 where one is stretched (e.g. 16×1×1 for a per-channel scale)"]


def test_stochastic_depth_drops_whole_samples_while_training_and_nothing_at_evaluation():
    import torch

    from builder.compile import build_classes, generate_code

    net = model("Net", [("x", "Input", {"shape": [4, 3, 3]}), ("sd", "StochasticDepth", {"p": 0.5}),
                        ("out", "Output")])
    code = generate_code(project(net))
    assert "if self.training else x" in code.source
    module = build_classes(code)["Net"]()
    x = torch.ones(64, 4, 3, 3)
    torch.manual_seed(0)
    kept = module(x).flatten(1)
    assert {round(v) for v in kept.unique().tolist()} == {0, 2}  # a sample is dropped or scaled by 1 / (1 - p)
    assert all(len(row.unique()) == 1 for row in kept)  # whole samples, never parts of one
    assert torch.equal(module.eval()(x), x)
