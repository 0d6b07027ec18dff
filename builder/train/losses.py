"""The loss registry: each loss declared once, with the targets it takes and what it expects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch.nn as nn

from builder.core.i18n import N_

# What a classification label becomes for the loss.
INDEX = "index"  # class indices (N,), int64: CrossEntropyLoss
BINARY_OR_ONE_HOT = "binary_or_one_hot"  # (N, 1) 0/1 floats for one output, else one-hot floats (N, K)
ONE_HOT = "one_hot"  # one-hot floats (N, K), so MSE/L1 can compare them with K outputs


@dataclass(frozen=True)
class LossSpec:
    name: str  # torch's class name, as written in the project file
    description: str
    make: Callable[[], nn.Module]
    classification: str  # how class labels are given to it: INDEX, BINARY_OR_ONE_HOT or ONE_HOT
    takes_values: bool  # works on real-valued targets (reconstruction, regression)
    expects: str  # "logits" (raw scores), "probabilities" (in [0, 1]) or "values"


LOSSES: dict[str, LossSpec] = {
    spec.name: spec
    for spec in (
        LossSpec("CrossEntropyLoss",
                 N_("Classification with raw scores (logits), one per class; applies softmax itself."),
                 nn.CrossEntropyLoss, INDEX, takes_values=False, expects="logits"),
        LossSpec("BCELoss", N_("Binary cross-entropy on probabilities in [0, 1]: needs a Sigmoid last."),
                 nn.BCELoss, BINARY_OR_ONE_HOT, takes_values=True, expects="probabilities"),
        LossSpec("BCEWithLogitsLoss",
                 N_("Binary cross-entropy on raw scores; applies the sigmoid itself, more stably."),
                 nn.BCEWithLogitsLoss, BINARY_OR_ONE_HOT, takes_values=True, expects="logits"),
        LossSpec("MSELoss", N_("Mean squared error: regression and reconstruction."),
                 nn.MSELoss, ONE_HOT, takes_values=True, expects="values"),
        LossSpec("L1Loss", N_("Mean absolute error: like MSE, less swayed by outliers."),
                 nn.L1Loss, ONE_HOT, takes_values=True, expects="values"),
    )
}
