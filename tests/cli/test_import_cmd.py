"""`builder import`: what it writes, and every refusal with its file and line (exit 1, nothing written), bad
arguments and missing files (exit 2), never a traceback."""

import json
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from builder.cli import main

REFERENCES = Path(__file__).parent.parent / "importer" / "references"

NET = """
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
{body}
"""


def write(tmp_path: Path, body: str, name: str = "model.py", head: str = "") -> Path:
    path = tmp_path / name
    path.write_text(head + NET.format(body=textwrap.indent(textwrap.dedent(body), " " * 8)))
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["import", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return status, out.out, out.err


GOOD = """
x = self.conv(x).relu()
return self.fc(self.pool(x).flatten(1))
"""


def test_writes_the_project_and_the_weights_under_the_original_names(tmp_path, capsys):
    source = write(tmp_path, GOOD)
    torch.manual_seed(3)
    status, out, _ = run(capsys, f"{source}:Net", "--input-shape", "3", "16", "16", "--out", str(tmp_path / "p.json"),
                         "--kwargs", '{"classes": 4}')
    assert status == 0, out
    assert "wrote" in out and "largest difference" in out
    project = json.loads((tmp_path / "p.json").read_text())
    assert project["models"][0]["name"] == "Net"
    weights = load_file(tmp_path / "p.safetensors")
    assert sorted(weights) == ["conv.bias", "conv.weight", "fc.bias", "fc.weight"]
    assert weights["fc.weight"].shape == (4, 8)
    assert "init_weights" not in project["training"]  # fresh weights: training starts from its own seed
    assert main(["check", str(tmp_path / "p.json")]) == 0


def test_given_weights_are_loaded_and_training_starts_from_them(tmp_path, capsys):
    source = write(tmp_path, GOOD)
    checkpoint = tmp_path / "trained.pth"
    state = {"conv.weight": torch.full((8, 3, 3, 3), 0.5), "conv.bias": torch.zeros(8),
             "fc.weight": torch.ones(10, 8), "fc.bias": torch.zeros(10)}
    torch.save({"state_dict": state, "epoch": 7}, checkpoint)  # a training checkpoint holding the weights
    status, out, _ = run(capsys, str(source), "--input-shape", "3", "8", "8", "--out", str(tmp_path / "p.json"),
                         "--weights", str(checkpoint))
    assert status == 0, out
    assert torch.equal(load_file(tmp_path / "p.safetensors")["conv.weight"], state["conv.weight"])
    assert json.loads((tmp_path / "p.json").read_text())["training"]["init_weights"] == "p.safetensors"


def refused(capsys, tmp_path: Path, source: Path, *extra: str) -> str:
    status, out, _ = run(capsys, str(source), "--input-shape", "3", "16", "16", "--out", str(tmp_path / "p.json"),
                         *extra)
    assert status == 1, out
    assert not (tmp_path / "p.json").exists() and not (tmp_path / "p.safetensors").exists()
    return out


def test_a_branch_on_the_data_is_refused_with_its_line(tmp_path, capsys):
    source = write(tmp_path, """
        x = self.conv(x)
        if x.mean() > 0:
            x = x.relu()
        return self.fc(self.pool(x).flatten(1))
    """)
    out = refused(capsys, tmp_path, source)
    assert f"{source}:15: `if x.mean() > 0:`" in out and "the branch depends on the data" in out


def test_an_operation_without_a_block_is_named_with_its_line(tmp_path, capsys):
    source = write(tmp_path, """
        x = torch.fft.fft2(self.conv(x)).real
        return self.fc(self.pool(x).flatten(1))
    """, head="import torch\n")
    out = refused(capsys, tmp_path, source)
    assert f"torch.fft.fft2 at {source}:15 has no block" in out


def test_a_constructor_that_raises_gives_its_message(tmp_path, capsys):
    source = tmp_path / "model.py"
    source.write_text("import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        raise ValueError('depth must be even')\n")
    out = refused(capsys, tmp_path, source)
    assert f"{source}:7: Net() raised ValueError: depth must be even" in out


def test_a_syntax_error_names_its_line(tmp_path, capsys):
    source = tmp_path / "model.py"
    source.write_text("import torch.nn as nn\n\nclass Net(nn.Module):\n    def forward(self x):\n        return x\n")
    out = refused(capsys, tmp_path, source)
    assert f"{source}:4: syntax error" in out


def test_a_class_that_is_not_a_module_or_not_there_is_refused(tmp_path, capsys):
    source = write(tmp_path, GOOD, head="class Helper:\n    pass\n\n")
    assert "Helper is not an nn.Module subclass" in refused(capsys, tmp_path, Path(f"{source}:Helper"))
    assert "defines no class Missing (its nn.Module classes: Net)" in refused(capsys, tmp_path,
                                                                             Path(f"{source}:Missing"))


def test_several_classes_need_the_one_named(tmp_path, capsys):
    out = refused(capsys, tmp_path, REFERENCES / "torchvision_resnet.py")
    assert "defines 2 nn.Module classes (BasicBlock, ResNet); name the one to import as torchvision_resnet.py:CLASS" \
        in out


def test_shared_weights_are_refused(tmp_path, capsys):
    source = write(tmp_path, """
        x = self.conv(x)
        x = self.conv(x[:, :3])
        return self.fc(self.pool(x).flatten(1))
    """)
    assert "self.conv is called more than once: its weights are shared" in refused(capsys, tmp_path, source)


def test_a_wrong_input_shape_says_so(tmp_path, capsys):
    source = write(tmp_path, GOOD)
    status, out, _ = run(capsys, str(source), "--input-shape", "1", "16", "16", "--out", str(tmp_path / "p.json"))
    assert status == 1 and "does not run on samples of 1 × 16 × 16" in out and "check --input-shape" in out


@pytest.mark.parametrize(("args", "message"), [
    (["missing.py", "--input-shape", "3", "--out", "p.json"], "missing.py: no such file"),
    (["{src}", "--input-shape", "0", "--out", "p.json"], "every size must be from 1"),
    (["{src}", "--input-shape", "3", "--out", "p.txt"], "must end in .json"),
    (["{src}", "--input-shape", "3", "--out", "p.json", "--kwargs", "[1]"], "--kwargs must be a JSON object"),
    (["{src}", "--input-shape", "3", "--out", "p.json", "--weights", "nope.pt"], "--weights nope.pt: no such file"),
    (["{src}", "--out", "p.json"], "the following arguments are required: --input-shape"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = write(tmp_path, GOOD)
    status = main(["import", *(a.format(src=source) for a in args)])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
