"""What the model's output is compared with: the loss's targets and, for classification, predictions."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from builder.train.losses import BINARY_OR_ONE_HOT, INDEX, LossSpec


@dataclass
class Objective:
    task: str
    loss: LossSpec
    loss_fn: nn.Module
    num_classes: int | None  # classification only
    single_output: bool  # classification through one output unit (binary, with BCE losses)

    def target(self, y: torch.Tensor) -> torch.Tensor:
        if self.task != "classification":
            return y
        if self.loss.classification == INDEX:
            return y
        if self.loss.classification == BINARY_OR_ONE_HOT and self.single_output:
            return y.to(torch.float32).unsqueeze(1)
        return F.one_hot(y, self.num_classes).to(torch.float32)

    def __call__(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # In float32 even under autocast: BCELoss refuses half precision, and sums want the range.
        return self.loss_fn(output.float(), self.target(y))

    def predict(self, output: torch.Tensor) -> torch.Tensor:
        """Class indices from the output (classification only)."""
        if self.single_output:
            threshold = 0.0 if self.loss.expects == "logits" else 0.5
            return (output.reshape(-1) > threshold).to(torch.int64)
        return output.argmax(dim=1)
