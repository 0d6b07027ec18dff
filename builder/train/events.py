"""What a run reports, in order: Started, then Step... EpochEnd per epoch, then Finished or Failed.

Supervised and GAN runs report the same events. What they measure differs, so values travel by name
(`Step.values["loss"]`, `EpochRecord.values["d_real"]`), and `Started.series` declares the names a run
will report and how to show them: consumers (the CLI, the app's worker) draw and write what is
declared and never ask which kind of run it is. None of them drives the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from builder.core.i18n import N_, tr
from builder.core.problems import Problem

# The plots a series goes into: steps, epoch losses, scores in [0, 1], the learning rate.
STEP_LOSS = "step loss"
EPOCH_LOSS = "epoch loss"
SCORE = "score"
LEARNING_RATE = "learning rate"


@dataclass(frozen=True)
class Series:
    """A quantity a run reports: its name in the events, its label for people, and where it is drawn."""

    name: str  # the key in Step.values or EpochRecord.values
    label: str  # "validation accuracy", "D(x)": English, marked with N_ (kept so in the run history); tr() shows it
    per: str  # "step" or "epoch"
    plot: str  # STEP_LOSS, EPOCH_LOSS, SCORE or LEARNING_RATE


@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 1-based: the first epoch is epoch 1
    values: dict[str, float | None]  # the run's epoch series by name (train_loss, val_loss... or d_loss...)
    lr: float
    seconds: float
    per_class_accuracy: tuple[float | None, ...] | None = None
    confusion: tuple[tuple[int, ...], ...] | None = None

    def __getitem__(self, name: str) -> float | None:
        """A series' value by name; the learning rate, kept apart for the schedule, is one too ("lr")."""
        return self.lr if name == "lr" else self.values.get(name)

    def to_dict(self) -> dict[str, Any]:
        """Flat, as metrics.csv, the checkpoint and the run history keep it."""
        return {"epoch": self.epoch, **self.values, "lr": self.lr, "seconds": self.seconds,
                "per_class_accuracy": list(self.per_class_accuracy) if self.per_class_accuracy is not None else None,
                "confusion": [list(r) for r in self.confusion] if self.confusion is not None else None}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EpochRecord:
        fixed = {"epoch", "lr", "seconds", "per_class_accuracy", "confusion"}
        per_class, confusion = raw.get("per_class_accuracy"), raw.get("confusion")
        return cls(int(raw["epoch"]), {k: (None if v is None else float(v)) for k, v in raw.items() if k not in fixed},
                   float(raw["lr"]), float(raw["seconds"]),
                   tuple(per_class) if per_class is not None else None,
                   tuple(tuple(int(c) for c in r) for r in confusion) if confusion is not None else None)

    def summary(self) -> str:
        """The epoch's headline for people: the validation accuracy, else the validation loss, else D's view."""
        for name, text in (("val_accuracy", N_("validation accuracy {value:.1%}")),
                           ("val_loss", N_("validation loss {value:.4f}")),
                           ("train_loss", N_("training loss {value:.4f}"))):
            if self[name] is not None:
                return tr(text, value=self[name])
        if self["d_real"] is not None:
            return f"D(x) {self['d_real']:.2f}, D(G(z)) {self['d_fake']:.2f}"
        return ""


@dataclass(frozen=True)
class Started:
    model: str  # the model trained, or "G vs D"
    device: str
    start_epoch: int  # epochs already done (non-zero when resuming)
    epochs: int
    steps_per_epoch: int
    train_samples: int
    val_samples: int
    warnings: tuple[Problem, ...]  # lints, each with its fix, pinned to a node where there is one
    precision: str  # "float32", "bfloat16 mixed" or "float16 mixed"
    classes: tuple[str, ...] | None
    series: tuple[Series, ...]  # what the run's steps and epochs report
    samples_text: str  # "3,200 training and 800 validation samples", "2,000 real images"

    def describe(self) -> str:
        values = {"model": self.model, "device": self.device, "precision": self.precision,
                  "samples": self.samples_text, "steps": self.steps_per_epoch, "epoch": self.start_epoch}
        if self.start_epoch:
            return tr("training {model} on {device} ({precision}): {samples}, {steps} steps per epoch, resuming "
                      "after epoch {epoch}", **values)
        return tr("training {model} on {device} ({precision}): {samples}, {steps} steps per epoch", **values)


@dataclass(frozen=True)
class Step:
    epoch: int
    step: int  # 1-based within the epoch
    steps: int  # steps per epoch
    samples: int  # in this batch
    values: dict[str, torch.Tensor]  # detached, still on the device: reading them waits for the GPU
    lr: float

    @property
    def loss(self) -> torch.Tensor:
        """The run's first step series (the loss; D's loss for a GAN)."""
        return next(iter(self.values.values()))

    @property
    def loss_value(self) -> float:
        return float(self.loss)


@dataclass(frozen=True)
class EpochEnd:
    record: EpochRecord
    best: bool  # the best validation loss so far (the training loss when there is no validation split)


@dataclass(frozen=True)
class Finished:
    reason: str  # "completed", "stopped" or "early_stopping"
    message: str  # for people, in the language in use
    epochs_done: int
    best_epoch: int | None
    history: tuple[EpochRecord, ...]

    def summary(self) -> str:
        if self.reason in _ENDED:
            head = tr(_ENDED[self.reason], count=self.epochs_done)
        else:  # no run ends otherwise
            head = f"{self.reason.replace('_', ' ')} after {self.epochs_done} epochs"
        last = self.history[-1].summary() if self.history else ""
        return f"{head} · {last}" if last else head


# How a run ended, in words, by Finished.reason.
_ENDED = {"completed": N_("completed after {count} epochs"), "stopped": N_("stopped after {count} epochs"),
          "early_stopping": N_("early stopping after {count} epochs")}


@dataclass(frozen=True)
class Failed:
    kind: str  # "nan", "out_of_memory", "data", "write" or "error"
    message: str  # what happened and where, in one line, for people (in the language in use)
    hint: str  # what to try
    epoch: int | None = None
    step: int | None = None
    details: str = ""  # the traceback, for a "details" button; never shown as the message

    def __str__(self) -> str:
        return tr("{failure}. {hint}", failure=self.message, hint=self.hint) if self.hint else self.message




@dataclass(frozen=True)
class Health:
    """Layer health at a sampled step (builder.train.health), and the warnings the latest samples give."""

    sample: Any  # HealthSample
    problems: tuple[Problem, ...]


Event = Started | Step | EpochEnd | Finished | Failed | Health
