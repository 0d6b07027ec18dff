"""Learning-rate schedules, stepped once per epoch. Declared once, like blocks and optimizers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from builder.blocks.params import FLOAT, INT, Param
from builder.core.i18n import N_


@dataclass(frozen=True)
class ScheduleSpec:
    name: str  # torch.optim.lr_scheduler class name
    description: str
    options: tuple[Param, ...]
    # Options filled from the run when omitted (CosineAnnealingLR's T_max = the number of epochs).
    from_run: Callable[[int], dict[str, Any]] = lambda epochs: {}
    needs_metric: bool = False  # stepped with the validation loss
    starter: dict[str, Any] = field(default_factory=dict)  # what a newly chosen schedule starts with: it works

    def make(self, optimizer: torch.optim.Optimizer, options: dict[str, Any], epochs: int) -> Any:
        cls = getattr(torch.optim.lr_scheduler, self.name)
        values = {**self.from_run(epochs), **{k: v for k, v in options.items() if v is not None}}
        return cls(optimizer, **values)


SCHEDULES: dict[str, ScheduleSpec] = {
    spec.name: spec
    for spec in (
        ScheduleSpec("StepLR", N_("Multiplies the learning rate by gamma every step_size epochs."), (
            Param("step_size", INT, N_("Epochs between two drops of the learning rate."), min=1),
            Param("gamma", FLOAT, N_("Factor applied at each drop, e.g. 0.1."), default=0.1, min=0.0, max=1.0,
                  min_exclusive=True),
        ), starter={"step_size": 5}),
        ScheduleSpec("CosineAnnealingLR", N_("Lowers the learning rate along a cosine curve to eta_min."), (
            Param("T_max", INT, N_("Epochs of the descent; empty means the whole run."), default=None, min=1,
                  optional=True, unset=N_("the whole run")),
            Param("eta_min", FLOAT, N_("The lowest learning rate reached."), default=0.0, min=0.0),
        ), from_run=lambda epochs: {"T_max": epochs}),
        ScheduleSpec("ReduceLROnPlateau", N_("Lowers the learning rate when the validation loss stops improving."), (
            Param("factor", FLOAT, N_("Factor applied when the loss plateaus, e.g. 0.1."), default=0.1, min=0.0,
                  max=1.0, min_exclusive=True),
            Param("patience", INT, N_("Epochs without improvement before lowering the rate."), default=10, min=0),
        ), needs_metric=True),
    )
}
