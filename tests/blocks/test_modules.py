"""Checking through uses of modules: shapes flow in, problems come out with their path, totals roll up."""

import modules_nets as nets

from builder.blocks.check import check_model
from builder.core.graph import ModuleParam


def _report(project, name=None):
    return check_model(project.model(name or project.models[0].name), project)


def test_shapes_and_totals_flow_through_every_use():
    project = nets.small_resnet()
    report = _report(project)
    assert report.ok, [str(p) for p in report.problems]
    assert report.infos["layer1.0"].shape == (16, 16, 16)
    assert report.infos["layer2.0"].shape == (32, 8, 8)
    inner = report.infos["layer2.1"].inner
    assert inner.infos["conv1"].resolved["in_channels"] == 32  # the shape that reaches this use
    own = _report(project, "BasicBlock")
    assert own.infos["conv1"].resolved["in_channels"] == 16  # on its own: its Input's example shape
    expected = sum(report.infos[n].params for n in report.live)
    assert report.total_params == expected == 43210
    assert report.infos["layer1.0"].params == 2 * (16 * 16 * 9) + 2 * 32


def test_a_problem_inside_a_module_is_on_the_use_with_its_path():
    project = nets.small_resnet()
    project.model("ResNet").node("layer2.1").params = {"planes": 64}  # 32 channels come in, the skip adds 64
    report = _report(project)
    (problem,) = report.errors
    assert problem.node == "layer2.1" and problem.path == ("add",)
    assert str(problem).startswith("layer2.1 › add: inputs must have the same shape")
    inner_view = _report(project, "BasicBlock")
    assert inner_view.ok  # the definition on its own is fine: only this use is wrong


def test_nested_paths_name_every_level():
    project = nets.small_resnet()
    wrapper = project.model("ResNet").copy()
    wrapper.name = "Wrapper"
    project.models.append(wrapper)
    outer = nets.model("Outer", [("x", "Input", {"shape": [3, 16, 16]}), ("net", "Wrapper"), ("out", "Output")])
    project.models.append(outer)
    project.model("BasicBlock").node("conv2").params["kernel_size"] = 0
    (problem, *_rest) = _report(project, "Outer").errors
    assert str(problem).startswith("net › layer1.0 › conv2: kernel_size must be at least 1")


def test_a_model_that_uses_itself_is_refused_with_the_chain():
    project = nets.small_resnet()
    block = project.model("BasicBlock")
    block.nodes.insert(1, nets.Node("again", "ResNet"))
    block.edges = [nets.Edge("x", "again") if e.src == "x" and e.dst == "conv1" else e for e in block.edges]
    block.edges.append(nets.Edge("again", "conv1"))
    messages = [str(p) for p in _report(project).errors]
    assert any("ResNet uses itself: ResNet › BasicBlock › ResNet" in m for m in messages), messages


def test_refs_and_use_values_are_checked():
    project = nets.small_resnet()
    project.model("ResNet").node("layer1.0").params = {"plane": 8}
    messages = [str(p) for p in _report(project).errors]
    assert "layer1.0: BasicBlock: unknown parameter 'plane' (did you mean 'planes'?); valid parameters: planes" in messages
    project = nets.small_resnet()
    project.model("BasicBlock").node("conv1").params["stride"] = {"ref": "strde"}
    messages = [str(p) for p in _report(project).errors]
    assert any("conv1: stride refers to the module parameter 'strde', which BasicBlock does not declare" in m
               for m in messages), messages
    project.model("BasicBlock").params = [ModuleParam("planes", "int", 0, min=1)]
    assert any("the model declares planes with a default that is not valid: planes must be at least 1" in str(p)
               for p in _report(project, "BasicBlock").errors)


def test_wiring_a_missing_output_port_is_named():
    project = nets.two_port_project()
    top = project.model("Net")
    top.edges = [nets.Edge(e.src, e.dst, e.port, 2) if e.dst == "side_conv" else e for e in top.edges]
    messages = [str(p) for p in _report(project).errors]
    assert "side_conv: is wired from output 2 of 'up', which has 2 outputs" in messages
