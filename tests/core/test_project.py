"""Project files: every malformed file is reported with locations; saving is atomic and round-trips."""

import json
import os

import pytest

from builder.core.graph import ModuleParam
from builder.core.project import (
    FORMAT,
    ProjectError,
    load_project,
    parse_project,
    project_to_json,
    save_project,
)

EXAMPLE = {
    "format": "nn-builder-project", "version": 1,
    "models": [{"name": "Net",
                "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 28, 28]}, "ui": {"pos": [0, 0]}},
                          {"id": "c1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3}},
                          {"id": "out", "type": "Output"}],
                "edges": [{"src": "x", "dst": "c1", "port": 0}, {"src": "c1", "dst": "out"}]}],
    "data": {}, "training": {},
}


def problems_of(document):
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(ProjectError) as caught:
        parse_project(text, "net.json")
    return caught.value.problems


def test_example_from_the_contract_loads():
    project = parse_project(json.dumps(EXAMPLE))
    net = project.models[0]
    assert net.name == "Net"
    assert [n.id for n in net.nodes] == ["x", "c1", "out"]
    assert net.nodes[0].ui == {"pos": [0, 0]}
    assert net.nodes[2].params == {}  # params may be omitted
    assert net.edges[1].port == 0  # port defaults to 0


def test_save_is_atomic_and_round_trips_exactly(tmp_path):
    path = tmp_path / "net.json"
    project = parse_project(json.dumps(EXAMPLE))
    save_project(project, path)
    first = path.read_bytes()
    again = load_project(path)
    save_project(again, path)
    assert path.read_bytes() == first
    assert again.models == project.models and again.data == project.data
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temporary file left behind


def test_failed_save_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    path.write_text("old")
    project = parse_project(json.dumps(EXAMPLE))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_project(project, path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def test_relative_paths_resolve_against_the_project_folder(tmp_path):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "net.json").write_text(json.dumps(EXAMPLE))
    project = load_project(folder / "net.json")
    assert project.resolve("digits/") == (folder / "digits").resolve()


def test_not_json_names_line_and_column():
    (problem,) = problems_of('{"format": "nn-builder-project",\n "version": 1,\n "models": [}')
    assert problem.startswith("line 3, column 13: not valid JSON")


def test_wrong_format_and_newer_version_are_clear():
    assert problems_of({"format": "something-else", "version": 1}) == [
        'format: expected "nn-builder-project", found "something-else": this is not an NN Builder project']
    assert problems_of([1, 2]) == ["expected a JSON object at the top, found a list"]
    (problem,) = problems_of({"format": FORMAT, "version": 7, "models": []})
    assert "version 7, newer than this NN Builder reads (2)" in problem


def test_every_structural_problem_is_reported_with_its_location():
    document = {
        "format": FORMAT, "version": 1, "colour": "red",
        "models": [{"name": "Net",
                    "nodes": [{"id": "x", "type": "Input"}, {"id": "x", "type": "ReLU"}, {"type": "ReLU"},
                              {"id": "r", "type": 5, "params": []}, "junk"],
                    "edges": [{"src": "x", "dst": "ghost"}, {"src": "x", "dst": "x", "port": -1},
                              {"source": "x"}]},
                   {"name": "Net", "nodes": [], "edges": []}],
        "data": [],
    }
    found = problems_of(document)
    expected = [
        "colour: unknown key",
        "models[0].nodes[1].id: two nodes share the id 'x'",
        "models[0].nodes[2].id: expected a non-empty string, found nothing",
        "models[0].nodes[3].type: expected a non-empty string, found the number 5",
        "models[0].nodes[3].params: expected an object of parameter values, found a list",
        "models[0].nodes[4]: expected an object, found the text \"junk\"",
        "models[0].edges[0].dst: no node has the id 'ghost'",
        "models[0].edges[1].port: expected a port number (0, 1, ...), found -1",
        "models[0].edges[2].source: unknown key",
        "models[1].name: two models are named 'Net'",
        "data: expected an object, found a list",
    ]
    for item in expected:
        assert any(p.startswith(item) for p in found), (item, found)


def test_missing_unreadable_and_folder_paths(tmp_path):
    with pytest.raises(ProjectError, match="no such file"):
        load_project(tmp_path / "nope.json")
    with pytest.raises(ProjectError, match="is a folder"):
        load_project(tmp_path)
    binary = tmp_path / "weights.pt"
    binary.write_bytes(b"\x80\x02\xff\xfe")
    with pytest.raises(ProjectError, match="not a text file"):
        load_project(binary)


