"""Project templates: well-known networks, ready to train on the built-in data, to start a project from.

Each template is a project file in the repository's `assets/templates/`; the registry lists them in
menu order with a title and a one-line description for a learner. A loaded template has no path, so
the app treats it as a new project that has not been saved yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.core.project import Project, load_project


@dataclass(frozen=True)
class Template:
    name: str  # the file's stem in assets/templates
    title: str
    description: str  # one line: what the network is and what it learns


TEMPLATES: tuple[Template, ...] = (
    Template("lenet", "LeNet",
             "The classic small CNN (LeCun, 1998): two conv + pool stages and three Linear layers "
             "learn to tell the four shapes apart."),
    Template("vgg_small", "Small VGG",
             "Stages of two 3×3 convs with BatchNorm and ReLU, then a max pool: a VGG-style net that "
             "classifies colour shape images."),
    Template("resnet_small", "ResNet-style",
             "Residual blocks add each block's input back to its output (Add), one with a strided 1×1 conv "
             "on the skip; classifies colour shape images."),
    Template("unet_small", "U-Net-style",
             "An encoder-decoder whose upsampled features are joined with the encoder's (Concat): "
             "learns to mark each pixel of the shape (segmentation)."),
    Template("conv_autoencoder", "Convolutional autoencoder",
             "Strided convs squeeze an image into 16 numbers and transposed convs rebuild it: "
             "learns a compact code of the shapes."),
    Template("dcgan", "DCGAN pair",
             "A generator (G) turns 64 random numbers into a 32×32 image and a discriminator (D) scores "
             "images as real or fake: the two models of a GAN."),
)


def templates_folder() -> Path:
    """The repository's assets/templates (this file is builder/core/templates.py)."""
    return Path(__file__).resolve().parent.parent.parent / "assets" / "templates"


def template(name: str) -> Template:
    for item in TEMPLATES:
        if item.name == name:
            return item
    known = ", ".join(t.name for t in TEMPLATES)
    raise KeyError(f"no template named '{name}' (templates: {known})")


def template_path(name: str) -> Path:
    return templates_folder() / f"{template(name).name}.json"


def load_template(name: str) -> Project:
    """A new, unsaved project made from the template: its path is None, so saving asks where."""
    project = load_project(template_path(name))
    project.path = None
    return project
