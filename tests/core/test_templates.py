"""Project templates: all registered and present, each checks clean and trains on the built-in data."""

import pytest

from builder.blocks.check import check_model
from builder.core.layout import NODE_SPAN, layered_positions
from builder.core.templates import EXAMPLE, TEMPLATES, Template, load_template, template_file, templates_folder
from builder.train.engine import Trainer
from builder.train.events import EpochEnd, Failed, Finished
from builder.train.lints import training_lints
from builder.train.setup import prepare

NAMES = [t.name for t in TEMPLATES]
TRAINABLE = [name for name in NAMES if name != "dcgan"]


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
    project = load_template(name)
    assert project.path is None
    assert project.models
    for model in project.models:
        report = check_model(model)
        assert report.problems == [], [str(p) for p in report.problems]
        assert len(report.inputs) == 1 and len(report.outputs) == 1
        # No conv bias right before BatchNorm (the training lint), whatever the loss.
        lints = training_lints(report, "MSELoss", "regression")
        assert lints == [], [str(p) for p in lints]
        for node in model.nodes:
            assert node.ui is not None and len(node.ui["pos"]) == 2, node.id
        positions = sorted(tuple(node.ui["pos"]) for node in model.nodes)
        for i, (x, y) in enumerate(positions):  # a block is 87 px tall, a few px more with many inputs
            near = [(x2, y2) for x2, y2 in positions[i + 1:] if abs(x - x2) < NODE_SPAN and abs(y - y2) < 100]
            assert not near, f"{model.name}: nodes overlap at {(x, y)}"


@pytest.mark.parametrize("name", [name for name in NAMES if name != EXAMPLE])
def test_laid_out_as_auto_layout_lays_them_out(name):
    """So Auto Layout on a new project from a template moves nothing (the example is placed by hand)."""
    for model in load_template(name).models:
        assert {node.id: tuple(node.ui["pos"]) for node in model.nodes} == layered_positions(model), model.name


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


@pytest.mark.parametrize("name", TRAINABLE)
def test_trains_one_epoch_on_the_built_in_data(name):
    project = load_template(name)
    project.data["source"]["samples"] = 200
    run = prepare(project, epochs=1, device="cpu")
    assert run.warnings == [], [str(w) for w in run.warnings]
    events = list(Trainer(run))
    assert not any(isinstance(e, Failed) for e in events), events[-1]
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert sum(isinstance(e, EpochEnd) for e in events) == 1
