"""Generated source: golden files, readable forward code, safe identifiers, refusal of broken graphs."""

import ast
import os
from pathlib import Path

import nets
import pytest
from graphs import chain, model, project

from builder.compile import CompileError, build_classes, generate_code

GOLDEN = Path(__file__).parent.parent / "golden"


@pytest.mark.parametrize("name", sorted(nets.ALL))
def test_generated_code_matches_golden_file(name):
    source = generate_code(project(nets.ALL[name]())).source
    golden = GOLDEN / f"{name}.py"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(source)
    assert source == golden.read_text(), f"generated code for {name} changed; UPDATE_GOLDEN=1 rewrites it"


def test_exported_source_imports_torch_only():
    source = generate_code(project(*(make() for make in nets.ALL.values()))).source
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported == {"torch"}


def test_chain_reuses_its_variable_and_branches_get_names():
    source = generate_code(project(nets.residual_block())).source
    forward = source.split("def forward")[1]
    assert "def forward(self, x):" in source
    assert "out = self.conv1(x)" in forward  # x is still needed by the skip
    assert "out = self.bn1(out)" in forward
    assert "out = out + x" in forward
    unet = generate_code(project(nets.unet())).source
    assert "act1 = self.act1(x)" in unet  # read twice: keeps its own name
    assert "x = self.down(act1)" in unet  # x was dead, so the chain flows on in it
    assert "x = torch.cat([x, act1], dim=1)" in unet


def test_several_models_and_outputs():
    encoder = model("Encoder", [("img", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 2}),
                                ("mu", "Output"), ("raw", "Output")],
                    [("img", "fc"), ("fc", "mu"), ("img", "raw")])
    code = generate_code(project(encoder, chain("Head", [2], [("fc", "Linear", {"out_features": 1})])))
    assert code.class_names == {"Encoder": "Encoder", "Head": "Head"}
    assert "return out, img" in code.source
    classes = build_classes(code)
    import torch

    mu, raw = classes["Encoder"]()(torch.ones(3, 4))
    assert mu.shape == (3, 2) and torch.equal(raw, torch.ones(3, 4))


def test_identifiers_are_sanitized_unique_and_never_shadow_module_members():
    net = chain("my model!", [3], [
        ("forward", "Linear", {"out_features": 3}),
        ("class", "ReLU"),
        ("a b", "Linear", {"out_features": 3}),
        ("a-b", "Linear", {"out_features": 3}),
        ("1st", "Tanh"),
        ("training", "Sigmoid"),
    ])
    code = generate_code(project(net))
    names = code.attributes["my model!"]
    assert names["forward"] != "forward" and names["class"] != "class" and names["training"] != "training"
    assert names["a b"] != names["a-b"]
    assert names["1st"].isidentifier()
    assert code.class_names["my model!"] == "my_model"
    import torch

    module = build_classes(code)["my model!"]()
    assert module(torch.randn(2, 3)).shape == (2, 3)


