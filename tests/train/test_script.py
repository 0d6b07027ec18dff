"""The standalone train.py: runs with plain torch, matches the app's first epoch, scales out with torchrun."""

import ast
import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from graphs import chain
from projects import shapes_project

import builder.train.script_template as template
from builder.core.project import Project
from builder.train.engine import Trainer
from builder.train.events import EpochEnd
from builder.train.script import settings_of, training_script, write_training_script
from builder.train.setup import prepare


def app_losses(project):
    return [e.record["train_loss"] for e in Trainer(prepare(project)) if isinstance(e, EpochEnd)]


def run_script(folder, *args, launcher=()):
    result = subprocess.run([*launcher, "train.py", *args], cwd=folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def script_losses(folder, out="out"):
    return [float(row["train_loss"]) for row in csv.DictReader((folder / out / "metrics.csv").open())]


def test_the_script_matches_the_apps_first_epoch(tmp_path):
    project = shapes_project(samples=300, training={"epochs": 1, "device": "cpu"})
    expected = app_losses(project)
    write_training_script(prepare(project), tmp_path)
    run_script(tmp_path, "--out", "out", launcher=(sys.executable,))
    assert script_losses(tmp_path) == pytest.approx(expected, rel=1e-5)  # the CSV keeps 6 digits
    namespace = {}
    exec((tmp_path / "model.py").read_text(), namespace)
    model = namespace["Net"]()
    model.load_state_dict(torch.load(tmp_path / "out" / "Net.pt", weights_only=True))


def test_arrays_with_normalization_match_too(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.random((120, 6)) * 40 + 10).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 50).astype(np.int64)
    (tmp_path / "data").mkdir()
    np.savez(tmp_path / "data" / "table.npz", x=x, y=y)
    model = chain("Tab", [6], [("fc1", "Linear", {"out_features": 16}), ("act", "ReLU"), ("drop", "Dropout", {"p": 0.2}),
                               ("fc2", "Linear", {"out_features": 2})])
    project = Project(models=[model], data={"source": {"kind": "npz", "path": "data/table.npz"}, "normalize": True,
                                            "batch_size": 16},
                      training={"epochs": 2, "device": "cpu", "optimizer": "SGD", "momentum": 0.9, "lr": 0.05,
                                "schedule": {"kind": "StepLR", "step_size": 1, "gamma": 0.5}})
    project.path = tmp_path / "tab.json"
    expected = app_losses(project)
    folder = tmp_path / "export"
    write_training_script(prepare(project), folder)
    run_script(folder, "--out", "out", launcher=(sys.executable,))
    assert script_losses(folder) == pytest.approx(expected, rel=1e-5)


def test_resume_goes_on_where_it_stopped(tmp_path):
    project = shapes_project(samples=200, training={"epochs": 2, "device": "cpu"})
    write_training_script(prepare(project), tmp_path)
    run_script(tmp_path, "--out", "straight", launcher=(sys.executable,))
    run_script(tmp_path, "--out", "parts", "--epochs", "1", launcher=(sys.executable,))
    run_script(tmp_path, "--out", "parts", "--epochs", "2", "--resume", launcher=(sys.executable,))
    assert script_losses(tmp_path, "parts") == script_losses(tmp_path, "straight")


