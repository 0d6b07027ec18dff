"""TensorBoard logs of a run (the optional extra nn-builder[tensorboard]), for `training.tensorboard` and
`builder train --tensorboard DIR`.

A TensorBoardLog is one of the trainer's observers (BaseTrainer.observers): it sees each event before the
consumer does, on the training thread, so at EpochEnd the models hold the epoch's weights and the last step's
gradients. Each run writes into its own folder inside the chosen one, named by when it started and what it
trains (`2026-12-06T19-48-09_Net`), so that `tensorboard --logdir DIR` shows it beside the other runs. What it
writes: every step's loss(es) (`step/loss`), every epoch's series (`epoch/train_loss`, `epoch/val_loss`,
`epoch/val_accuracy`, `epoch/lr`, or a GAN's), each layer's weight and gradient histograms named by its node
(`conv1/weight`, `conv1/weight.grad`), a grid of input samples for image data, a GAN's generated images per
epoch, and the graph of the model (left out, with a note, when it cannot be traced).
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import io
import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from builder.core.atomic import WriteError
from builder.core.i18n import N_, tr
from builder.core.project import Project
from builder.train.events import EpochEnd, Finished, Started, Step
from builder.train.inside import hooked_layers

MISSING = N_('TensorBoard logs need the tensorboard package: pip install "nn-builder[tensorboard]"')
IMAGES = 16  # input samples (or generated images) in a grid
FLUSH_STEPS = 50  # step losses stay on the device until this many are read at once (one wait for the GPU)


def missing() -> str | None:
    """Why TensorBoard logs cannot be written here (the package is not installed), or None. Looks without
    importing it, so that checking a project stays quick."""
    try:
        found = importlib.util.find_spec("tensorboard") is not None
    except (ImportError, ValueError):  # a module left half-imported, or one blocked in sys.modules
        found = False
    return None if found else tr(MISSING)


def setting_problems(project: Project, folder: str) -> list[str]:
    """What stops `training.tensorboard` from being used, one line each."""
    problems = []
    reason = missing()
    if reason:
        problems.append(tr("{key}: {problem}", key="training.tensorboard", problem=reason))
    try:
        taken = project.resolve(folder).exists() and not project.resolve(folder).is_dir()
    except (OSError, ValueError):  # a name the file system refuses to even look up: writing will say why
        taken = False
    if taken:
        problems.append(tr("training.tensorboard: {path} exists and is not a folder", path=project.resolve(folder)))
    return problems


def log_root(run: Any) -> Path | None:
    """The folder the run's logs go into (a run folder each), from its settings; None when it keeps none."""
    chosen = run.settings.training.tensorboard
    return run.project.resolve(chosen) if chosen else None


def run_folder(root: Path, model: str, started: float) -> Path:
    """A new folder for one run inside `root`, named like the app's runs: when it started, then the model.
    Raises WriteError naming the folder when it cannot be made."""
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.localtime(started))
    name = f"{stamp}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', model).strip('_') or 'model'}"
    for attempt in range(1, 100):
        folder = root / (name if attempt == 1 else f"{name}-{attempt}")  # runs started in the same second
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteError(folder, exc) from None
    raise WriteError(root / name, FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST)))


@dataclass
class Watched:
    """What of a run goes into its log besides the events."""

    layers: dict[str, dict[str, nn.Module]]  # model name -> node id -> the layer made for it
    graph: nn.Module  # traced once, with `example`
    example: torch.Tensor
    inputs: torch.Tensor | None  # a few samples of the data (N, C, H, W), when they are images
    generated: Callable[[], torch.Tensor] | None  # a GAN's images in [0, 1], drawn after each epoch


def watched(trainer: Any) -> Watched:
    """The trainer's models, their layers by node, and an input to trace them with: one data sample for a
    supervised run; a GAN's fixed latent vector through the generator into the discriminator."""
    from builder.train.gan import GanRun  # gan.py imports checks.py, which asks this module about the setting

    run = trainer.run
    if isinstance(run, GanRun):
        names = (run.generator, run.discriminator)
        modules = (trainer.generator, trainer.discriminator)
        samples = [run.data.dataset[i][0] for i in range(min(IMAGES, len(run.data.dataset)))]
        chain = GAN({run.code.class_names[n]: m for n, m in zip(names, modules)})
        return Watched({n: hooked_layers(m, run.code, n) for n, m in zip(names, modules)}, chain,
                       trainer.fixed_z[:1], _images(samples), trainer.sample)
    samples = [run.data.dataset[int(i)][0] for i in run.split.train[:IMAGES]]
    model = trainer.model
    return Watched({run.model_name: hooked_layers(model, run.code, run.model_name)}, model,
                   samples[0].unsqueeze(0).to(trainer.device), _images(samples), None)


class GAN(nn.Module):
    """A GAN's generator then its discriminator, traced as one graph (named after this class) with a box each."""

    def __init__(self, parts: dict[str, nn.Module]) -> None:
        super().__init__()
        for name, part in parts.items():
            self.add_module(name, part)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for part in self.children():
            x = part(x)
        return x


