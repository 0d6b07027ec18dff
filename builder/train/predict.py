"""Trying a trained classifier on files: each image read as the data readers read them (converted to the
Input's channels and resized to its height and width), the model's output turned into class probabilities as
its loss reads it, the class names taken from where they were kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from builder.core.i18n import tr
from builder.core.shapes import Shape, format_shape
from builder.train.checkpoint import classes_in
from builder.train.data.base import DataError
from builder.train.data.images import MODES, read_image
from builder.train.losses import LOSSES
from builder.train.outputs import CLASSES_FILE


class PredictError(Exception):
    """A file or a model that cannot be tried; the message names it."""


def read_sample(path: Path, shape: Shape) -> torch.Tensor:
    """An image file as one sample for an Input of `shape` (C×H×W): floats in [0, 1], as training reads it."""
    if len(shape) != 3 or shape[0] not in MODES:
        raise PredictError(tr("the model's Input is {shape}; only images (1, 3 or 4 channels × height × width) can "
                              "be read from files", shape=format_shape(shape)))
    try:
        array = read_image(path, MODES[shape[0]], shape[1:], path.parent)
    except DataError as exc:
        raise PredictError(str(exc).replace(path.name, str(path), 1)) from None
    return _tensor(array)


def sample_from_image(image, shape: Shape) -> torch.Tensor:
    """A Pillow image (pasted, say) as one sample for an Input of `shape`, converted as read_sample converts."""
    from PIL import Image

    if len(shape) != 3 or shape[0] not in MODES:
        raise PredictError(tr("the model's Input is {shape}; only images can be tried", shape=format_shape(shape)))
    image = image.convert(MODES[shape[0]]) if image.mode != MODES[shape[0]] else image
    if image.size != (shape[2], shape[1]):
        image = image.resize((shape[2], shape[1]), Image.Resampling.BILINEAR)
    array = np.array(image)
    return _tensor(array[:, :, None] if array.ndim == 2 else array)


def _tensor(array: np.ndarray) -> torch.Tensor:
    """uint8 H×W×C -> floats C×H×W in [0, 1], as the data readers make them."""
    return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float().div(255)


def probabilities(output: torch.Tensor, loss_name: str) -> torch.Tensor:
    """One sample's output as probabilities per class, as the loss it was trained with reads it: softmax of
    scores (CrossEntropyLoss), sigmoid of one output for two classes (BCEWithLogitsLoss), probabilities as
    they are (BCELoss after a Sigmoid)."""
    output = output.reshape(-1).float()
    expects = LOSSES[loss_name].expects if loss_name in LOSSES else "logits"
    if output.numel() == 1:
        p = torch.sigmoid(output) if expects == "logits" else output.clamp(0, 1)
        return torch.cat([1 - p, p])
    if expects == "probabilities":
        return output.clamp(0, 1) / output.clamp(0, 1).sum().clamp_min(1e-12)
    return torch.softmax(output, 0)


@dataclass(frozen=True)
class Ranked:
    label: int
    name: str
    probability: float


def top(probs: torch.Tensor, k: int, classes: list[str] | None) -> list[Ranked]:
    values, labels = probs.topk(min(k, probs.numel()))
    return [Ranked(int(i), _name(int(i), classes), float(v)) for v, i in zip(values, labels)]


def _name(label: int, classes: list[str] | None) -> str:
    return classes[label] if classes is not None and label < len(classes) else f"class {label}"


def kept_classes(weights: Path) -> list[str] | None:
    """The class names kept with a weights file: in its own metadata (safetensors), else classes.json beside it
    (as exports write it); None when there are none."""
    names = classes_in(weights)
    if names is not None:
        return names
    beside = weights.with_name(CLASSES_FILE)
    try:
        loaded = json.loads(beside.read_text(encoding="utf-8")) if beside.is_file() else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return loaded if isinstance(loaded, list) and all(isinstance(n, str) for n in loaded) else None


@dataclass
class Tried:
    """A project's model with weights loaded, ready to try on samples."""

    model_name: str
    module: torch.nn.Module
    code: object  # GeneratedCode
    input_shape: Shape
    task: str
    loss: str
    classes: list[str] | None

    def probabilities(self, sample: torch.Tensor) -> torch.Tensor:
        self.module.eval()
        with torch.inference_mode():
            return probabilities(self.module(sample.unsqueeze(0))[0], self.loss)


def tried_from(project, trained=None, model_name: str | None = None) -> Tried:
    """The project's trained model with a run's weights (a TrainedModel), or freshly initialized without one."""
    from builder.blocks.check import check_model
    from builder.compile import build_classes, generate_code
    from builder.train.config import parse_settings

    settings = parse_settings(project)
    name = trained.model_name if trained is not None else model_name or settings.training.model or \
        project.models[0].name
    report = check_model(project.model(name), project)
    code = trained.code if trained is not None else generate_code(project, [name])
    module = build_classes(code)[name]()
    if trained is not None:
        module.load_state_dict(trained.state)
    shape = report.infos[report.inputs[0]].shape
    classes = trained.classes if trained is not None else None
    return Tried(name, module.eval(), code, shape, settings.data.task, settings.training.loss, classes)


def load_trained(project, weights: Path | None, model_name: str | None = None) -> Tried:
    """The project's trained model (training.model, else the first) with the weights file loaded (None: freshly
    initialized); CheckpointError when the weights do not fit, ConfigError for the project's settings."""
    from builder.blocks.check import check_model
    from builder.compile import build_classes, generate_code
    from builder.train.config import parse_settings
    from builder.train.weights import load_for_model

    settings = parse_settings(project)
    name = model_name or settings.training.model or project.models[0].name
    report = check_model(project.model(name), project)
    if weights is not None:
        code, state = load_for_model(project, name, weights)
        module = build_classes(code)[name]()
        module.load_state_dict(state)
    else:
        code = generate_code(project, [name])
        module = build_classes(code)[name]()
    shape = report.infos[report.inputs[0]].shape
    classes = kept_classes(weights) if weights is not None else None
    return Tried(name, module.eval(), code, shape, settings.data.task, settings.training.loss, classes)
