"""Everything training would refuse that can be found without reading the data, in one list.

`builder check`, `builder train` (before it reads any data) and the window's Train button all ask
`check_project`; nothing else decides whether a project can train. What only the data can tell
(the number of classes, a file that does not decode) is checked when a run is prepared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from builder.blocks.check import ModelReport, check_model
from builder.core.i18n import N_, tr, trn
from builder.core.problems import Problem, printable
from builder.core.project import Project
from builder.core.shapes import format_shape
from builder.train.config import ConfigError, Settings, parse_settings
from builder.train.data.base import DataError
from builder.train.data.sources import check_spec, path_keys
from builder.train.devices import DeviceError, resolve_device
from builder.train.lints import training_lints
from builder.train.losses import LOSSES
from builder.train.tensorboard import setting_problems


@dataclass
class ProjectCheck:
    settings: Settings | None  # None when the settings themselves have problems
    reports: dict[str, ModelReport]  # every model of the project, checked
    trained: tuple[str, ...]  # the models a run uses: (model,) or (generator, discriminator)
    problems: list[Problem]  # the project's own: settings, pairing, loss against the Output, data, device, lints
    device: torch.device | None = None

    @property
    def errors(self) -> list[Problem]:
        """What stops training: the errors of the models it uses, then the project's."""
        inside = [replace(p, model=name) for name in self.trained if name in self.reports
                  for p in self.reports[name].errors]
        return inside + [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> list[str]:
        """One line per problem, a model's own problems counted rather than listed (they are on its nodes)."""
        return [*self.models_to_fix().values(), *(str(p) for p in self.problems if not p.warning)]

    def models_to_fix(self) -> dict[str, str]:
        """The trained models with errors, each with a line counting them."""
        counts = {name: len(self.reports[name].errors) for name in self.trained if name in self.reports}
        return {name: trn("the model {name} has {count} problem to fix first",
                          "the model {name} has {count} problems to fix first", n, name=name, count=n)
                for name, n in counts.items() if n}


def settings_for(project: Project, epochs: int | None = None, device: str | None = None) -> Settings:
    """The project's settings, with the command line's epochs and device over them. Raises ConfigError."""
    settings = parse_settings(project)
    if epochs is None and device is None:
        return settings
    training = replace(settings.training, epochs=epochs or settings.training.epochs,
                       device=device or settings.training.device)
    return replace(settings, training=training)


def check_project(project: Project, epochs: int | None = None, device: str | None = None,
                  reports: dict[str, ModelReport] | None = None) -> ProjectCheck:
    """`reports` may hold models already checked (the window has the shown one); the rest are checked here."""
    known = reports or {}
    reports = {m.name: known[m.name] if m.name in known and known[m.name].model is m else check_model(m, project)
               for m in project.models}
    try:
        settings = settings_for(project, epochs, device)
    except ConfigError as exc:
        return ProjectCheck(None, reports, (), [Problem(None, p) for p in exc.problems])
    gan = settings.training.mode == "gan"
    trained, problems = (_gan if gan else _supervised)(project, settings, reports)
    problems += _data_source(project, settings, "reconstruction" if gan else settings.data.task)
    start = settings.training.init_weights
    reason = _path_problem(project, "training.init_weights", start) if start is not None else None
    if reason:
        problems.append(Problem(None, reason))
    if settings.training.tensorboard is not None:
        problems += [Problem(None, p) for p in setting_problems(project, settings.training.tensorboard)]
    torch_device = None
    try:
        torch_device = resolve_device(settings.training.device)
    except DeviceError as exc:
        problems.append(Problem(None, tr("training.device: {error}", error=exc)))
    if gan and settings.training.device == "cuda:all":  # a process per GPU trains a supervised model (distributed.py)
        problems.append(Problem(None, tr("training.device: cuda:all trains a supervised model; a GAN trains on one "
                                         "GPU: choose cuda or cuda:N")))
    if settings.training.mixed_precision and torch_device is not None and torch_device.type != "cuda":
        problems.append(Problem(None, tr("mixed_precision only applies on CUDA; training in float32 on the CPU"),
                                warning=True))
    return ProjectCheck(settings, reports, trained, problems, torch_device)


def _named(project: Project, key: str, name: str | None, fallback: int) -> tuple[str, list[Problem]]:
    names = [m.name for m in project.models]
    chosen = name or (names[fallback] if len(names) > fallback else "")
    if chosen in names:
        return chosen, []
    if not names:
        return chosen, [Problem(None, tr("training.{key}: no model named '{name}' (models: none)", key=key,
                                         name=chosen))]
    return chosen, [Problem(None, tr("training.{key}: no model named '{name}' (models: {models})", key=key,
                                     name=chosen, models=", ".join(names)))]


# What each model a run uses must have, by its part in the run.
_ONE_INPUT_ONE_OUTPUT = {
    "model": N_("training needs one Input and one Output; the model has {inputs} and {outputs}"),
    "generator": N_("the generator needs one Input and one Output; the model has {inputs} and {outputs}"),
    "discriminator": N_("the discriminator needs one Input and one Output; the model has {inputs} and {outputs}"),
}


def _one_input_one_output(report: ModelReport, role: str) -> list[Problem]:
    """`role`: "model", "generator" or "discriminator"."""
    if len(report.inputs) == 1 and len(report.outputs) == 1:
        return []
    return [Problem(None, tr(_ONE_INPUT_ONE_OUTPUT[role], inputs=len(report.inputs), outputs=len(report.outputs)),
                    model=report.model.name)]


# -- supervised ------------------------------------------------------------------------------------


def _supervised(project: Project, settings: Settings, reports: dict[str, ModelReport],
                ) -> tuple[tuple[str, ...], list[Problem]]:
    name, problems = _named(project, "model", settings.training.model, 0)
    if problems:
        return (), problems
    report = reports[name]
    if report.errors:
        return (name,), []  # their shapes are not known: the rest waits for them
    problems = _one_input_one_output(report, "model")
    if problems:
        return (name,), problems
    problems = _loss_against_output(report, settings)
    lints = training_lints(report, settings.training.loss, settings.data.task)
    return (name,), problems + [replace(p, model=name) for p in lints]


def _loss_against_output(report: ModelReport, settings: Settings) -> list[Problem]:
    """The loss, the task and the Output's shape, before any data: the class count waits for the data."""
    task, loss = settings.data.task, settings.training.loss
    out = report.outputs[0]
    source = report.sources[out][0]
    output = tuple(report.infos[out].shape)
    # Pinned to the Output node: the message need not name it.
    if task != "classification" and not LOSSES[loss].takes_values:
        return [Problem(None, tr("training.loss: {loss} needs class labels but the task is {task}: use MSELoss or "
                                 "L1Loss (or BCELoss for values in [0, 1])", loss=loss, task=task))]
    if task == "reconstruction":
        given = tuple(report.infos[report.inputs[0]].shape)
        if given != output:
            return [Problem(out, tr("the Output (from '{source}') gives {output} per sample but the input is "
                                    "{input}: reconstruction needs the same shape", source=source,
                                    output=format_shape(output), input=format_shape(given)),
                            model=report.model.name)]
    if task == "classification" and len(output) != 1:
        return [Problem(out, tr("the Output (from '{source}') gives {output} values per sample, but classification "
                                "needs one score per class, a vector: {fix}", source=source,
                                output=format_shape(output), fix=_flatten_fix(report, source)),
                        model=report.model.name)]
    return []


def _flatten_fix(report: ModelReport, source: str) -> str:
    feeding = report.sources.get(source, [])
    if report.type_of(source) == "Linear" and feeding and len(report.infos[feeding[0]].shape) > 1:
        return tr("insert a Flatten before '{source}' (a Linear on {shape} applies to the last dimension only)",
                  source=source, shape=format_shape(report.infos[feeding[0]].shape))
    return tr("end the model with Flatten and a Linear with one output per class")


# -- GAN -------------------------------------------------------------------------------------------


def _gan(project: Project, settings: Settings, reports: dict[str, ModelReport]) -> tuple[tuple[str, ...], list[Problem]]:
    training = settings.training
    g_name, g_problems = _named(project, "generator", training.generator, 0)
    d_name, d_problems = _named(project, "discriminator", training.discriminator, 1)
    problems = g_problems + d_problems
    if g_name == d_name and not problems:
        problems.append(Problem(None, tr("training.discriminator: the generator and the discriminator must be two "
                                         "different models")))
    if problems:
        return (), problems
    g, d = reports[g_name], reports[d_name]
    if g.errors or d.errors:
        return (g_name, d_name), []
    problems = _one_input_one_output(g, "generator") + _one_input_one_output(d, "discriminator")
    if problems:
        return (g_name, d_name), problems
    return (g_name, d_name), _pairing(g, d) + _gan_loss(d, training.loss) + generator_range(g)[1]


def _pairing(g: ModelReport, d: ModelReport) -> list[Problem]:
    made, taken = _shape(g, g.outputs[0]), _shape(d, d.inputs[0])
    verdict = _shape(d, d.outputs[0])
    problems = []
    if made != taken:
        problems.append(Problem(None, tr("the generator {generator} makes {made} images but the discriminator "
                                         "{discriminator} takes {taken}: make them the same",
                                         generator=g.model.name, made=format_shape(made),
                                         discriminator=d.model.name, taken=format_shape(taken))))
    if math.prod(verdict) != 1:
        source = d.sources[d.outputs[0]][0]
        problems.append(Problem(source, tr("the discriminator gives {shape} values per image; it must end in one "
                                           "value per image (after '{source}', e.g. Flatten and Linear with "
                                           "out_features 1)", shape=format_shape(verdict), source=source),
                                model=d.model.name))
    return problems


def _gan_loss(d: ModelReport, loss: str) -> list[Problem]:
    last = d.type_of(d.sources[d.outputs[0]][0])
    name = d.model.name
    if loss == "BCEWithLogitsLoss" and last == "Sigmoid":
        return [Problem(None, tr("training.loss: BCEWithLogitsLoss applies the sigmoid itself, but {model} ends in "
                                 "a Sigmoid: remove it, or use BCELoss", model=name))]
    if loss == "BCELoss" and last != "Sigmoid":
        return [Problem(None, tr("training.loss: BCELoss needs probabilities, but {model} does not end in a Sigmoid: "
                                 "add one, or use BCEWithLogitsLoss (more stable)", model=name))]
    if loss not in ("BCELoss", "BCEWithLogitsLoss"):
        return [Problem(None, tr("training.loss: GAN training uses BCEWithLogitsLoss (or BCELoss when {model} ends "
                                 "in a Sigmoid), not {loss}", model=name, loss=loss))]
    return []


def generator_range(g: ModelReport) -> tuple[tuple[float, float], list[Problem]]:
    """How real images in [0, 1] become the generator's range (a * x + b), and a warning when it has none."""
    last_node = g.sources[g.outputs[0]][0]
    last = g.type_of(last_node)
    if last == "Tanh":
        return (2.0, -1.0), []  # the data's [0, 1] to the generator's (-1, 1)
    if last == "Sigmoid":
        return (1.0, 0.0), []
    return (1.0, 0.0), [Problem(last_node, tr("the generator's output is unbounded while real images are in [0, 1]: "
                                              "end it with Tanh (images scaled to [-1, 1]) or Sigmoid"), warning=True,
                                model=g.model.name)]


def _shape(report: ModelReport, node: str) -> tuple[int, ...]:
    return tuple(report.infos[node].shape)


# -- data ------------------------------------------------------------------------------------------


def _data_source(project: Project, settings: Settings, task: str) -> list[Problem]:
    """The source's kind, keys and task, and that the files it names exist (nothing is read)."""
    source = settings.data.source
    try:
        kind = check_spec(source, task)
    except DataError as exc:
        return [Problem(None, tr("data.source: {error}", error=exc))]
    problems = []
    for key in path_keys(kind):
        reason = _path_problem(project, f"data.source.{key}", source[key]) if source.get(key) is not None else None
        if reason:
            problems.append(Problem(None, reason))
    return problems


def _path_problem(project: Project, key: str, path: str) -> str | None:
    """Why the file or folder that setting `key` names cannot be used (the message names both), or None. The
    file system may refuse to even look (a name longer than it allows raises OSError from exists()); that is
    the file's problem, not a crash."""
    try:
        if project.resolve(path).exists():
            return None
        return tr("{key}: {path} does not exist", key=key, path=printable(path, 500))
    except OSError as exc:
        return tr("{key}: {path} cannot be used: {reason}", key=key, path=printable(path, 500),
                  reason=exc.strerror or exc)
