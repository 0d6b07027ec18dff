"""Weights kept beside the project: written and read back for supervised and GAN runs, checked against the
graph as it is now, and a project file's names never lead outside the runs folder."""

import pytest
import torch
from nets import small_gan_project
from projects import cnn, shapes_project

from builder.train import kept
from builder.train.checkpoint import CheckpointError
from builder.train.engine import Trainer
from builder.train.gan import GanTrainer, TrainedGan, prepare_gan
from builder.train.setup import prepare


def record(run_id, trained, model):
    return {"id": run_id, "model": model, "weights": kept.file_names(run_id, trained), "epochs": []}


def test_a_supervised_run_round_trips_with_its_normalization(tmp_path):
    project = shapes_project(cnn(), samples=96, data={"normalize": True}, training={"epochs": 1, "device": "cpu"})
    project.path = tmp_path / "net.json"
    trainer = Trainer(prepare(project))
    list(trainer)
    trained = trainer.trained()
    kept.write(kept.runs_folder(project.path), "r1", trained)
    back = kept.read(project, record("r1", trained, "Net"))
    assert back.state.keys() == trained.state.keys()
    assert all(torch.equal(back.state[k], trained.state[k]) for k in trained.state)
    assert "register_buffer" in back.code.source  # the normalization travelled in the weights


def test_a_gan_run_round_trips_and_draws(tmp_path):
    project = small_gan_project(samples=64, epochs=1)
    project.path = tmp_path / "gan.json"
    trainer = GanTrainer(prepare_gan(project))
    list(trainer)
    trained = trainer.trained()
    assert set(kept.file_names("g1", trained)) == {"generator", "discriminator"}
    kept.write(kept.runs_folder(project.path), "g1", trained)
    back = kept.read(project, record("g1", trained, "G vs D"))
    assert isinstance(back, TrainedGan)
    assert torch.equal(torch.tensor(back.generate().images), torch.tensor(trained.generate().images))
    assert sorted(p.name for p in back.export_folder(tmp_path / "out"))[:2] == ["D.pt", "D.safetensors"]


def test_weights_that_no_longer_fit_the_graph_are_refused_by_name(tmp_path):
    project = shapes_project(cnn(), samples=96, training={"epochs": 1, "device": "cpu"})
    project.path = tmp_path / "net.json"
    trainer = Trainer(prepare(project))
    list(trainer)
    kept.write(kept.runs_folder(project.path), "r1", trainer.trained())
    project.model("Net").node("fc").params["out_features"] = 7
    with pytest.raises(CheckpointError, match="fc.weight"):
        kept.read(project, record("r1", trainer.trained(), "Net"))


def test_names_from_the_project_file_stay_inside_the_runs_folder(tmp_path):
    project = shapes_project(cnn())
    project.path = tmp_path / "net.json"
    for hostile in ("../secret.safetensors", "/etc/passwd", "a/b.safetensors", "x.pt", ""):
        with pytest.raises(CheckpointError, match="no weights were kept"):
            kept.read(project, {"id": "r", "model": "Net", "weights": {"model": hostile}})
    assert kept.current_run([{"id": 1, "weights": {"model": "../x.safetensors"}, "current": True}]) is None
