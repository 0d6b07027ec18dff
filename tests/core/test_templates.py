"""Project templates: all registered and present, each checks clean and trains on the built-in data."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from builder.blocks.check import check_model
from builder.compile.codegen import generate_code
from builder.core.layout import NODE_SPAN, layered_positions
from builder.core.templates import EXAMPLE, TEMPLATES, Template, load_template, template_file, templates_folder
from builder.train.engine import Trainer
from builder.train.events import EpochEnd, Failed, Finished
from builder.train.lints import training_lints
from builder.train.setup import prepare

NAMES = [t.name for t in TEMPLATES]
TRAINABLE = [name for name in NAMES if name != "dcgan"]
ROOT = Path(__file__).parents[2]  # the project's pyproject.toml holds the ruff settings


def test_every_template_has_its_file_and_every_file_is_registered():
    files = {path.name.removesuffix(".json") for path in templates_folder().iterdir() if path.name.endswith(".json")}
    assert files == set(NAMES)
    assert len(NAMES) == len(set(NAMES))
    assert NAMES[0] == EXAMPLE and NAMES[-1] == "dcgan"
    for item in TEMPLATES:
        assert isinstance(item, Template)
        assert item.title and item.description and "\n" not in item.description
        assert template_file(item.name).is_file()


def test_an_unknown_name_is_a_clear_key_error():
    with pytest.raises(KeyError, match="no template named 'alexnet'.*lenet"):
        load_template("alexnet")


@pytest.mark.parametrize("name", NAMES)
def test_loads_as_a_new_project_whose_models_check_clean(name):
    """Each model checks clean through the project: the top one (first) as it trains, a module in its own
    defaults (what its definition shows); the top model takes one Input and gives one Output."""
    project = load_template(name)
    assert project.path is None
    assert project.models
    for model in project.models:
        report = check_model(model, project)
        assert report.problems == [], [str(p) for p in report.problems]
        if not _used(project, model.name):  # a top model (the first, or dcgan's G and D); U-Net's Up takes two
            assert len(report.inputs) == 1 and len(report.outputs) == 1, model.name
        # No conv bias right before BatchNorm (the training lint), whatever the loss.
        lints = training_lints(report, "MSELoss", "regression")
        assert lints == [], [str(p) for p in lints]
        for node in model.nodes:
            assert node.ui is not None and len(node.ui["pos"]) == 2, node.id
        positions = sorted(tuple(node.ui["pos"]) for node in model.nodes)
        for i, (x, y) in enumerate(positions):  # a block is 87 px tall, a few px more with many inputs
            near = [(x2, y2) for x2, y2 in positions[i + 1:] if abs(x - x2) < NODE_SPAN and abs(y - y2) < 100]
            assert not near, f"{model.name}: nodes overlap at {(x, y)}"


def _used(project, name: str) -> bool:
    return any(node.type == name for model in project.models for node in model.nodes)


@pytest.mark.parametrize("name", [name for name in NAMES if name != EXAMPLE])
def test_laid_out_as_auto_layout_lays_them_out(name):
    """So Auto Layout on a new project from a template moves nothing (the example is placed by hand)."""
    project = load_template(name)
    modules = {m.name: m for m in project.models}
    for model in project.models:
        assert {node.id: tuple(node.ui["pos"]) for node in model.nodes} == layered_positions(model, modules=modules), \
            model.name


def test_dcgan_generator_makes_what_the_discriminator_takes():
    project = load_template("dcgan")
    generator, discriminator = (check_model(project.model(name)) for name in ("G", "D"))
    fake = generator.infos[generator.outputs[0]].shape
    taken = discriminator.infos[discriminator.inputs[0]].shape
    assert tuple(fake) == tuple(taken) == (1, 32, 32)
    assert tuple(generator.infos[generator.inputs[0]].shape) == (64, 1, 1)
    assert tuple(discriminator.infos[discriminator.outputs[0]].shape) == (1,)
    assert project.training["mode"] == "gan" and project.training["generator"] == "G"
    assert project.data["source"]["name"] == "shapes"


def test_the_dcgan_template_trains_as_a_gan():
    from builder.train.events import EpochEnd
    from builder.train.gan import GanTrainer, prepare_gan

    project = load_template("dcgan")
    project.data["source"]["samples"] = 128
    run = prepare_gan(project, epochs=1, device="cpu")
    assert run.warnings == [] and run.scale == (2.0, -1.0)  # Tanh: real images scaled to [-1, 1]
    events = list(GanTrainer(run))
    assert isinstance(events[-1], Finished) and sum(isinstance(e, EpochEnd) for e in events) == 1


# The templates built from modules: each use of the top model, and the module it uses.
USES = {
    "resnet18": {f"layer{stage}.{index}": "DownBlock" if index == 0 and stage > 1 else "BasicBlock"
                 for stage in (1, 2, 3, 4) for index in (0, 1)},
    "unet_small": {"inc": "DoubleConv", "down1": "Down", "down2": "Down", "up1": "Up", "up2": "Up"},
    "conv_autoencoder": {"encoder": "Encoder", "decoder": "Decoder"},
}

# state_dict keys the trained module has, as a hand-written one would name them.
KEYS = {
    "resnet18": ["conv1.weight", "layer1.0.conv1.weight", "layer1.1.bn2.running_mean", "layer2.0.conv1.weight",
                 "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight", "layer4.1.conv2.weight",
                 "fc.weight"],
    "unet_small": ["inc.conv1.weight", "down1.conv.conv2.weight", "up1.up.weight", "up2.conv.bn1.weight",
                   "outc.weight"],
    "conv_autoencoder": ["encoder.conv1.weight", "encoder.code.weight", "decoder.deconv1.weight",
                         "decoder.deconv3.bias"],
}


@pytest.mark.parametrize("name", NAMES)
def test_the_code_of_every_template_compiles_and_is_lint_clean(name):
    source = generate_code(load_template(name)).source
    compile(source, "model.py", "exec")
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the dev extra: pip install -e '.[dev]')")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename", "model.py", "-"],
                            input=source, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(USES))
def test_module_templates_build_their_top_model_from_uses(name):
    project = load_template(name)
    top = check_model(project.models[0], project)
    assert top.uses == USES[name]
    assert all(top.infos[use].inner is not None for use in top.uses)  # checked through, with the shapes that reach it
    for model in project.models[1:]:
        assert _used(project, model.name), f"{model.name} is used nowhere"


def test_resnet18_is_four_stages_of_two_blocks_with_planes_doubling():
    project = load_template("resnet18")
    top = check_model(project.models[0], project)
    planes = [top.infos[f"layer{stage}.0"].shape[0] for stage in (1, 2, 3, 4)]
    assert planes == [16, 32, 64, 128]
    assert [project.models[0].node(f"layer{s}.0").params.get("stride", 1) for s in (1, 2, 3, 4)] == [1, 2, 2, 2]
    assert tuple(top.infos["layer4.1"].shape) == (128, 4, 4)
    # The same template takes 64x64 images: only the Input changes.
    project.models[0].node("image").params["shape"] = [3, 64, 64]
    bigger = check_model(project.models[0], project)
    assert bigger.problems == [] and tuple(bigger.infos["layer4.1"].shape) == (128, 8, 8)


@pytest.mark.parametrize("name", TRAINABLE)
def test_trains_one_epoch_on_the_built_in_data(name):
    project = load_template(name)
    project.data["source"]["samples"] = 200
    run = prepare(project, epochs=1, device="cpu")
    assert run.warnings == [], [str(w) for w in run.warnings]
    trainer = Trainer(run)
    events = list(trainer)
    assert not any(isinstance(e, Failed) for e in events), events[-1]
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert sum(isinstance(e, EpochEnd) for e in events) == 1
    keys = set(trainer.model.state_dict())
    assert set(KEYS.get(name, [])) <= keys, sorted(keys)
