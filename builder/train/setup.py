"""Preparing a training run: settings, model, data and loss, all checked before the first step.

Every problem found is reported at once, each in one line that names the node, key or file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from builder.blocks.check import ModelReport, check_model
from builder.compile import build_classes, generate_code
from builder.compile.codegen import GeneratedCode
from builder.core.problems import Problem
from builder.core.project import Project
from builder.core.shapes import Shape, format_shape
from builder.train.batches import Split, channel_stats, split_indices, stats_from_dataset
from builder.train.config import ConfigError, Settings, parse_settings
from builder.train.data.base import DataError, LoadedData, SourceRequest
from builder.train.data.sources import load_source
from builder.train.devices import DeviceError, resolve_device
from builder.train.lints import training_lints
from builder.train.losses import BINARY_OR_ONE_HOT, INDEX, LOSSES
from builder.train.objective import Objective


class SetupError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Run:
    """A training run, prepared and checked: what the engine needs and nothing it must look up."""

    project: Project
    settings: Settings
    model_name: str
    report: ModelReport
    code: GeneratedCode  # the source the model is built from (and exported as model.py)
    model_class: type[nn.Module]
    data: LoadedData
    split: Split
    objective: Objective
    device: torch.device
    warnings: list[Problem]
    normalization: tuple[list[float], list[float]] | None = None

    @property
    def class_name(self) -> str:
        return self.code.class_names[self.model_name]

    def new_model(self) -> nn.Module:
        """A freshly initialized model: the same seed always gives the same weights."""
        torch.manual_seed(self.settings.training.seed)
        return self.model_class()


def settings_for(project: Project, epochs: int | None = None, device: str | None = None) -> Settings:
    """The project's settings, with the command line's epochs and device over them."""
    try:
        settings = parse_settings(project)
    except ConfigError as exc:
        raise SetupError(exc.problems) from None
    if epochs is None and device is None:
        return settings
    training = settings.training
    training = replace(training, epochs=epochs or training.epochs, device=device or training.device)
    return replace(settings, training=training)


def prepare(project: Project, epochs: int | None = None, device: str | None = None) -> Run:
    settings = settings_for(project, epochs, device)
    training = settings.training

    model_name = training.model or (project.models[0].name if project.models else "")
    try:
        model = project.model(model_name)
    except KeyError as exc:
        raise SetupError([f"training.model: {exc.args[0]}"]) from None
    report = check_model(model)
    if report.errors:
        raise SetupError([f"{model_name}/{p}" if p.node else f"{model_name}: {p}" for p in report.errors])
    if len(report.inputs) != 1 or len(report.outputs) != 1:
        raise SetupError([f"{model_name}: training needs one Input and one Output; the model has "
                          f"{len(report.inputs)} and {len(report.outputs)}"])
    try:
        torch_device = resolve_device(training.device)
    except DeviceError as exc:
        raise SetupError([f"training.device: {exc}"]) from None

    input_shape = report.infos[report.inputs[0]].shape
    output_shape = report.infos[report.outputs[0]].shape
    request = SourceRequest(spec=settings.data.source, input_shape=input_shape, output_shape=output_shape,
                            task=settings.data.task, folder=project.folder, seed=_data_seed(settings),
                            in_memory=settings.data.in_memory)
    try:
        data = load_source(request)
    except DataError as exc:
        raise SetupError([f"data.source: {exc}"]) from None
    if len(data.dataset) < 2:
        raise SetupError([f"data.source: {len(data.dataset)} sample(s) is too few to train and validate on"])
    split = split_indices(len(data.dataset), settings.data.val_split, _data_seed(settings))

    objective = _objective(settings, report, data, output_shape)  # raises SetupError on a misfit
    normalization = _normalization(data, split) if settings.data.normalize else None
    norm = {model_name: {report.inputs[0]: normalization}} if normalization else None
    code = generate_code(project, [model_name], normalization=norm)
    model_class = build_classes(code)[model_name]
    warnings = training_lints(report, training.loss, settings.data.task)
    if training.mixed_precision and torch_device.type != "cuda":
        warnings.append(Problem(None, "mixed_precision only applies on CUDA; training in float32 on the CPU",
                                warning=True))
    return Run(project, settings, model_name, report, code, model_class, data, split, objective, torch_device,
               warnings, normalization)


def _data_seed(settings: Settings) -> int:
    return settings.data.seed if settings.data.seed is not None else settings.training.seed


def _normalization(data: LoadedData, split: Split) -> tuple[list[float], list[float]]:
    """Mean and std of the training split only: the validation split must stay unseen."""
    if data.tensors is not None:
        return channel_stats(data.tensors[0][split.train])
    return stats_from_dataset(data.dataset, split.train)


def _objective(settings: Settings, report: ModelReport, data: LoadedData, output: Shape) -> Objective:
    task, loss_name = settings.data.task, settings.training.loss
    spec = LOSSES[loss_name]
    out_node = report.outputs[0]
    source = report.sources[out_node][0]
    where = f"Output '{out_node}' (from '{source}')"
    if task != "classification":
        if not spec.takes_values:
            raise SetupError([f"training.loss: {loss_name} needs class labels but the task is {task}: use MSELoss "
                              f"or L1Loss (or BCELoss for values in [0, 1])"])
        target = report.infos[report.inputs[0]].shape if task == "reconstruction" else _target_shape(data)
        if target is not None and tuple(target) != tuple(output):
            what = "the input" if task == "reconstruction" else "the targets"
            raise SetupError([f"{where} gives {format_shape(output)} per sample but {what} are "
                              f"{format_shape(target)}: {task} needs the same shape"])
        return Objective(task, spec, spec.make(), None, single_output=False)

    classes = len(data.classes or [])
    if classes < 2:
        raise SetupError([f"data.source: classification needs at least 2 classes, the data has {classes}"])
    single = output == (1,) and spec.classification == BINARY_OR_ONE_HOT
    if single and classes != 2:
        raise SetupError([f"{where} gives 1 value per sample, which fits 2 classes, but the data has {classes}: "
                          f"set {source}'s outputs to {classes} or use CrossEntropyLoss"])
    if not single and output != (classes,):
        fix = f"set {source}'s out_features to {classes}" if report.type_of(source) == "Linear" else \
            f"make it give {classes} values"
        shape = f"{output[0]} features" if len(output) == 1 else format_shape(output)
        raise SetupError([f"{where} has {shape} but the data has {classes} classes: {fix}"])
    if spec.classification == INDEX and single:
        raise SetupError([f"training.loss: {loss_name} needs one output per class"])
    return Objective(task, spec, spec.make(), classes, single_output=single)


def _target_shape(data: LoadedData) -> Shape | None:
    if data.tensors is not None and data.tensors[1] is not None:
        return tuple(data.tensors[1].shape[1:])
    _x, y = data.dataset[0]
    return tuple(y.shape)


def readiness(project: Project, model_report: ModelReport | None = None) -> list[str]:
    """Why training cannot start yet, found without reading any data (fast enough for every edit).

    The full check, which reads the data, runs when training starts."""
    from builder.train.data.sources import check_spec

    try:
        settings = parse_settings(project)
    except ConfigError as exc:
        return exc.problems
    if settings.training.mode == "gan":
        return _gan_readiness(project, settings)
    name = settings.training.model or (project.models[0].name if project.models else "")
    try:
        model = project.model(name)
    except KeyError as exc:
        return [f"training.model: {exc.args[0]}"]
    report = model_report if model_report is not None and model_report.model is model else check_model(model)
    if report.errors:
        count = len(report.errors)
        return [f"the model {name} has {count} problem{'s' if count > 1 else ''} to fix first"]
    if len(report.inputs) != 1 or len(report.outputs) != 1:
        return [f"{name}: training needs one Input and one Output"]
    try:
        resolve_device(settings.training.device)
    except DeviceError as exc:
        return [f"training.device: {exc}"]
    source = settings.data.source
    try:
        kind = check_spec(source, settings.data.task)
    except DataError as exc:
        return [f"data.source: {exc}"]
    missing = [key for key in kind.keys if key in source and _looks_like_path(kind.kind, key)
               and not project.resolve(str(source[key])).exists()]
    return [f"data.source.{key}: {source[key]} does not exist" for key in missing]


def _gan_readiness(project: Project, settings: Settings) -> list[str]:
    names = [m.name for m in project.models]
    g = settings.training.generator or (names[0] if names else "")
    d = settings.training.discriminator or (names[1] if len(names) > 1 else "")
    if g not in names or d not in names or g == d:
        return ["training: a GAN needs a generator and a discriminator model (set training.generator and "
                "training.discriminator)"]
    for name in (g, d):
        errors = check_model(project.model(name)).errors
        if errors:
            return [f"the model {name} has {len(errors)} problem{'s' if len(errors) > 1 else ''} to fix first"]
    try:
        resolve_device(settings.training.device)
    except DeviceError as exc:
        return [f"training.device: {exc}"]
    return []


def _looks_like_path(kind: str, key: str) -> bool:
    return (kind, key) in {("image_folder", "path"), ("image_folder", "targets"), ("npz", "path"), ("npy", "x"),
                           ("npy", "y"), ("idx", "images"), ("idx", "labels"), ("csv", "path")}
