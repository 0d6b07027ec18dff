"""The one place that tells supervised and GAN runs apart: which preparation and which trainer a project
takes. Everything after (events, relay, outputs) treats both alike."""

from __future__ import annotations

from typing import Any

from builder.core.project import Project
from builder.train.engine import Trainer
from builder.train.gan import GanRun, GanTrainer, is_gan, prepare_gan
from builder.train.setup import Run, prepare


def prepare_run(project: Project, epochs: int | None = None, device: str | None = None) -> Run | GanRun:
    """Checked settings, models and data for the project's kind of run. Raises SetupError."""
    return (prepare_gan if is_gan(project) else prepare)(project, epochs=epochs, device=device)


def new_trainer(run: Run | GanRun, health_every: int | None = None, **options: Any) -> Trainer | GanTrainer:
    """options: checkpoint, resume, multiprocessing_context (see BaseTrainer); `health_every`: steps between
    layer-health samples of a supervised run (a GAN's two models are not sampled)."""
    if isinstance(run, GanRun):
        return GanTrainer(run, **options)
    return Trainer(run, health_every=health_every, **options)
