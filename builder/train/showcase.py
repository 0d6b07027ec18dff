"""What a run shows people between epochs: a few validation samples with the model's predictions, or the
generator's images. Computed off the GUI thread (by the training worker), drawn by the window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

SAMPLES = 16  # validation samples shown with their predictions


@dataclass(frozen=True)
class Predictions:
    """What the model makes of a few fixed validation samples (or, before training, their labels)."""

    epoch: int
    inputs: list[Any]  # numpy arrays C×H×W (or vectors)
    targets: list[Any]  # class index (classification) or array (reconstruction/regression)
    outputs: list[Any]  # predicted class index, or the output array
    classes: list[str] | None


@dataclass(frozen=True)
class GeneratedImages:
    """The generator's images from its fixed latent batch, after an epoch or on demand."""

    epoch: int
    images: Any  # numpy (N, C, H, W) in [0, 1]
    on_demand: bool = False


def predictions(run: Any, model: torch.nn.Module, epoch: int) -> Predictions:
    """The same validation samples every epoch (the training split's if there is no validation), through
    the model in eval mode; the model's mode is restored after."""
    indices = run.split.val[:SAMPLES].tolist() or run.split.train[:SAMPLES].tolist()
    pairs = [run.data.dataset[i] for i in indices]
    x = torch.stack([p[0] for p in pairs])
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        out = model(x.to(run.device)).float().cpu()
    model.train(was_training)
    if run.objective.num_classes:
        outputs = run.objective.predict(out).tolist()
        targets = [int(p[1]) for p in pairs]
    else:
        outputs = [o.numpy() for o in out]
        targets = [p[1].numpy() for p in pairs]
    return Predictions(epoch, [p[0].numpy() for p in pairs], targets, outputs, run.data.classes)


def data_preview(data: Any, indices: Any, classification: bool) -> Predictions:
    """A few samples as the network will see them, with their labels (or targets) as the outputs."""
    pairs = [data.dataset[i] for i in indices[:SAMPLES].tolist()]
    inputs = [x.numpy() for x, _ in pairs]
    if classification and data.classes:
        labels = [int(y) for _, y in pairs]
        return Predictions(0, inputs, labels, labels, list(data.classes))
    targets = [y.numpy() for _, y in pairs]
    return Predictions(0, inputs, targets, targets, None)
