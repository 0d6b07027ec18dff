"""The largest batch size that trains on the project's device: Training → Find the Largest Batch Size.

Each size tried is first estimated (builder/train/memory.py) and only run when the estimate leaves room, so a
size far too big is never allocated (on the CPU that would push the machine into swap, not raise); a size that
may fit runs one real training step with the project's model, loss and optimizer, and fits when its measured
peak stays within the safety margin of the memory free on the device. The sizes: doubling, then a binary
search, as Lightning's BatchSizeFinder does; never more than the training split holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from builder.core.i18n import tr
from builder.core.project import Project
from builder.train.memory import MARGIN, available_bytes, estimate, format_bytes, largest_batch, measured_step
from builder.train.setup import Run, SetupError, prepare

START = 2  # Lightning's init_val


@dataclass
class BatchFit:
    batch: int | None  # the largest that fits; None when not even START does
    device: str
    limit: int  # the training split's size: a batch cannot be larger
    available: int | None  # bytes free on the device when it started
    tried: list[tuple[int, int | None, bool]] = field(default_factory=list)  # (batch, bytes measured, fitted)

    def summary(self) -> str:
        free = format_bytes(self.available or 0)
        if self.batch is None:
            return tr("Not even a batch of {batch} fits on {device} ({free} free).", batch=START, device=self.device,
                      free=free)
        measured = {b: used for b, used, _ok in self.tried}.get(self.batch)
        values = {"device": self.device, "batch": self.batch, "free": free,
                  "used": format_bytes(measured) if measured is not None else ""}
        if self.batch == self.limit:  # the whole training split
            if measured is not None:
                return tr("The largest batch that fits on {device} is {batch:,} (a training step took {used} of "
                          "{free} free); that is every sample of the training split, so no larger batch would help.",
                          **values)
            return tr("The largest batch that fits on {device} is {batch:,}; that is every sample of the training "
                      "split, so no larger batch would help.", **values)
        if measured is not None:
            return tr("The largest batch that fits on {device} is {batch:,} (a training step took {used} of {free} "
                      "free).", **values)
        return tr("The largest batch that fits on {device} is {batch:,}.", **values)


def find_largest_batch(project: Project, progress: Callable[[int], None] | None = None) -> BatchFit:
    """Measure on the project's device (its training settings, its data's split). Raises SetupError when the
    project cannot train, as Train would, or is a GAN (two models trained in turn: not measured here)."""
    if project.training.get("mode") == "gan":
        raise SetupError([tr("Finding the largest batch size measures one model; a GAN trains two")])
    run = prepare(project, epochs=1)
    limit = len(run.split.train)
    free = available_bytes(run.device)
    fit = BatchFit(None, str(run.device), limit, free)
    fits = _fits(run, free, fit.tried, progress)
    fit.batch = largest_batch(fits, min(START, limit), limit)
    return fit


def _fits(run: Run, free: int | None, tried: list, progress: Callable[[int], None] | None) -> Callable[[int], bool]:
    from builder.train.optimizers import OPTIMIZERS

    settings = run.settings.training
    mixed = settings.mixed_precision and run.device.type == "cuda"
    spec = OPTIMIZERS[settings.optimizer]
    input_shape = tuple(run.report.infos[run.report.inputs[0]].shape)
    output_shape = tuple(run.report.infos[run.report.outputs[0]].shape)
    objective = run.objective

    def target(batch: int) -> torch.Tensor:
        if objective.task == "classification":
            return torch.randint(0, objective.num_classes or 2, (batch,))
        return torch.rand(batch, *output_shape)

    def fits(batch: int) -> bool:
        if progress is not None:
            progress(batch)
        guess = estimate(run.report, batch, settings.optimizer, settings.options, mixed).total
        if free is not None and guess > free * MARGIN:
            tried.append((batch, None, False))  # not even tried: the estimate alone says it would not fit
            return False
        try:
            used = measured_step(run.new_model, input_shape, target, objective,
                                 lambda p: spec.make(p, settings.lr, settings.options), batch, run.device,
                                 mixed_precision=mixed)
        except (torch.OutOfMemoryError, MemoryError):
            _free_cache(run.device)
            tried.append((batch, None, False))
            return False
        used = guess if used is None else used
        ok = free is None or used <= free * MARGIN
        tried.append((batch, used, ok))
        return ok

    return fits


def _free_cache(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


__all__ = ["BatchFit", "SetupError", "find_largest_batch"]