def _images(samples: list[torch.Tensor]) -> torch.Tensor | None:
    """The samples as a batch of images in [0, 1], or None when they are not images (C×H×W, 1 or 3 channels)."""
    if not samples or samples[0].dim() != 3 or samples[0].shape[0] not in (1, 3):
        return None
    batch = torch.stack(samples).float()
    low, high = float(batch.min()), float(batch.max())
    if low < 0 or high > 1:  # normalized or raw values: stretched to what an image shows
        batch = (batch - low) / max(high - low, 1e-12)
    return batch


class TensorBoardLog:
    """Writes one run into a folder of its own inside `root` (see the module's docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder: Path | None = None  # the run's own folder, once it has started
        self.notes: list[str] = []  # what was left out and why, for people (the CLI prints them)
        self._writer: Any = None
        self._watched: Watched | None = None
        self._steps: list[tuple[int, dict[str, torch.Tensor]]] = []
        self._step = 0  # the run's global step count

    def see(self, trainer: Any, event: Any) -> None:
        if isinstance(event, Started):
            self._start(trainer, event)
        elif self._writer is None:
            return
        elif isinstance(event, Step):
            self._step += 1
            self._steps.append((self._step, event.values))
            if len(self._steps) >= FLUSH_STEPS:
                self._write_steps()
        elif isinstance(event, EpochEnd):
            self._epoch(event)
        elif isinstance(event, Finished):
            self.close()

    def close(self) -> None:
        """Everything written and the files closed; safe to call more than once."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            self._write_steps(writer)
        except Exception:  # noqa: BLE001 - closing after a fault (the GPU gone): keep what is written, end cleanly
            self._steps.clear()
        writer.close()

    # -- what it writes -----------------------------------------------------------------------------

    def _start(self, trainer: Any, event: Started) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.folder = run_folder(self.root, event.model, time.time())
        self._writer = SummaryWriter(log_dir=str(self.folder))
        self._watched = watched(trainer)
        self._step = event.start_epoch * event.steps_per_epoch
        self._graph()
        if self._watched.inputs is not None:
            self._writer.add_images("inputs", self._watched.inputs, event.start_epoch)
        self._histograms(event.start_epoch, gradients=False)  # the weights training starts from
        self._writer.flush()

    def _graph(self) -> None:
        """The model's graph, traced in eval mode (no random numbers drawn, no statistics changed, so the run
        goes exactly as without a log); a model that cannot be traced is left out with a note."""
        try:
            # The tracer prints its failures and warns about data-dependent code: the note says it once.
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                self._writer.add_graph(self._watched.graph, self._watched.example)
        except Exception as exc:  # noqa: BLE001 - any tracing failure only costs the graph
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.notes.append(tr("TensorBoard: the graph was left out, the model could not be traced ({reason})",
                                 reason=reason[:200]))
            self._writer.add_text("notes", self.notes[-1])

    def _write_steps(self, writer: Any = None) -> None:
        writer = writer or self._writer
        if not self._steps:
            return
        names = list(self._steps[0][1])
        table = torch.stack([torch.stack([v[n] for n in names]) for _s, v in self._steps]).float().cpu().tolist()
        for (step, _values), row in zip(self._steps, table):
            for name, value in zip(names, row):
                writer.add_scalar(f"step/{name}", value, step)
        self._steps.clear()

    def _epoch(self, event: EpochEnd) -> None:
        record, writer = event.record, self._writer
        self._write_steps()
        for name, value in record.values.items():
            if value is not None:
                writer.add_scalar(f"epoch/{name}", value, record.epoch)
        writer.add_scalar("epoch/lr", record.lr, record.epoch)
        self._histograms(record.epoch, gradients=True)
        if self._watched.generated is not None:
            writer.add_images("generated", self._watched.generated(), record.epoch)
        writer.flush()  # a TensorBoard open on the folder shows the epoch now

    def _histograms(self, step: int, gradients: bool) -> None:
        """Each layer's weights (and their last gradients), named by its node; a GAN's by model, then node."""
        several = len(self._watched.layers) > 1
        for model_name, layers in self._watched.layers.items():
            for node, layer in layers.items():
                for name, parameter in layer.named_parameters():
                    tag = f"{model_name}/{node}/{name}" if several else f"{node}/{name}"
                    self._histogram(tag, parameter, step)
                    if gradients and parameter.grad is not None:
                        self._histogram(f"{tag}.grad", parameter.grad, step)

    def _histogram(self, tag: str, values: torch.Tensor, step: int) -> None:
        """The finite values only: a float16 step the loss scaler skipped leaves inf in the gradients, and one inf
        or NaN makes the whole histogram's range unreadable in TensorBoard."""
        values = values.detach().float()
        finite = values[torch.isfinite(values)]
        if finite.numel():
            self._writer.add_histogram(tag, finite, step)


def attach(trainer: Any) -> TensorBoardLog | None:
    """A log on the trainer when its run's settings ask for one."""
    root = log_root(trainer.run)
    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    if root is None or (distributed and torch.distributed.get_rank() != 0):  # one log per run, not per process
        return None
    log = TensorBoardLog(root)
    trainer.observers.append(log)
    return log


def log_of(trainer: Any) -> TensorBoardLog | None:
    return next((o for o in trainer.observers if isinstance(o, TensorBoardLog)), None)
