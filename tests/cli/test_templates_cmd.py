"""`builder templates` and `builder new`: the packaged templates, written as new project files."""

import os

from builder.cli import main
from builder.core.project import load_project
from builder.core.templates import TEMPLATES, template_text


def test_lists_every_template_with_one_line(capsys):
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [t.name for t in TEMPLATES]
    assert all(t.title in line for t, line in zip(TEMPLATES, lines))


def test_new_writes_the_template_as_a_project_that_checks(tmp_path, capsys):
    out = tmp_path / "net.json"
    assert main(["new", "lenet", str(out)]) == 0
    assert out.read_text() == template_text("lenet")
    assert load_project(out).models[0].name == "LeNet"
    capsys.readouterr()
    assert main(["check", str(out)]) == 0
    assert "model LeNet" in capsys.readouterr().out


def test_new_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "net.json"
    out.write_text("my own work")
    assert main(["new", "lenet", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"builder new: {out} exists; use --force to overwrite it"
    assert out.read_text() == "my own work"
    os.chmod(out, 0o640)
    assert main(["new", "vgg_small", str(out), "--force"]) == 0
    assert out.read_text() == template_text("vgg_small") and (os.stat(out).st_mode & 0o777) == 0o640


def test_new_names_an_unknown_template_and_a_missing_folder(tmp_path, capsys):
    assert main(["new", "alexnet", str(tmp_path / "x.json")]) == 2
    assert "no template named 'alexnet' (templates: example, lenet" in capsys.readouterr().err
    assert main(["new", "lenet", str(tmp_path / "nowhere" / "x.json")]) == 2
    assert f"the folder {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
    assert main(["new", "lenet", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
