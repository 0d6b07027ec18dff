"""The standalone train.py: runs with plain torch, matches the app's first epoch, scales out with torchrun."""

import ast
import csv
import subprocess
import sys

import numpy as np
import pytest
import torch
from graphs import chain
from projects import shapes_project

from builder.core.project import Project
from builder.train.engine import Trainer
from builder.train.events import EpochEnd
from builder.train.script import training_script, write_training_script
from builder.train.setup import prepare


def app_losses(project):
    return [e.record.train_loss for e in Trainer(prepare(project)) if isinstance(e, EpochEnd)]


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
