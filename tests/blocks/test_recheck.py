"""The check redone from the last one after an edit (recheck) is the full check: same shapes, problems (in the
same order), liveness and uses, after random sequences of edits on the big graphs, the templates and modules."""

from __future__ import annotations

import copy
import importlib.util
import random
from pathlib import Path
from typing import Any

import pytest

from builder.blocks.check import ModelReport, check_model
from builder.blocks.modules import module_inputs
from builder.blocks.params import BOOL, CHOICE, FLOAT, FLOAT_PAIR, INT, INT_LIST, INT_PAIR, SHAPE
from builder.blocks.recheck import recheck
from builder.blocks.registry import BLOCKS
from builder.core.graph import Edge, ModelGraph, ModuleParam, Node
from builder.core.project import Project
from builder.core.templates import TEMPLATES, load_template
from tests.modules_nets import small_resnet

_spec = importlib.util.spec_from_file_location("big_graphs", Path(__file__).parents[2] / "bench" / "big_graphs.py")
big_graphs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(big_graphs)

INTS = [0, 1, 2, 3, 4, 8, 16, -1, 2.5, "x", None]


def _value(kind: str, choices: tuple, rng: random.Random) -> Any:
    """A value for a parameter of this kind: mostly sensible ones, with some it must refuse."""
    if kind == SHAPE:
        return rng.choice([[8, 8, 8], [8, 10, 10], [3, 32, 32], [8, 2, 2], [8, 1, 1], [16], [4, 12], [0, 8, 8],
                           [8, 3000000000, 3000000000], "x", None])
    if kind in (INT, INT_LIST):
        return rng.choice(INTS)
    if kind == INT_PAIR:
        return rng.choice([*INTS, [1, 2], [3, 3], [0, 1]])
    if kind in (FLOAT, FLOAT_PAIR):
        return rng.choice([0.0, 0.5, 1.0, 2.0, -1.0, "x", None])
    if kind == BOOL:
        return rng.choice([True, False, 1, None])
    if kind == CHOICE:
        return rng.choice([*choices, "nonsense", None])
    return rng.choice(["x", 1, None])


def _edit(project: Project, graph: ModelGraph, rng: random.Random) -> None:
    """Replace one node of `graph` with a copy whose parameter is set, removed or turned into a module
    reference, as the editor's commands do (a new Node object; the old one untouched)."""
    index = rng.randrange(len(graph.nodes))
    node = graph.nodes[index].copy()
    spec = BLOCKS.get(node.type)
    if spec is not None:
        params = [(p.name, p.kind, p.choices) for p in spec.params]
    else:
        used = next((m for m in project.models if m.name == node.type), None)
        params = [(p.name, p.kind, ()) for p in used.params] if used is not None else []
    if not params or rng.random() < 0.05:
        node.params[rng.choice(["nonsense", "stride"])] = rng.choice(INTS)  # unknown to the block, or not
    else:
        name, kind, choices = rng.choice(params)
        value = _value(kind, choices, rng)
        if graph.params and rng.random() < 0.1:
            value = {"ref": rng.choice([*(p.name for p in graph.params), "undeclared"])}
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = copy.deepcopy(value)
    graph.nodes[index] = node


def _assert_same(report: ModelReport, full: ModelReport) -> None:
    assert report.problems == full.problems
    assert report.infos == full.infos
    assert report == full  # order, wiring, liveness, uses, the modules' checks as each use sees them


def _run(project: Project, graph: ModelGraph, edits: int, seed: int) -> int:
    """Edits of `graph` one by one, each rechecked and compared with the full check; returns how many were
    rechecked from the last report (not refused into a full check)."""
    rng = random.Random(seed)
    report = check_model(graph, project)
    reused = 0
    for _ in range(edits):
        _edit(project, graph, rng)
        again = recheck(report, graph, project)
        full = check_model(graph, project)
        if again is not None:
            reused += 1
            _assert_same(again, full)
        report = again if again is not None else full
    return reused


@pytest.mark.parametrize("seed", range(4))
def test_random_edits_on_a_big_residual_net_match_the_full_check(seed):
    graph = big_graphs.residual_net(300)
    assert _run(Project(models=[graph]), graph, 60, seed) == 60


@pytest.mark.parametrize("name", [t.name for t in TEMPLATES])
def test_random_edits_on_every_template_match_the_full_check(name):
    project = load_template(name)
    for seed, graph in enumerate(project.models):
        assert _run(project, graph, 40, seed) == 40


