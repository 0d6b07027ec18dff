"""`builder export --code`: writes the generated source, which imports torch only and runs."""

import importlib.util

import nets
import torch
from graphs import chain, project

from builder.cli import main
from builder.core.project import save_project


def test_exports_all_models_into_one_runnable_file(tmp_path, capsys):
    path = tmp_path / "net.json"
    save_project(project(nets.lenet(), nets.dcgan_generator()), path)
    out = tmp_path / "model.py"
    assert main(["export", str(path), "--code", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    spec = importlib.util.spec_from_file_location("exported_model", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.LeNet()(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert module.Generator()(torch.randn(2, 64, 1, 1)).shape == (2, 1, 16, 16)


def test_export_one_model(tmp_path):
    path = tmp_path / "net.json"
    save_project(project(nets.lenet(), nets.dcgan_generator()), path)
    out = tmp_path / "gen.py"
    assert main(["export", str(path), "--code", str(out), "--model", "Generator"]) == 0
    assert "class Generator" in out.read_text() and "class LeNet" not in out.read_text()


def test_broken_graph_is_not_exported(tmp_path, capsys):
    path = tmp_path / "net.json"
    save_project(project(chain("Net", [4], [("fc", "Linear", {"in_features": 3, "out_features": 2})])), path)
    out = tmp_path / "model.py"
    assert main(["export", str(path), "--code", str(out)]) == 1
    assert capsys.readouterr().out == "fc: expects 3 input features but its input has 4\n"
    assert not out.exists()


def test_missing_output_folder_is_an_argument_error(tmp_path, capsys):
    path = tmp_path / "net.json"
    save_project(project(nets.lenet()), path)
    assert main(["export", str(path), "--code", str(tmp_path / "no" / "model.py")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_file_that_cannot_be_written_is_one_line_and_status_2(tmp_path, capsys):
    path = tmp_path / "net.json"
    save_project(project(nets.lenet()), path)
    (tmp_path / "model.py").mkdir()  # a folder where the file should go
    assert main(["export", str(path), "--code", str(tmp_path / "model.py")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"builder: cannot write {tmp_path / 'model.py'}: it is a folder; the previous file, if any, is unchanged"