def test_saved_json_is_stable_and_readable():
    text = project_to_json(parse_project(json.dumps(EXAMPLE)))
    assert text.endswith("\n") and '\n  "models": [' in text
    assert json.loads(text)["models"][0]["edges"][1] == {"src": "c1", "dst": "out", "port": 0}


def _with_data(value_text):
    return '{"format": "nn-builder-project", "version": 1, "models": [], "data": {"x": ' + value_text + "}}"


def test_nesting_too_deep_for_json_is_refused_with_its_line_and_column():
    # json recurses once per level: this used to escape as a RecursionError
    (problem,) = problems_of(_with_data("[" * 5000 + "]" * 5000))
    assert problem == "line 1, column 174: lists and objects are nested more than 100 deep"


def test_nesting_past_the_limit_is_refused_with_its_place():
    parse_project(_with_data("[" * 98 + "]" * 98))  # 100 levels, the document's own included
    (problem,) = problems_of(_with_data("[" * 99 + "]" * 99))
    assert problem == "data.x[0][0][0][0][0][0][0][0][0][0]...: lists and objects are nested more than 100 deep"


def test_numbers_json_does_not_allow_are_refused_with_their_place():
    # NaN loaded, then made the project impossible to save; 5,000 digits escaped as a ValueError from json
    found = problems_of(_with_data('[NaN, 1e999, -Infinity, ' + "9" * 5000 + "]"))
    assert found == [
        "data.x[0]: NaN is not a number JSON allows; write a number or null",
        "data.x[1]: Infinity (or a number beyond ±1.8e308) is not a number JSON allows; write a number or null",
        "data.x[2]: -Infinity (or a number beyond ±1.8e308) is not a number JSON allows; write a number or null",
        "data.x[3]: a whole number of 5000 digits is too long to mean anything",
    ]
    assert parse_project(_with_data("1" + "0" * 99)).data["x"] == 10**99


def test_keys_and_values_from_the_file_show_on_one_printable_line():
    found = problems_of({"format": FORMAT, "version": 1, "models": [], "\n": 1, "": 2, "\x1b[2J" + "k" * 100: 3})
    assert [p.split(": unknown key")[0] for p in found] == ["\\n", '""', "\\x1b[2J" + "k" * 36 + "..."]
    (problem,) = problems_of({"format": "x" * 100_000})
    assert problem.startswith('format: expected "nn-builder-project", found "xxx') and len(problem) < 200
    assert problems_of({"format": FORMAT, "version": [[1]]}) == ["version: expected a whole number, found a list"]


def test_modules_round_trip_as_version_2_and_flat_projects_stay_version_1(tmp_path):
    import modules_nets

    hierarchical = modules_nets.two_port_project()
    hierarchical.models[1].params = [ModuleParam("width", "int", 4, "Channels out.", min=1)]
    hierarchical.models[1].node("conv").params["out_channels"] = {"ref": "width"}
    path = tmp_path / "net.json"
    save_project(hierarchical, path)
    text = path.read_text()
    raw = json.loads(text)
    assert raw["version"] == 2
    assert raw["models"][1]["params"] == [{"name": "width", "kind": "int", "default": 4, "help": "Channels out.",
                                           "min": 1}]
    assert {"src": "up", "dst": "side_conv", "port": 0, "src_port": 1} in raw["models"][0]["edges"]
    again = load_project(path)
    assert project_to_json(again) == text
    assert again.models[1].params == hierarchical.models[1].params
    flat = parse_project(json.dumps(EXAMPLE))
    assert json.loads(project_to_json(flat))["version"] == 1
    assert "src_port" not in project_to_json(flat)


def test_module_declarations_are_checked_with_their_place():
    doc = json.loads(json.dumps(EXAMPLE))
    doc["version"] = 2
    doc["models"][0]["params"] = [{"name": "not a name", "kind": "int", "default": 1},
                                  {"name": "w", "kind": "tensor", "default": 1}, {"name": "v", "kind": "int"}]
    doc["models"][0]["edges"][0]["src_port"] = -1
    problems = problems_of(doc)
    assert "models[0].params[0].name: 'not a name' is not a Python name: it becomes an __init__ argument" in problems
    assert any(p.startswith("models[0].params[1].kind: expected one of int, float") for p in problems)
    assert "models[0].params[2]: a module parameter needs a default (the value of a use that does not set it)" in problems
    assert "models[0].edges[0].src_port: expected a port number (0, 1, ...), found -1" in problems