def test_random_edits_of_uses_and_inside_modules_match_the_full_check():
    project = big_graphs.resnet50(64)
    root = project.models[0]
    assert _run(project, root, 40, 1) == 40
    block = project.models[1]  # its own check, with its declared defaults; then the network around it again
    assert _run(project, block, 30, 2) == 30
    assert _run(project, root, 10, 3) == 10
    project = small_resnet()
    for seed, graph in enumerate(project.models):
        assert _run(project, graph, 30, seed) == 30


def test_an_edit_deep_in_the_graph_redoes_only_what_it_reaches():
    graph = big_graphs.residual_net(500)
    report = check_model(graph)
    fc = graph.node_ids().index("fc")
    graph.nodes[fc] = Node("fc", "Linear", {"out_features": 3})
    again = recheck(report, graph)
    assert again.infos["fc"].shape == (3,) and again.infos["out"].shape == (3,)
    assert again.infos["b0_conv1"] is report.infos["b0_conv1"]  # upstream: kept, not inferred again
    assert report.infos["fc"].shape == (10,)  # the previous report, which views may still hold, is untouched


def test_propagation_stops_where_a_shape_is_unchanged():
    graph = big_graphs.residual_net(100)
    report = check_model(graph)
    at = graph.node_ids().index("b0_conv1")
    graph.nodes[at] = Node("b0_conv1", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1, "bias": True})
    again = recheck(report, graph)
    assert again.infos["b0_conv1"].params == report.infos["b0_conv1"].params + 8  # the bias
    assert again.infos["b0_bn1"] is report.infos["b0_bn1"]  # same shape in: not redone
    assert again == check_model(graph)


def test_an_error_upstream_clears_the_shapes_after_it_and_fixing_it_brings_them_back():
    graph = big_graphs.residual_net(60)
    report = check_model(graph)
    graph.nodes[0] = Node("x", "Input", {"shape": [8, 0, 8]})
    broken = recheck(report, graph)
    assert not broken.ok and "fc" not in broken.infos and broken == check_model(graph)
    graph.nodes[0] = Node("x", "Input", {"shape": [8, 8, 8]})
    fixed = recheck(broken, graph)
    assert fixed.ok and fixed.infos["fc"].shape == (10,) and fixed == check_model(graph)


def _net() -> ModelGraph:
    return big_graphs.residual_net(30)


@pytest.mark.parametrize("change", [
    "add a node", "remove a wire", "add a wire", "change a type", "rename a node", "declare a parameter",
])
def test_an_edit_of_more_than_parameters_is_left_to_the_full_check(change):
    graph = _net()
    report = check_model(graph)
    if change == "add a node":
        graph.nodes.append(Node("extra", "ReLU"))
    elif change == "remove a wire":
        graph.edges.pop()
    elif change == "add a wire":
        graph.edges.append(Edge("x", "out", 1))
    elif change == "change a type":
        graph.nodes[1] = Node(graph.nodes[1].id, "Conv1d", graph.nodes[1].params)
    elif change == "rename a node":
        graph.nodes[1] = Node("renamed", graph.nodes[1].type, graph.nodes[1].params)
    else:
        graph.params = [ModuleParam("width", "int", 8)]
    assert recheck(report, graph) is None


def test_an_edit_of_another_model_or_of_the_models_is_left_to_the_full_check():
    project = small_resnet()
    root, block = project.models[0], project.models[1]
    report = check_model(root, project)
    edited = block.nodes[1].copy()
    edited.params["kernel_size"] = 1  # a module the root uses, edited: every use of it may change
    block.nodes[1] = edited
    assert recheck(report, root, project) is None
    report = check_model(root, project)
    project.models.append(ModelGraph("Extra"))  # a new model: a node of an unknown type may now be a use
    assert recheck(report, root, project) is None


def test_a_module_check_as_a_use_sees_it_is_not_rechecked_on_its_own():
    project = small_resnet()
    root = project.models[0]
    report = check_model(root, project)
    use = next(node for node in report.uses)
    inner = report.inner[use]
    assert module_inputs(inner.model) and recheck(inner, inner.model, project) is None


def test_a_model_that_uses_itself_is_still_refused_after_an_edit():
    loop = ModelGraph("Loop", [Node("x", "Input", {"shape": [4]}), Node("me", "Loop"), Node("out", "Output")],
                      [Edge("x", "me"), Edge("me", "out")])
    project = Project(models=[loop])
    report = check_model(loop, project)
    loop.nodes[0] = Node("x", "Input", {"shape": [5]})
    again = recheck(report, loop, project)
    assert again is not None and again == check_model(loop, project)
    assert any("uses itself" in p.message for p in again.problems)
