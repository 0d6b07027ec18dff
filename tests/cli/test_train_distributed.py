"""`builder train --nproc-per-node 2 --device cpu`: two processes (gloo) train one model; the command writes
what one process writes, resumes exactly, and Ctrl-C stops every process."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from projects import shapes_project

from builder.cli import main
from builder.core.project import save_project
from builder.train.engine import evaluate, make_loaders
from builder.train.setup import prepare

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

SINGLE_PROCESS_FILES = ["Net.pt", "Net.safetensors", "README.md", "checkpoint.pt", "classes.json", "metrics.csv",
                        "model.py"]


def saved(tmp_path, **training):
    project = shapes_project(samples=120, data={"batch_size": 16}, training={"epochs": 1, **training})
    path = tmp_path / "shapes.json"
    save_project(project, path)
    return path, project


def rows(folder):
    return list(csv.DictReader((folder / "metrics.csv").open()))


def test_two_processes_write_one_set_of_files_whose_figures_hold_and_resume_exactly(tmp_path, capsys):
    path, project = saved(tmp_path)
    out = tmp_path / "run"
    assert main(["train", str(path), "--nproc-per-node", "2", "--out", str(out)]) == 0
    assert "2 processes × batch 16" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == SINGLE_PROCESS_FILES
    run = prepare(project)
    model = run.model_class()
    model.load_state_dict(torch.load(out / "Net.pt", weights_only=True), strict=True)
    # The validation figures the processes added up are those of the whole split under these weights.
    whole = evaluate(model, make_loaders(run, torch.Generator())[1], run.objective, torch.device("cpu"))
    first = rows(out)
    assert float(first[0]["val_loss"]) == pytest.approx(whole.loss, rel=1e-4)
    assert float(first[0]["val_accuracy"]) == pytest.approx(whole.accuracy)

    assert main(["train", str(path), "--nproc-per-node", "2", "--out", str(out), "--epochs", "2", "--resume"]) == 0
    assert "resuming after epoch 1" in capsys.readouterr().err
    resumed = rows(out)
    assert [r["epoch"] for r in resumed] == ["1", "2"] and resumed[0] == first[0]
    straight = tmp_path / "straight"
    assert main(["train", str(path), "--nproc-per-node", "2", "--out", str(straight), "--epochs", "2"]) == 0
    for key in ("train_loss", "val_loss", "val_accuracy"):
        assert [r[key] for r in rows(straight)] == [r[key] for r in resumed], key
    for key, value in torch.load(straight / "Net.pt", weights_only=True).items():
        torch.testing.assert_close(torch.load(out / "Net.pt", weights_only=True)[key], value)


def test_ctrl_c_stops_every_process_and_keeps_the_weights(tmp_path):
    path, _project = saved(tmp_path, epochs=500)
    out = tmp_path / "run"
    log = tmp_path / "train.log"
    with log.open("w") as handle:  # a session of its own: Ctrl-C at a terminal reaches its whole process group
        process = subprocess.Popen([sys.executable, "-m", "builder", "train", str(path), "--nproc-per-node", "2",
                                    "--out", str(out)], stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while "epoch 1/500" not in log.read_text() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert "epoch 1/500" in log.read_text(), log.read_text()
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=120) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    text = log.read_text()
    assert "stopping after this batch" in text and "stopped by request" in text, text
    assert "Traceback" not in text and (out / "Net.pt").exists()
    assert not group_alive(process.pid, seconds=20)  # no process of the run is left (given time to exit)


def group_alive(group: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.2)
    return True
