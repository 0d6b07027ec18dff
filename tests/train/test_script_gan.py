"""A GAN project's standalone train.py: the app's losses and weights for the same seed, resume, plain readable code."""

import ast
import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from nets import small_gan_project
from PIL import Image

import builder.train.gan_script_template as template
from builder.cli import main
from builder.compile import build_classes
from builder.core.graph import Edge, Node
from builder.core.project import save_project
from builder.train.checkpoint import load_into, load_weights
from builder.train.gan import GanTrainer, prepare_gan
from builder.train.script import write_training_script
from builder.train.script_gan import gan_training_script

ROOT = Path(__file__).parents[2]  # the project's pyproject.toml holds the ruff settings


def run_script(folder, *args, env=None):
    result = subprocess.run([sys.executable, "train.py", *args], cwd=folder, capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def script_history(folder, out):
    """The script's epochs as it keeps them, unrounded: [epoch, d_loss, g_loss, d_real, d_fake, lr, seconds]."""
    return torch.load(folder / out / "checkpoint.pt", weights_only=True)["history"]


def values(history):
    return [row[1:5] for row in history]


def test_the_script_gives_the_apps_losses_and_weights_the_app_loads(tmp_path):
    """Two epochs with two D steps per batch and each side's own learning rate and betas: every epoch's losses and
    scores, and both final weights, are the app's to the bit (same CPU, same seed)."""
    project = small_gan_project(samples=96, epochs=2, d_steps=2, g_lr=0.001, d_betas=[0.3, 0.9])
    run = prepare_gan(project)
    app = GanTrainer(run)
    list(app)
    expected = [[r[k] for k in ("d_loss", "g_loss", "d_real", "d_fake")] for r in app.history]
    write_training_script(run, tmp_path)
    printed = run_script(tmp_path, "--out", "out").stdout
    assert values(script_history(tmp_path, "out")) == expected
    rows = list(csv.DictReader((tmp_path / "out" / "metrics.csv").open()))
    assert list(rows[0]) == ["epoch", "d_loss", "g_loss", "d_real", "d_fake", "lr", "seconds"]
    assert [float(rows[1][k]) for k in ("d_loss", "g_loss")] == pytest.approx(expected[1][:2], rel=1e-5)
    assert "epoch 2/2  d_loss" in printed
    classes = build_classes(run.code)  # the app loads them into its own classes, as File → Load Weights does
    for name, trained in (("G", app.generator), ("D", app.discriminator)):
        model = classes[name]()
        load_into(model, load_weights(tmp_path / "out" / f"{name}.pt"), f"{name}.pt")
        for key, value in trained.state_dict().items():
            assert torch.equal(model.state_dict()[key], value), (name, key)
    grid = Image.open(tmp_path / "out" / "samples_epoch2.png")
    assert grid.size == (8 * 18 + 2, 8 * 18 + 2) and grid.mode == "L"  # 64 gray 16×16 images, 2 pixels apart


def test_resume_goes_on_exactly_where_it_stopped(tmp_path):
    """1 epoch, then --resume to 2: the uninterrupted run's losses and weights (the app's, which the script's
    uninterrupted run gives, as above), so every state the next epoch draws from travelled in the checkpoint."""
    run = prepare_gan(small_gan_project(samples=64, epochs=2))
    app = GanTrainer(run)
    list(app)
    write_training_script(run, tmp_path)
    run_script(tmp_path, "--out", "parts", "--epochs", "1")
    run_script(tmp_path, "--out", "parts", "--epochs", "2", "--resume")
    assert values(script_history(tmp_path, "parts")) == [
        [r[k] for k in ("d_loss", "g_loss", "d_real", "d_fake")] for r in app.history]
    resumed = torch.load(tmp_path / "parts" / "G.pt", weights_only=True)
    assert all(torch.equal(resumed[k], v) for k, v in app.generator.state_dict().items())


def refusal(folder, *args, env=None):
    result = subprocess.run([sys.executable, "train.py", *args], cwd=folder, capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    return result.stderr.strip()


def test_torchrun_and_a_resume_with_nothing_to_resume_are_refused_in_one_line(tmp_path):
    write_training_script(prepare_gan(small_gan_project(samples=64, epochs=1)), tmp_path)
    assert refusal(tmp_path, env={**os.environ, "WORLD_SIZE": "2"}) == (
        "train.py: this GAN script trains on one device; run it with python, not torchrun")
    assert not (tmp_path / "runs").exists()
    assert refusal(tmp_path, "--out", "fresh", "--resume") == (
        f"train.py: {Path('fresh', 'checkpoint.pt')}: no checkpoint to resume from (run without --resume first)")


def test_settings_are_the_projects_as_plain_constants(tmp_path):
    project = small_gan_project(samples=64, epochs=3, d_steps=2, g_lr=0.001, d_betas=[0.3, 0.9], loss="BCELoss")
    d = project.models[1]  # BCELoss takes probabilities: D ends in a Sigmoid
    d.nodes.insert(-1, Node("sig", "Sigmoid"))
    d.edges = [e for e in d.edges if e.dst != "out"] + [Edge("flat", "sig"), Edge("sig", "out")]
    source = gan_training_script(prepare_gan(project))
    tree = ast.parse(source)
    first_function = next(i for i, n in enumerate(tree.body) if isinstance(n, ast.FunctionDef))
    constants = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body[:first_function]
                 if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert constants["GENERATOR"] == "G" and constants["DISCRIMINATOR"] == "D"
    assert constants["LATENT_SHAPE"] == (16, 1, 1) and constants["IMAGE_SHAPE"] == (1, 16, 16)
    assert constants["SCALE"] == (2.0, -1.0)  # G ends in Tanh: images in [-1, 1]
    assert constants["G_LR"] == 0.001 and constants["D_LR"] == 0.0005
    assert constants["G_OPTIONS"] == {"betas": (0.5, 0.999)} and constants["D_OPTIONS"] == {"betas": (0.3, 0.9)}
    assert constants["D_STEPS"] == 2 and constants["EPOCHS"] == 3 and constants["LOSS"] == "BCELoss"
    assert constants["LOSS_TAKES_LOGITS"] is False
    assert "import builder" not in source and "from builder" not in source
    assert "def split_indices" not in source  # a GAN learns from every image: no split to carry


def ruff_check(source, filename):
    """ruff's findings on a source, with the project's settings, as if it were the file named."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the dev extra: pip install -e '.[dev]')")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename", filename, "-"],
                            input=source, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_and_the_written_script_are_lint_clean_code():
    assert callable(template.main)  # imported above with no model.py anywhere: had it started training, it failed
    path = Path(template.__file__)
    ruff_check(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    source = gan_training_script(prepare_gan(small_gan_project(samples=64, epochs=1)))
    compile(source, "train.py", "exec")
    ruff_check(source, "train.py")


def test_builder_export_writes_a_gans_script(tmp_path, capsys):
    path = tmp_path / "gan.json"
    save_project(small_gan_project(samples=64, epochs=1), path)
    assert main(["export", str(path), "--train-script", str(tmp_path / "script")]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "script").iterdir()) == ["model.py", "train.py"]
    assert printed.strip().endswith(f"python {tmp_path / 'script' / 'train.py'}") and "torchrun" not in printed
