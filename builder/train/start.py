"""The one place that tells supervised and GAN runs apart: which preparation and which trainer a project
takes. Everything after (events, relay, outputs) treats both alike."""

from __future__ import annotations

from typing import Any

from builder.core.project import Project
from builder.train import tensorboard
from builder.train.distributed import DistributedTrainer, processes_for
from builder.train.engine import Trainer
from builder.train.gan import GanRun, GanTrainer, is_gan, prepare_gan
from builder.train.setup import Run, prepare


def prepare_run(project: Project, epochs: int | None = None, device: str | None = None) -> Run | GanRun:
    """Checked settings, models and data for the project's kind of run. Raises SetupError."""
    return (prepare_gan if is_gan(project) else prepare)(project, epochs=epochs, device=device)


def new_trainer(run: Run | GanRun, health_every: int | None = None, processes: int | None = None,
                **options: Any) -> Trainer | GanTrainer | DistributedTrainer:
    """options: checkpoint, resume, multiprocessing_context (see BaseTrainer); `health_every`: steps between
    layer-health samples of a supervised run (a GAN's two models are not sampled). With training.tensorboard set,
    the trainer writes a TensorBoard log as it goes. `processes`: how many train a supervised run together
    (distributed.py; no layer-health samples then); by default one per GPU with training.device cuda:all, else one."""
    count = processes or processes_for(run.settings.training.device)
    if count > 1 and not isinstance(run, GanRun):
        return DistributedTrainer(run, count, **options)
    if isinstance(run, GanRun):
        trainer = GanTrainer(run, **options)
    else:
        trainer = Trainer(run, health_every=health_every, **options)
    tensorboard.attach(trainer)
    return trainer