def test_torchrun_with_two_cpu_processes_writes_one_weights_file(tmp_path):
    project = shapes_project(samples=256, training={"epochs": 1, "device": "cpu"})
    write_training_script(prepare(project), tmp_path)
    result = run_script(tmp_path, "--out", "ddp", "--device", "cpu",
                        launcher=(sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"))
    assert result.stdout.count("epoch 1/1") == 1  # only rank 0 reports and writes
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["Net.pt", "checkpoint.pt", "metrics.csv"]
    namespace = {}
    exec((tmp_path / "model.py").read_text(), namespace)
    namespace["Net"]().load_state_dict(torch.load(tmp_path / "ddp" / "Net.pt", weights_only=True))
    rows = list(csv.DictReader((tmp_path / "ddp" / "metrics.csv").open()))
    assert len(rows) == 1 and float(rows[0]["train_loss"]) > 0


def test_settings_are_readable_constants_and_strings_stay_strings(tmp_path):
    hostile = "x'\nimport os; os.system('touch pwned') #\""
    project = shapes_project(samples=64, data={"source": {"kind": "synthetic", "name": "shapes", "samples": 64}},
                             training={"epochs": 1, "device": "cpu"})
    run = prepare(project)
    run.settings.data.source["comment"] = hostile  # as if a project file carried it
    source = training_script(run)
    tree = ast.parse(source)
    first_function = next(i for i, n in enumerate(tree.body) if isinstance(n, ast.FunctionDef))
    constants = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body[:first_function]
                 if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert constants["SOURCE"]["comment"] == hostile
    assert constants["EPOCHS"] == 1 and constants["LOSS"] == "CrossEntropyLoss" and constants["SEED"] == 0
    assert "import builder" not in source and "from builder" not in source


ROOT = Path(__file__).parents[2]  # the project's pyproject.toml holds the ruff settings


def ruff_check(source, filename):
    """ruff's findings on a source, with the project's settings, as if it were the file named."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the dev extra: pip install -e '.[dev]')")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename", filename, "-"],
                            input=source, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def npz_regression(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "data").mkdir()
    np.savez(tmp_path / "data" / "table.npz", x=rng.random((40, 6), dtype=np.float32),
             y=rng.random((40, 1), dtype=np.float32))
    model = chain("Reg", [6], [("fc1", "Linear", {"out_features": 8}), ("act", "ReLU"),
                               ("fc2", "Linear", {"out_features": 1})])
    project = Project(models=[model], data={"source": {"kind": "npz", "path": "data/table.npz"}, "task": "regression"},
                      training={"epochs": 1, "device": "cpu", "loss": "MSELoss"})
    project.path = tmp_path / "reg.json"
    return project


def synthetic_classification(tmp_path):
    return shapes_project(samples=64, training={"epochs": 1, "device": "cpu"}, path=tmp_path / "shapes.json")


def image_folder_classification(tmp_path):
    from PIL import Image
    from projects import cnn

    for label, shade in (("a", 40), ("b", 200)):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(4):
            Image.new("L", (16, 16), color=shade + i).save(tmp_path / "imgs" / label / f"{i}.png")
    return shapes_project(cnn(classes=2), data={"source": {"kind": "image_folder", "path": "imgs"}},
                          training={"epochs": 1, "device": "cpu"}, path=tmp_path / "imgs.json")


def test_the_template_is_lint_clean_code_that_runs_nothing_on_import():
    assert callable(template.main)  # imported above, with no model.py anywhere: had it started training, it failed
    path = Path(template.__file__)
    ruff_check(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


@pytest.mark.parametrize("make_project", [synthetic_classification, npz_regression,
                                          image_folder_classification])
def test_the_written_script_compiles_and_is_lint_clean(tmp_path, make_project):
    source = training_script(prepare(make_project(tmp_path)))
    compile(source, "train.py", "exec")
    ruff_check(source, "train.py")


def test_a_project_file_name_cannot_end_the_docstring(tmp_path):
    name = 'x"""; import os; os.system("touch pwned"); """\\.json'
    source = training_script(prepare(shapes_project(samples=64, path=tmp_path / name)))
    tree = ast.parse(source)
    assert name in ast.get_docstring(tree)
    assert isinstance(tree.body[1], ast.ImportFrom) and tree.body[1].module == "__future__"  # straight after it
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "system"]


class Killed(Exception):
    """Stands for the process being killed."""


def import_file(name, path, monkeypatch):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # gone again after the test
    spec.loader.exec_module(module)
    return module


def test_a_checkpoint_save_killed_halfway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    write_training_script(prepare(shapes_project(samples=64, training={"epochs": 2, "device": "cpu"})), tmp_path)
    import_file("model", tmp_path / "model.py", monkeypatch)  # as `import model` finds it beside train.py
    script = import_file("exported_train", tmp_path / "train.py", monkeypatch)
    saves, save = [], torch.save

    def save_killed_on_the_second_call(obj, file):
        saves.append(obj)
        if len(saves) == 2:  # epoch 2's checkpoint: the run dies with half of it written
            file.write(b"half a checkpoint")
            raise Killed
        save(obj, file)

    monkeypatch.setattr(torch, "save", save_killed_on_the_second_call)
    monkeypatch.setattr(sys, "argv", ["train.py", "--out", str(tmp_path / "out")])
    with torch.random.fork_rng(devices=[]), pytest.raises(Killed):  # main() seeds the global generator
        script.main()
    assert torch.load(tmp_path / "out" / "checkpoint.pt", weights_only=True)["epoch"] == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["checkpoint.pt", "metrics.csv"]  # no leftovers


def test_the_script_takes_the_engines_speed_settings(tmp_path):
    images = settings_of(prepare(synthetic_classification(tmp_path)))
    assert (images["CHANNELS_LAST"], images["COMPILE"], images["THREADS"]) == (True, False, None)
    assert settings_of(prepare(npz_regression(tmp_path)))["CHANNELS_LAST"] is False  # vectors: nothing to gain
    off = shapes_project(samples=64, training={"channels_last": False, "compile": True, "threads": 3})
    assert [settings_of(prepare(off))[k] for k in ("CHANNELS_LAST", "COMPILE", "THREADS")] == [False, True, 3]
