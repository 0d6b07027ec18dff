"""The command line on hierarchical projects: the check tree, training, exports and resume."""

import json

import modules_nets
import torch

from builder.cli import main
from builder.core.project import save_project
from builder.core.templates import template_text


def _resnet(tmp_path):
    project = modules_nets.small_resnet()
    project.model("ResNet").node("fc").params["out_features"] = 4
    project.data = {"source": {"kind": "synthetic", "name": "shapes", "samples": 200}}
    project.data["batch_size"] = 32
    project.training = {"epochs": 1}
    path = tmp_path / "res.json"
    save_project(project, path)
    return path


def test_check_depth_shows_the_blocks_inside_each_use(tmp_path, capsys):
    path = _resnet(tmp_path)
    assert main(["check", str(path), "--model", "ResNet"]) == 0
    flat = capsys.readouterr().out
    assert "  conv1" not in flat
    assert main(["check", str(path), "--model", "ResNet", "--depth", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    use = lines.index(next(line for line in lines if line.startswith("layer2.0 ")))
    assert lines[use].split()[:3] == ["layer2.0", "DownBlock", "32×8×8"]
    assert lines[use + 2].split()[:3] == ["conv1", "Conv2d", "32×8×8"]  # indented under its use


def test_a_use_with_many_outputs_is_one_short_row(tmp_path, capsys):
    """Found by fuzzing: an Encoder with 1,000 Outputs printed a 9,000-character row."""
    raw = json.loads(template_text("conv_autoencoder"))
    encoder = next(m for m in raw["models"] if m["name"] == "Encoder")
    encoder["nodes"] += [{"id": f"side{i}", "type": "Output"} for i in range(1000)]
    encoder["edges"] += [{"src": "image", "dst": f"side{i}"} for i in range(1000)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(raw))
    main(["check", str(path), "--model", "ConvAutoencoder"])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("encoder "))
    assert "16×1×1, 1×28×28, 1×28×28, 1×28×28 and 997 more" in row and len(row) < 120


def test_a_problem_inside_a_module_names_its_path(tmp_path, capsys):
    path = _resnet(tmp_path)
    raw = json.loads(path.read_text())
    next(n for n in raw["models"][0]["nodes"] if n["id"] == "layer2.1")["params"] = {"planes": 64}
    path.write_text(json.dumps(raw))
    assert main(["check", str(path), "--model", "ResNet"]) == 1
    assert "layer2.1 › add: inputs must have the same shape to be added" in capsys.readouterr().out


def test_train_exports_and_resume_refuses_a_changed_module(tmp_path, capsys):
    path = _resnet(tmp_path)
    out = tmp_path / "run"
    assert main(["train", str(path), "--out", str(out)]) == 0
    state = torch.load(out / "ResNet.pt", weights_only=True)
    assert "layer1.0.conv1.weight" in state and "layer2.0.proj.weight" in state
    namespace = {}
    exec((out / "model.py").read_text(), namespace)
    model = namespace["ResNet"]()
    model.load_state_dict(state, strict=True)
    assert main(["export", str(path), "--onnx", str(tmp_path / "r.onnx"), "--torchscript",
                 str(tmp_path / "r.pt")]) == 0
    assert "same outputs as the module" in capsys.readouterr().out
    raw = json.loads(path.read_text())
    block = next(m for m in raw["models"] if m["name"] == "BasicBlock")
    next(n for n in block["nodes"] if n["id"] == "conv2")["params"]["kernel_size"] = 1
    next(n for n in block["nodes"] if n["id"] == "conv2")["params"]["padding"] = 0
    path.write_text(json.dumps(raw))
    capsys.readouterr()
    assert main(["train", str(path), "--out", str(out), "--resume", "--epochs", "2"]) != 0
    assert "made for a different model" in capsys.readouterr().err


def test_a_gan_whose_generator_and_discriminator_are_built_from_modules_trains_and_exports(tmp_path, capsys):
    from nets import small_gan_project

    from builder.core.document import Document
    from builder.edit.editor import Editor
    from builder.edit.session import Session

    session = Session(Document(small_gan_project(samples=100, epochs=1)))
    editor = Editor(session)
    up = editor.group(["up2", "bn2", "relu2"], "UpBlock")
    session.show_model("D")
    down = editor.group(["c2", "bn2", "a2"], "DownBlock")
    path = tmp_path / "gan.json"
    save_project(session.document.project, path)
    assert json.loads(path.read_text())["version"] == 2
    out = tmp_path / "run"
    assert main(["train", str(path), "--out", str(out)]) == 0
    namespace = {}
    exec((out / "model.py").read_text(), namespace)
    g, d = namespace["G"](), namespace["D"]()
    g_state, d_state = (torch.load(out / f"{name}.pt", weights_only=True) for name in ("G", "D"))
    assert f"{up}.up2.weight" in g_state and f"{down}.c2.weight" in d_state  # the hierarchy in the keys
    g.load_state_dict(g_state, strict=True)
    d.load_state_dict(d_state, strict=True)
    assert d(g(torch.randn(3, 16, 1, 1))).shape == (3, 1)
