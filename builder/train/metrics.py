"""Evaluation metrics, accumulated on the device and read once at the end (no sync per batch).

On the CPU a loss is read as it comes: there is nothing to wait for, and one read costs less than the few
small tensor operations a device-side sum takes per step. The sums are the same float64 arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Evaluation:
    loss: float
    samples: int
    accuracy: float | None = None  # classification only
    per_class_accuracy: tuple[float | None, ...] | None = None  # None for a class absent from the split
    confusion: tuple[tuple[int, ...], ...] | None = None  # rows: true class, columns: predicted


class MetricAccumulator:
    """Sums of loss and, for classification, a confusion matrix, kept as device tensors."""

    def __init__(self, device: torch.device, num_classes: int | None) -> None:
        self.on_cpu = device.type == "cpu"
        self.loss_sum: torch.Tensor | float = 0.0 if self.on_cpu else torch.zeros((), dtype=torch.float64, device=device)
        self.count = 0
        self.num_classes = num_classes
        self.confusion = (torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
                          if num_classes else None)

    def add(self, loss: torch.Tensor, batch: int, predicted: torch.Tensor | None = None,
            labels: torch.Tensor | None = None) -> None:
        if self.on_cpu:
            self.loss_sum += float(loss) * batch
        else:
            self.loss_sum += loss.detach().to(torch.float64) * batch
        self.count += batch
        if self.confusion is not None and predicted is not None and labels is not None:
            k = self.num_classes
            self.confusion += torch.bincount(labels.reshape(-1) * k + predicted.reshape(-1), minlength=k * k)

    def result(self) -> Evaluation:
        loss = float(self.loss_sum / max(self.count, 1))
        if self.confusion is None:
            return Evaluation(loss, self.count)
        k = self.num_classes
        matrix = self.confusion.reshape(k, k).cpu()
        totals = matrix.sum(dim=1)
        correct = matrix.diagonal()
        per_class = tuple(None if t == 0 else c / t for c, t in zip(correct.tolist(), totals.tolist()))
        accuracy = correct.sum().item() / max(totals.sum().item(), 1)
        return Evaluation(loss, self.count, accuracy, per_class, tuple(tuple(r) for r in matrix.tolist()))
