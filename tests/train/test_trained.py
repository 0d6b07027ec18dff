"""A trained model's export folder: the weights, model.py and a README, and for a classifier its class names."""

import json

import pytest
import torch
from graphs import chain

from builder.compile import build_classes, generate_code
from builder.core.project import Project
from builder.train.checkpoint import classes_in
from builder.train.trained import TrainedModel

HOSTILE = ['cat', 'ends the docstring """\nimport os', "back\\slash\\", "café", "\udcff"]  # as folder names can be


def trained(outputs: int, **kwargs) -> TrainedModel:
    project = Project(models=[chain("Net", [4], [("fc", "Linear", {"out_features": outputs})])])
    code = generate_code(project)
    state = build_classes(code)["Net"]().state_dict()
    return TrainedModel("Net", code, state, **kwargs)


def exported_doc(folder) -> str:
    namespace = {}
    exec((folder / "model.py").read_text(), namespace)
    return namespace["__doc__"]


def test_class_names_from_the_data_are_written_safely_everywhere(tmp_path):
    written = trained(len(HOSTILE), classes=HOSTILE).export_folder(tmp_path)
    assert tmp_path / "classes.json" in written
    assert json.loads((tmp_path / "classes.json").read_text()) == HOSTILE
    assert "Net is a classifier: output i scores class i" in exported_doc(tmp_path)  # no name ended the docstring
    source = (tmp_path / "model.py").read_text().split('"""')[1]  # the docstring as written: one name a line
    assert [json.loads(line.split(": ", 1)[1]) for line in source.splitlines() if line.startswith("    ")] == HOSTILE
    readme = (tmp_path / "README.md").read_text()
    listing = readme.split("```text\n")[1].split("\n```")[0].splitlines()
    assert [json.loads(line.split(": ", 1)[1]) for line in listing] == HOSTILE
    assert "prediction.argmax(dim=1)" in readme
    assert classes_in(tmp_path / "Net.safetensors") == HOSTILE  # the weights file alone names them too


def test_one_output_for_two_classes_is_described_as_a_threshold(tmp_path):
    trained(1, classes=["cat", "dog"], single_output=True).export_folder(tmp_path)
    doc = exported_doc(tmp_path)
    assert "one output: class 1 when it is above 0" in " ".join(doc.split())
    readme = (tmp_path / "README.md").read_text()
    assert "argmax" not in readme and "classes[int(p > threshold)]" in readme


@pytest.mark.parametrize("classes", [None, []])
def test_without_classes_the_folder_is_as_before(tmp_path, classes):
    model = trained(2, classes=classes)
    model.export_folder(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Net.pt", "Net.safetensors", "README.md", "model.py"]
    assert (tmp_path / "model.py").read_text() == model.code.source
    assert "Classes" not in (tmp_path / "README.md").read_text()
    loaded = build_classes(model.code)["Net"]()
    loaded.load_state_dict(torch.load(tmp_path / "Net.pt", weights_only=True))
