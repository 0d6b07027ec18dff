"""Project templates: the example and well-known networks, ready to train on the built-in data.

Each template is a project file shipped inside the package (`builder/assets/templates/`), read with
importlib.resources so that an installed wheel has them too; the registry lists them in menu order
with a title and a one-line description for a learner. A loaded template has no path, so the app
and `builder new` treat it as a new project that has not been saved yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from builder.core.i18n import N_, tr
from builder.core.project import Project, parse_project

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

EXAMPLE = "example"  # the project `builder` opens when it is given none


@dataclass(frozen=True)
class Template:
    name: str  # the file's stem in builder/assets/templates, and the name `builder new` takes
    title: str  # marked with N_: tr(title) where it is shown
    description: str  # one line: what the network is and what it learns (N_, tr where shown)


TEMPLATES: tuple[Template, ...] = (
    Template(EXAMPLE, N_("Shapes classifier (the example)"),
             N_("A small CNN that learns to tell four shapes apart on the built-in data in a few seconds: "
                "the project NN Builder opens with.")),
    Template("lenet", N_("LeNet"),
             N_("The classic small CNN (LeCun, 1998): two conv + pool stages and three Linear layers "
                "learn to tell the four shapes apart.")),
    Template("vgg_small", N_("Small VGG"),
             N_("Stages of two 3×3 convs with BatchNorm and ReLU, then a max pool: a VGG-style net that "
                "classifies colour shape images.")),
    Template("resnet_small", N_("ResNet-style"),
             N_("Residual blocks add each block's input back to its output (Add), one with a strided 1×1 conv "
                "on the skip; classifies colour shape images.")),
    Template("resnet18", N_("ResNet-18"),
             N_("The ResNet-18 layout (four stages of two residual blocks) built from BasicBlock and DownBlock "
                "modules, each used many times; classifies colour shape images.")),
    Template("unet_small", N_("U-Net-style"),
             N_("An encoder-decoder whose upsampled features are joined with the encoder's (Concat): "
                "learns to mark each pixel of the shape (segmentation).")),
    Template("conv_autoencoder", N_("Convolutional autoencoder"),
             N_("Strided convs squeeze an image into 16 numbers and transposed convs rebuild it: "
                "learns a compact code of the shapes.")),
    Template("dcgan", N_("DCGAN pair"),
             N_("A generator (G) turns 64 random numbers into a 32×32 image and a discriminator (D) scores "
                "images as real or fake: the two models of a GAN.")),
)


def templates_folder() -> Traversable:
    """The packaged templates, wherever the package is installed (a checkout, a wheel, a zip)."""
    return resources.files("builder") / "assets" / "templates"


def template(name: str) -> Template:
    for item in TEMPLATES:
        if item.name == name:
            return item
    known = ", ".join(t.name for t in TEMPLATES)
    raise KeyError(tr("no template named '{name}' (templates: {templates})", name=name, templates=known))


def template_file(name: str) -> Traversable:
    return templates_folder() / f"{template(name).name}.json"


def template_text(name: str) -> str:
    """The template's project file as written, for `builder new` to copy."""
    return template_file(name).read_text(encoding="utf-8")


def load_template(name: str) -> Project:
    """A new, unsaved project made from the template: its path is None, so saving asks where."""
    return parse_project(template_text(name), source=tr("template '{name}'", name=name))
