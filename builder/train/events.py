"""What the engine reports, in order: Started, then Step... EpochEnd per epoch, then Finished or Failed.

Consumers (the CLI, the app's worker thread) only read these; none of them drives the loop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from builder.core.problems import Problem


@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 1-based: the first epoch is epoch 1
    train_loss: float
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    seconds: float
    per_class_accuracy: tuple[float | None, ...] | None = None
    confusion: tuple[tuple[int, ...], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EpochRecord:
        per_class = raw.get("per_class_accuracy")
        confusion = raw.get("confusion")
        return cls(**{**raw, "per_class_accuracy": tuple(per_class) if per_class is not None else None,
                      "confusion": tuple(tuple(r) for r in confusion) if confusion is not None else None})


@dataclass(frozen=True)
class Started:
    model: str
    device: str
    start_epoch: int  # epochs already done (non-zero when resuming)
    epochs: int
    steps_per_epoch: int
    train_samples: int
    val_samples: int
    warnings: tuple[Problem, ...]  # lints, each with its fix, pinned to a node where there is one
    precision: str  # "float32", "bfloat16 mixed" or "float16 mixed"
    classes: tuple[str, ...] | None


@dataclass(frozen=True)
class Step:
    epoch: int
    step: int  # 1-based within the epoch
    steps: int  # steps per epoch
    samples: int  # in this batch
    loss: torch.Tensor  # detached, still on the device: reading it (`loss_value`) waits for the GPU
    lr: float

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
    message: str
    epochs_done: int
    best_epoch: int | None
    history: tuple[EpochRecord, ...]


@dataclass(frozen=True)
class Failed:
    kind: str  # "nan", "out_of_memory", "data", "write" or "error"
    message: str  # what happened and where, in one line
    hint: str  # what to try
    epoch: int | None = None
    step: int | None = None
    details: str = ""  # the traceback, for a "details" button; never shown as the message

    def __str__(self) -> str:
        return f"{self.message}. {self.hint}" if self.hint else self.message


Event = Started | Step | EpochEnd | Finished | Failed


@dataclass(frozen=True)
class GanEpochRecord:
    epoch: int
    d_loss: float
    g_loss: float
    d_real: float  # the discriminator's mean probability that real images are real
    d_fake: float  # ... and that generated ones are real
    lr: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GanStep:
    epoch: int
    step: int
    steps: int
    samples: int
    d_loss: torch.Tensor  # detached, on the device: reading them waits for the GPU
    g_loss: torch.Tensor
    d_real: torch.Tensor
    d_fake: torch.Tensor


@dataclass(frozen=True)
class GanEpochEnd:
    record: GanEpochRecord
    samples: torch.Tensor  # (N, C, H, W) in [0, 1], CPU: the generator on its fixed latent batch


GanEvent = Started | GanStep | GanEpochEnd | Finished | Failed