def test_hostile_ids_and_values_never_reach_the_source_as_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    net = chain(f"X):\n    {payload}\nclass Y(", [3], [
        (f"a\n{payload}", "Linear", {"out_features": 3}),
    ])
    source = generate_code(project(net)).source
    calls = [n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert "__import__" not in calls
    assert source.count("\nclass ") == 1
    build_classes(generate_code(project(net)))
    assert not marker.exists()
    with pytest.raises(CompileError):  # a string where a number belongs is refused, not written
        generate_code(project(chain("Net", [3], [("fc", "Linear", {"out_features": payload})])))
    with pytest.raises(CompileError):  # a choice outside the declared ones is refused
        generate_code(project(chain("Net", [3], [("g", "GELU", {"approximate": payload})])))


def test_broken_graph_is_refused_with_its_problems():
    with pytest.raises(CompileError) as caught:
        generate_code(project(chain("Net", [1, 4, 4], [("c", "Conv2d", {"out_channels": 2, "kernel_size": 9})])))
    (model_name, problem), = caught.value.problems
    assert model_name == "Net" and problem.node == "c" and "larger than its 4×4 input" in problem.message


def test_traceback_from_the_model_shows_the_generated_line():
    import traceback

    import torch

    code = generate_code(project(nets.lenet()))
    module = build_classes(code)["LeNet"]()
    with pytest.raises(RuntimeError) as caught:
        module(torch.randn(2, 3, 28, 28))  # wrong channel count
    text = "".join(traceback.format_exception(caught.value))
    assert "x = self.conv1(x)" in text


@pytest.mark.parametrize(("shape", "block", "params", "line"), [
    ([6, 4, 4], "ReLU6", {}, "nn.ReLU6()"),
    ([6, 4, 4], "SiLU", {}, "nn.SiLU()"),
    ([6, 4, 4], "Hardswish", {}, "nn.Hardswish()"),
    ([6, 4, 4], "Hardsigmoid", {}, "nn.Hardsigmoid()"),
    ([6, 4, 4], "Mish", {}, "nn.Mish()"),
    ([6, 4, 4], "ELU", {}, "nn.ELU()"),
    ([6, 4, 4], "ELU", {"alpha": 0.5}, "nn.ELU(alpha=0.5)"),
    ([6, 4, 4], "Hardtanh", {"min_val": 0, "max_val": 6}, "nn.Hardtanh(min_val=0.0, max_val=6.0)"),
    ([6, 4, 4], "PReLU", {"num_parameters": 6, "init": 0.1}, "nn.PReLU(num_parameters=6, init=0.1)"),
    ([6, 4, 4], "Identity", {}, "nn.Identity()"),
    ([6, 4, 4], "ChannelShuffle", {"groups": 3}, "nn.ChannelShuffle(3)"),
    ([6, 4, 4], "LayerNorm", {}, "nn.LayerNorm(4)"),
    ([6, 4, 4], "LayerNorm", {"normalized_shape": [4, 4], "eps": 1e-6, "elementwise_affine": False},
     "nn.LayerNorm((4, 4), eps=1e-06, elementwise_affine=False)"),
    ([6, 4, 4], "LayerNorm", {"normalized_shape": [4], "bias": False}, "nn.LayerNorm(4, bias=False)"),
    ([6, 4, 4], "GroupNorm", {"num_groups": 3}, "nn.GroupNorm(3, 6)"),
    ([6, 4, 4], "GroupNorm", {"num_groups": 2, "eps": 1e-3, "affine": False}, "nn.GroupNorm(2, 6, eps=0.001, affine=False)"),
    ([6, 4, 4], "InstanceNorm2d", {}, "nn.InstanceNorm2d(6)"),
    ([6, 4, 4], "InstanceNorm2d", {"affine": True, "track_running_stats": True},
     "nn.InstanceNorm2d(6, affine=True, track_running_stats=True)"),
    ([6, 4, 4], "AdaptiveMaxPool2d", {}, "nn.AdaptiveMaxPool2d(1)"),
    ([6, 4, 4], "MaxPool2d", {"kernel_size": 3, "stride": 2, "dilation": 1, "ceil_mode": False},
     "nn.MaxPool2d(kernel_size=3, stride=2)"),
    ([6, 4, 4], "MaxPool2d", {"kernel_size": 2, "dilation": [1, 2], "ceil_mode": True},
     "nn.MaxPool2d(kernel_size=2, dilation=(1, 2), ceil_mode=True)"),
    ([6, 4, 4], "AvgPool2d", {"kernel_size": 3, "padding": 1, "ceil_mode": True, "count_include_pad": False},
     "nn.AvgPool2d(kernel_size=3, padding=1, ceil_mode=True, count_include_pad=False)"),
    ([6, 4, 4], "Upsample", {"scale_factor": 2}, "nn.Upsample(scale_factor=2.0)"),
    ([6, 4, 4], "Upsample", {"size": [8, 6], "mode": "bilinear", "align_corners": True},
     "nn.Upsample(size=(8, 6), mode='bilinear', align_corners=True)"),
    ([8, 4, 4], "PixelShuffle", {"upscale_factor": 2}, "nn.PixelShuffle(2)"),
    ([6, 4, 4], "ZeroPad2d", {"padding": 1}, "nn.ZeroPad2d(1)"),
    ([6, 4, 4], "ZeroPad2d", {"padding": [1, 0, 2, 0]}, "nn.ZeroPad2d((1, 0, 2, 0))"),
])
def test_each_layer_is_written_as_torch_writes_it(shape, block, params, line):
    source = generate_code(project(chain("Net", shape, [("b", block, params)]))).source
    assert f"self.b = {line}\n" in source


def test_pooling_written_before_dilation_and_ceil_mode_existed_is_unchanged():
    """A project from before these keys has none of them: the same code, byte for byte."""
    layers = [("pool", "MaxPool2d", {"kernel_size": 2}), ("avg", "AvgPool2d", {"kernel_size": 2, "padding": 1})]
    defaults = [("pool", "MaxPool2d", {"kernel_size": 2, "dilation": 1, "ceil_mode": False}),
                ("avg", "AvgPool2d", {"kernel_size": 2, "padding": 1, "ceil_mode": False, "count_include_pad": True})]
    source = generate_code(project(chain("Net", [1, 8, 8], layers))).source
    assert "self.pool = nn.MaxPool2d(kernel_size=2)\n" in source
    assert "self.avg = nn.AvgPool2d(kernel_size=2, padding=1)\n" in source
    assert generate_code(project(chain("Net", [1, 8, 8], defaults))).source == source


def test_a_check_already_made_is_used_as_it_is_and_one_of_another_graph_is_not():
    from builder.blocks.check import check_model

    net = project(nets.lenet())
    graph = net.models[0]
    report = check_model(graph, net)
    assert generate_code(net, [graph.name], checked={graph.name: report}).source == generate_code(net).source
    stale = check_model(graph.copy(), net)  # a check of another graph object (an older copy): checked again
    graph.nodes[-2].params["out_features"] = 7
    source = generate_code(net, [graph.name], checked={graph.name: stale}).source
    assert "nn.Linear(84, 7)" in source
