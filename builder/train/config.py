"""The project's `data` and `training` sections, validated with every problem located.

Each key is declared once as a Param (kind, default, range, help), the same way block
parameters are, so the training panel can build its editors from these declarations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from builder.blocks.params import BOOL, CHOICE, FILE, FLOAT, FOLDER, INT, TEXT, Param, located, unknown_param_message
from builder.core.i18n import N_, tr
from builder.core.problems import printable
from builder.core.project import Project
from builder.train.data.base import TASKS
from builder.train.losses import LOSSES
from builder.train.optimizers import OPTIMIZERS, OPTION_NAMES
from builder.train.schedules import SCHEDULES

DEFAULT_SOURCE = {"kind": "synthetic", "name": "shapes"}

# Our own choice values: the window shows each with its meaning ("分类 (classification)"); the values stay.
CHOICE_WORDS = (N_("classification"), N_("reconstruction"), N_("regression"), N_("supervised"), N_("gan"))

DATA_PARAMS = (
    Param("task", CHOICE, N_("What the network learns: class labels, to rebuild its input, or target values."),
          default="classification", choices=TASKS),
    Param("batch_size", INT, N_("Samples per step; larger is faster per sample but needs more memory."),
          default=64, min=1, max=1_000_000),
    Param("shuffle", BOOL, N_("Reshuffle the training samples every epoch."), default=True),
    Param("num_workers", INT, N_("Processes loading data in the background; 0 loads in the training process."),
          default=0, min=0, max=64),
    Param("val_split", FLOAT, N_("Share of the samples held out for validation, e.g. 0.2."), default=0.2, min=0.0,
          max=0.9),
    Param("normalize", BOOL, N_("Scale inputs to mean 0, std 1 per channel (statistics of the training split); "
                                 "the exported model does it too."), default=False),
    Param("seed", INT, N_("Seed of the validation split; empty uses the training seed."), default=None, min=0,
          optional=True, unset=N_("the training seed")),
    Param("skip_unreadable", BOOL, N_("Leave out image files that cannot be read, with a warning and a count, "
                                       "instead of refusing to train."), default=False),
    Param("in_memory", BOOL, N_("Load the whole data set into memory; empty decides by its size."),
          default=None, optional=True, unset=N_("decided by size")),
)

TRAINING_PARAMS = (
    Param("mode", CHOICE, N_("supervised: one model learns from targets; gan: a generator and a discriminator "
                             "train against each other."), default="supervised", choices=("supervised", "gan")),
    Param("model", TEXT, N_("The model to train; empty means the project's first model."), default=None,
          optional=True, unset=N_("the first model")),
    Param("loss", CHOICE, N_("What training minimizes; empty picks CrossEntropyLoss for classification, else "
                             "MSELoss."), default=None, choices=tuple(LOSSES), optional=True, unset=N_("by the task")),
    Param("optimizer", CHOICE, N_("How the weights are updated from the gradients."), default="Adam",
          choices=tuple(OPTIMIZERS)),
    Param("lr", FLOAT, N_("Learning rate: the size of each update step."), default=0.001, min=0.0,
          min_exclusive=True),
    Param("epochs", INT, N_("Passes over the training data."), default=10, min=1, max=1_000_000),
    Param("device", TEXT, N_("auto (a CUDA GPU if there is one), cpu, cuda, cuda:N, or cuda:all (every GPU, one "
                             "process each; batch_size is then per process)."), default="auto"),
    Param("seed", INT, N_("Seed of weights, shuffling and dropout: the same seed gives the same run."), default=0,
          min=0),
    Param("mixed_precision", BOOL, N_("On CUDA, compute in 16-bit floats where safe: faster, less memory."),
          default=False),
    Param("channels_last", BOOL, N_("Keep images and convolution weights in channels-last memory order (NHWC): "
                                     "faster convolutions and pooling; only models that take images use it."),
          default=True),
    Param("compile", BOOL, N_("Compile the model with torch.compile before training: faster steps after a "
                              "compilation that takes from seconds to minutes; needs a C++ compiler on the CPU."),
          default=False),
    Param("threads", INT, N_("CPU threads PyTorch computes with while training; empty: PyTorch's choice, one per "
                             "core."), default=None, min=1, max=1024, optional=True, unset=N_("one per core")),
    Param("early_stopping", INT, N_("Stop after this many epochs without a better validation loss; empty never "
                                      "stops."), default=None, min=1, optional=True, unset=N_("off")),
    Param("keep_best", BOOL, N_("Keep the weights of the epoch with the best validation loss, not the last."),
          default=True),
    Param("init_weights", FILE, N_("Start from these weights instead of random ones (fine-tuning): a .pt or "
                                     ".safetensors file, relative to the project's folder."), default=None,
          optional=True, unset=N_("random, from the seed")),
    Param("tensorboard", FOLDER, N_("Write TensorBoard logs (losses, learning rate, weight and gradient histograms, "
                                      "sample images, the graph) into a folder per run inside this one, relative to "
                                      "the project's folder; needs pip install \"nn-builder[tensorboard]\"."),
          default=None, optional=True, unset=N_("off")),
)

# Only with "mode": "gan". Per-side optimizer options are the optimizer's own names with g_ or d_.
GAN_PARAMS = (
    Param("generator", TEXT, N_("The model that makes images from random latent vectors; empty: the first model."),
          default=None, optional=True, unset=N_("the first model")),
    Param("discriminator", TEXT, N_("The model that tells real images from generated ones (one value per image); "
                                      "empty: the second model."), default=None, optional=True,
          unset=N_("the second model")),
    Param("d_steps", INT, N_("Discriminator updates per generator update."), default=1, min=1, max=100),
    Param("g_lr", FLOAT, N_("The generator's learning rate; empty: lr."), default=None, min=0.0, min_exclusive=True,
          optional=True, unset="lr"),
    Param("d_lr", FLOAT, N_("The discriminator's learning rate; empty: lr."), default=None, min=0.0, min_exclusive=True,
          optional=True, unset="lr"),
)
GAN_KEYS = tuple(p.name for p in GAN_PARAMS) + tuple(f"{side}_{name}" for side in "gd" for name in OPTION_NAMES)

_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+|:all)?)$")


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class DataConfig:
    source: dict[str, Any]
    task: str
    batch_size: int
    shuffle: bool
    num_workers: int
    val_split: float
    normalize: bool
    seed: int | None
    skip_unreadable: bool
    in_memory: bool | None


@dataclass(frozen=True)
class TrainingConfig:
    model: str | None
    loss: str
    optimizer: str
    lr: float
    epochs: int
    device: str
    seed: int
    mixed_precision: bool
    early_stopping: int | None
    keep_best: bool
    channels_last: bool = True  # images in NHWC order (engine.py: only for models that take images)
    compile: bool = False  # torch.compile the model the steps call
    threads: int | None = None  # torch.set_num_threads while training; None: torch's own choice
    init_weights: str | None = None  # a weights file to start from, relative to the project's folder
    tensorboard: str | None = None  # a folder for TensorBoard logs, relative to the project's folder
    options: dict[str, Any] = field(default_factory=dict)  # the optimizer's options that were given
    schedule: tuple[str, dict[str, Any]] | None = None
    mode: str = "supervised"
    generator: str | None = None  # GAN only, like everything below
    discriminator: str | None = None
    d_steps: int = 1
    g_lr: float | None = None
    d_lr: float | None = None
    g_options: dict[str, Any] = field(default_factory=dict)  # options for one side, overriding `options`
    d_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    data: DataConfig
    training: TrainingConfig


def parse_settings(project: Project) -> Settings:
    problems: list[str] = []
    data = _data(project.data, problems)
    training = _training(project.training, data.task if data else "classification", problems)
    if problems:
        raise ConfigError(problems)
    return Settings(data, training)


def _values(section: dict[str, Any], params: tuple[Param, ...], where: str, problems: list[str],
            extra: tuple[str, ...] = ()) -> dict[str, Any]:
    known = [p.name for p in params]
    for key in section:
        if key not in known and key not in extra:
            problems.append(tr("{key}: {problem}", key=f"{where}.{printable(key, 40)}",
                               problem=unknown_param_message(key, known + list(extra), "key")))
    values = {}
    for param in params:
        if param.name not in section and param.required:
            problems.append(tr("{key}: is required: {help}", key=f"{where}.{param.name}", help=tr(param.help)))
            continue
        value, error = param.validate(section.get(param.name, param.default))
        if error:
            problems.append(located(where, param, error))
        values[param.name] = value
    return values


def _data(section: dict[str, Any], problems: list[str]) -> DataConfig | None:
    before = len(problems)
    values = _values(section, DATA_PARAMS, "data", problems, extra=("source",))
    source = section.get("source", DEFAULT_SOURCE)
    if not isinstance(source, dict) or not isinstance(source.get("kind"), str):
        problems.append(tr('data.source: expected an object with a "kind", e.g. {"kind": "image_folder", '
                           '"path": "digits/"}'))
    if len(problems) > before:
        return None
    return DataConfig(source=dict(source), **values)


def _training(section: dict[str, Any], task: str, problems: list[str]) -> TrainingConfig:
    gan = section.get("mode") == "gan"
    values = _values(section, TRAINING_PARAMS, "training", problems,
                     extra=(*OPTION_NAMES, "schedule", *GAN_KEYS))
    if values["device"] is not None and not _DEVICE.match(values["device"]):
        problems.append(tr("training.device: must be auto, cpu, cuda, cuda:N or cuda:all, got '{device}'",
                           device=values["device"]))
    if values["loss"] is None:
        values["loss"] = "BCEWithLogitsLoss" if gan else "CrossEntropyLoss" if task == "classification" else "MSELoss"
    options = _optimizer_options(section, values["optimizer"], problems)
    schedule = _schedule(section.get("schedule"), problems)
    extra: dict[str, Any] = {}
    if gan:
        known = {p.name for p in GAN_PARAMS}
        extra = _values({k: v for k, v in section.items() if k in known}, GAN_PARAMS, "training", problems)
        extra["g_options"] = _optimizer_options(section, values["optimizer"], problems, prefix="g_")
        extra["d_options"] = _optimizer_options(section, values["optimizer"], problems, prefix="d_")
    else:
        for key in GAN_KEYS:
            if key in section:
                problems.append(tr('training.{key}: only used with "mode": "gan"', key=key))
    if gan and values["init_weights"] is not None:
        problems.append(tr("training.init_weights: a GAN starts from random weights; remove it"))
    return TrainingConfig(**values, options=options, schedule=schedule, **extra)


def _optimizer_options(section: dict[str, Any], name: str | None, problems: list[str],
                       prefix: str = "") -> dict[str, Any]:
    """The optimizer's options given in the section (`momentum`; `g_momentum` with prefix "g_")."""
    spec = OPTIMIZERS.get(name or "")
    options: dict[str, Any] = {}
    for key in OPTION_NAMES:
        given = prefix + key
        if given not in section or spec is None:
            continue
        param = spec.option(key)
        if param is None:
            takes = ", ".join(p.name for p in spec.options)
            problems.append(tr("training.{key}: {optimizer} has no option '{option}' (it takes {options})",
                               key=given, optimizer=name, option=key, options=takes))
            continue
        value, error = param.validate(section[given])
        if error:
            problems.append(located("training", param, error).replace(f"training.{key}:", f"training.{given}:"))
        else:
            options[key] = value
    if options.get("nesterov") and not options.get("momentum"):
        problems.append(tr("{key}: Nesterov momentum needs momentum > 0", key=f"training.{prefix}nesterov"))
    return options


def _schedule(raw: Any, problems: list[str]) -> tuple[str, dict[str, Any]] | None:
    if raw is None:
        return None
    names = ", ".join(SCHEDULES)
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str) or raw["kind"] not in SCHEDULES:
        problems.append(tr('training.schedule: expected {{"kind": one of {names}, ...options}}, got {value}',
                           names=names, value=f"{raw!r:.60}"))
        return None
    spec = SCHEDULES[raw["kind"]]
    options = {k: v for k, v in raw.items() if k != "kind"}
    values = _values(options, spec.options, "training.schedule", problems)
    return spec.name, values
