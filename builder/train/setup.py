"""Preparing a training run: settings, model, data and loss, all checked before the first step.

Every problem found is reported at once, each in one line that names the node, key or file.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from builder.blocks.check import ModelReport, check_model
from builder.compile import build_classes, generate_code
from builder.compile.codegen import GeneratedCode
from builder.core.i18n import tr
from builder.core.problems import Problem
from builder.core.project import Project
from builder.core.shapes import Shape, format_shape
from builder.train.batches import Split, channel_stats, split_indices, stats_from_dataset
from builder.train.checkpoint import CheckpointError, load_into, load_weights
from builder.train.checks import check_project, settings_for
from builder.train.config import ConfigError, Settings
from builder.train.data.base import DataError, LoadedData, SourceRequest
from builder.train.data.image_cache import cache_folder_for
from builder.train.data.sources import load_source
from builder.train.losses import BINARY_OR_ONE_HOT, LOSSES
from builder.train.objective import Objective
from builder.train.showcase import Predictions, data_preview


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

    initial: dict[str, torch.Tensor] | None = None  # training.init_weights, checked against the model

    def new_model(self) -> nn.Module:
        """A freshly initialized model: the same seed always gives the same weights; with init_weights, those."""
        torch.manual_seed(self.settings.training.seed)
        model = self.model_class()
        if self.initial is not None:
            model.load_state_dict(self.initial)
        return model


def prepare(project: Project, epochs: int | None = None, device: str | None = None) -> Run:
    """Check the project (every problem at once, see checks.py), then read the data and check what only the
    data can tell. Raises SetupError with one line per problem."""
    check = check_project(project, epochs, device)
    if check.errors:
        raise SetupError([str(p) for p in check.errors])
    settings = check.settings
    model_name = check.trained[0]
    report = check.reports[model_name]
    input_shape = report.infos[report.inputs[0]].shape
    output_shape = report.infos[report.outputs[0]].shape
    request = SourceRequest(spec=settings.data.source, input_shape=input_shape, output_shape=output_shape,
                            task=settings.data.task, folder=project.folder, seed=_data_seed(settings),
                            in_memory=settings.data.in_memory, skip_unreadable=settings.data.skip_unreadable,
                            cache_folder=cache_folder_for(project.path))
    try:
        data = load_source(request)
    except DataError as exc:
        raise SetupError([tr("data.source: {error}", error=exc)]) from None
    if len(data.dataset) < 2:
        raise SetupError([tr("data.source: {count} sample(s) is too few to train and validate on",
                             count=len(data.dataset))])
    split = split_indices(len(data.dataset), settings.data.val_split, _data_seed(settings))

    objective = _objective(settings, report, data, output_shape)  # raises SetupError on a misfit
    normalization = _normalization(data, split) if settings.data.normalize else None
    norm = {model_name: {report.inputs[0]: normalization}} if normalization else None
    code = generate_code(project, [model_name], normalization=norm)
    model_class = build_classes(code)[model_name]
    warnings = [*check.warnings, *(Problem(None, text, warning=True) for text in data.warnings)]
    own_buffers = [f"{code.attributes[model_name][report.inputs[0]]}_{stat}" for stat in ("mean", "std")] \
        if normalization else []
    initial = _initial(project, settings, model_class, own_buffers)
    return Run(project, settings, model_name, report, code, model_class, data, split, objective, check.device,
               warnings, normalization, initial)


def _initial(project: Project, settings: Settings, model_class: type[nn.Module],
             own_buffers: list[str]) -> dict[str, torch.Tensor] | None:
    """The weights training starts from (training.init_weights), read safely and checked against the model;
    the input normalization of this run's data (`own_buffers`) stays this run's."""
    if settings.training.init_weights is None:
        return None
    model = model_class()
    fresh = model.state_dict()
    source = f"training.init_weights: {settings.training.init_weights}"
    try:
        state = load_weights(project.resolve(settings.training.init_weights))
        state.update({name: fresh[name] for name in own_buffers})
        load_into(model, state, source)
    except CheckpointError as exc:
        raise SetupError([str(exc)]) from None
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _data_seed(settings: Settings) -> int:
    return settings.data.seed if settings.data.seed is not None else settings.training.seed


def _normalization(data: LoadedData, split: Split) -> tuple[list[float], list[float]]:
    """Mean and std of the training split only: the validation split must stay unseen."""
    if data.tensors is not None:
        return channel_stats(data.tensors[0][split.train])
    return stats_from_dataset(data.dataset, split.train)


def _objective(settings: Settings, report: ModelReport, data: LoadedData, output: Shape) -> Objective:
    """The loss against what the data holds (the loss against the task and the Output's rank are checked
    before, without the data)."""
    task, loss_name = settings.data.task, settings.training.loss
    spec = LOSSES[loss_name]
    out_node = report.outputs[0]
    source = report.sources[out_node][0]
    if task != "classification":
        target = _target_shape(data) if task == "regression" else None
        if target is not None and tuple(target) != tuple(output):
            raise SetupError([tr("Output '{output_node}' (from '{source}') gives {output} per sample but the targets "
                                 "are {targets}: regression needs the same shape", output_node=out_node,
                                 source=source, output=format_shape(output), targets=format_shape(target))])
        return Objective(task, spec, spec.make(), None, single_output=False)

    classes = len(data.classes or [])
    if classes < 2:
        raise SetupError([tr("data.source: classification needs at least 2 classes, the data has {count}",
                             count=classes)])
    single = output == (1,) and spec.classification == BINARY_OR_ONE_HOT
    if single and classes != 2:
        raise SetupError([tr("Output '{output_node}' (from '{source}') gives 1 value per sample, which fits 2 "
                             "classes, but the data has {count}: set {source}'s outputs to {count} or use "
                             "CrossEntropyLoss", output_node=out_node, source=source, count=classes)])
    if not single and output != (classes,):
        if report.type_of(source) == "Linear":
            raise SetupError([tr("Output '{output_node}' (from '{source}') has {features} features but the data has "
                                 "{count} classes: set {source}'s out_features to {count}", output_node=out_node,
                                 source=source, features=output[0], count=classes)])
        raise SetupError([tr("Output '{output_node}' (from '{source}') has {features} features but the data has "
                             "{count} classes: make it give {count} values", output_node=out_node, source=source,
                             features=output[0], count=classes)])
    return Objective(task, spec, spec.make(), classes, single_output=single)


def _target_shape(data: LoadedData) -> Shape | None:
    if data.tensors is not None and data.tensors[1] is not None:
        return tuple(data.tensors[1].shape[1:])
    _x, y = data.dataset[0]
    return tuple(y.shape)


def preview_data(project: Project) -> Predictions:
    """A few training samples as the network will see them. Needs the data settings and the shape the Input
    takes, not a model that fits the data: a learner looks at the data before the model is right."""
    try:
        settings = settings_for(project)
    except ConfigError as exc:
        raise SetupError(exc.problems) from None
    gan = settings.training.mode == "gan"
    names = [m.name for m in project.models]
    chosen = settings.training.discriminator if gan else settings.training.model
    name = chosen or (names[1 if gan and len(names) > 1 else 0] if names else "")
    if name not in names:
        raise SetupError([tr("training.{key}: no model named '{name}'", key="discriminator" if gan else "model",
                             name=name)])
    report = check_model(project.model(name), project)
    inputs = [n for n in report.order if report.type_of(n) == "Input"]
    if not inputs:
        raise SetupError([tr("{model}: the model has no Input block, so the size of its samples is not known",
                             model=name)])
    input_shape = _declared_shape(report, inputs[0])
    output_shape = tuple(report.infos[report.outputs[0]].shape) if report.ok and report.outputs else input_shape
    task = "reconstruction" if gan else settings.data.task
    request = SourceRequest(spec=settings.data.source, input_shape=input_shape, output_shape=output_shape, task=task,
                            folder=project.folder, seed=_data_seed(settings), in_memory=settings.data.in_memory,
                            skip_unreadable=settings.data.skip_unreadable,
                            cache_folder=cache_folder_for(project.path))
    try:
        data = load_source(request)
    except DataError as exc:
        raise SetupError([tr("data.source: {error}", error=exc)]) from None
    split = split_indices(len(data.dataset), settings.data.val_split, _data_seed(settings))
    return data_preview(data, split.train if len(split.train) else split.val, task == "classification")


def _declared_shape(report: ModelReport, node: str) -> Shape:
    if node in report.infos:
        return tuple(report.infos[node].shape)
    shape = report.model.node(node).params.get("shape")
    if not isinstance(shape, list) or not shape or not all(isinstance(d, int) and d > 0 for d in shape):
        raise SetupError([tr("{node}: its shape is not set, so the size of the samples is not known", node=node)])
    return tuple(shape)


def readiness(project: Project, model_report: ModelReport | None = None) -> list[str]:
    """Why training cannot start yet, found without reading any data (fast enough for every edit)."""
    known = {model_report.model.name: model_report} if model_report is not None else None
    return check_project(project, reports=known).summary()
